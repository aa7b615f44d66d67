from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.shortcuts import render
from django.views.decorators.http import require_safe

from core.models import Region


@require_safe
def home(request):
    """The national entry page: every province, with its number of kabupaten/kota. One query."""
    provinces = Region.objects.provinces().annotate(regency_count=Count("children")).order_by("code")
    return render(request, "core/home.html", {"provinces": provinces})


@login_required
def dashboard(request):
    """Where staff land after login: their role, their scope, their work."""
    from programs.selectors import ceilings_visible_to

    ceilings = []
    if request.user.is_provincial_officer or request.user.is_district_staff:
        ceilings = ceilings_visible_to(request.user).order_by("-fiscal_year", "funding_source__code")[:20]
    return render(request, "core/dashboard.html", {"ceilings": ceilings})


def permission_denied(request, exception=None):
    return render(request, "403.html", status=403)


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


def server_error(request):
    # No context processors that might fail again: a plain render of a static template.
    from django.http import HttpResponseServerError
    from django.template import loader

    return HttpResponseServerError(loader.get_template("500.html").render({}))

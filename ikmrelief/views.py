"""The shell's own pages: the staff dashboard, which gathers what each app has for the
signed-in role (the only page that reads every app)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from programs.selectors import ceilings_visible_to
from recipients.selectors import latest_returns, waiting_summary
from reports.models import RollupRun
from reports.rollup import last_success
from reports.selectors import national_overview, opd_absorption, province_absorption


@login_required
def dashboard(request):
    """Where staff land after login: what waits for them (oldest first), their OPD's absorption,
    the latest returns, and for the national admin absorption by province and the rollup's health.
    A fixed number of queries: the waiting counts are one GROUP BY, budgets come from the rollup."""
    user = request.user
    context = {"ceilings": [], "waiting": [], "returns": [], "absorption": [], "national": None}
    if user.is_provincial or user.is_district_staff:
        context["ceilings"] = ceilings_visible_to(user).order_by("-fiscal_year", "funding_source__code")[:20]
    if user.is_provincial_officer or user.is_district_staff:
        context["waiting"] = waiting_summary(user)
        context["returns"] = latest_returns(user)
    if user.is_provincial_officer:
        context["absorption"] = opd_absorption(user.agency_id)
    if user.is_coordinator:
        context["province_absorption"] = province_absorption(user.province_id)
    if user.is_national_admin:
        context["national"] = national_overview()
        context["last_success"] = last_success()
        context["last_run"] = RollupRun.objects.order_by("-queued_at", "-id").first()
    return render(request, "core/dashboard.html", context)

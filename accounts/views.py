"""The inbox (what waits for me, each marked read when opened) and the staff account pages."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from accounts import services
from accounts.forms import StaffUserForm
from accounts.models import SCOPE_COLUMNS, Notification, User
from core.views_utils import apply_errors, paginate
from programs.selectors import record_history


class EmailPreferenceForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["notification_email"]
        widgets = {"notification_email": forms.RadioSelect}
        labels = {"notification_email": gettext_lazy("Kirim notifikasi ke e-mail saya")}


@login_required
def inbox(request):
    """Newest first, unread marked. 3 queries (count, page, unread count in the navigation)."""
    form = EmailPreferenceForm(instance=request.user)
    return render(request, "accounts/inbox.html", {
        "page": paginate(request, request.user.notifications.all()), "form": form,
    })


@login_required
def notification_open(request, pk):
    notification = get_object_or_404(request.user.notifications, pk=pk)
    if notification.read_at is None:
        Notification.objects.filter(pk=notification.pk).update(read_at=timezone.now())
    safe = url_has_allowed_host_and_scheme(notification.url, allowed_hosts={request.get_host()})
    return redirect(notification.url if safe else "accounts:inbox")


@login_required
@require_POST
def inbox_read_all(request):
    count = request.user.notifications.filter(read_at__isnull=True).update(read_at=timezone.now())
    messages.success(request, _("%(n)s notifikasi ditandai sudah dibaca.") % {"n": count})
    return redirect("accounts:inbox")


@login_required
@require_POST
def email_preference(request):
    form = EmailPreferenceForm(request.POST, instance=request.user)
    if form.is_valid():
        User.objects.filter(pk=request.user.pk).update(notification_email=form.cleaned_data["notification_email"])
        messages.success(request, _("Pilihan notifikasi e-mail tersimpan."))
        return redirect("accounts:inbox")
    return render(request, "accounts/inbox.html", {
        "page": paginate(request, request.user.notifications.all()), "form": form,
    })


# --- Staff accounts: the national admin's coordinators, a coordinator's province staff -------


def _require_manager(user) -> None:
    if not services.grantable_roles(user):
        raise PermissionDenied


@login_required
def user_list(request):
    _require_manager(request.user)
    users = services.users_visible_to(request.user)
    role = request.GET.get("peran", "")
    if role in User.Role.values and role:
        users = users.filter(role=role)
    return render(request, "accounts/user_list.html", {
        "page": paginate(request, users), "roles": [r for r in User.Role.choices if r[0]], "role": role,
    })


@login_required
@require_http_methods(["GET", "POST"])
def user_invite(request):
    _require_manager(request.user)
    form = StaffUserForm(request.POST or None, actor=request.user, instance=User(is_active=True))
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_invite(user=form.instance, actor=request.user)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Undangan dikirim ke %(email)s; tautannya berlaku %(hours)s jam.") % {
                "email": user.email, "hours": settings.PASSWORD_RESET_TIMEOUT // 3600})
            return redirect("accounts:user-detail", pk=user.pk)
    return render(request, "accounts/user_form.html", {"form": form, "title": _("Undang pengguna")})


@login_required
@require_http_methods(["GET", "POST"])
def user_detail(request, pk):
    _require_manager(request.user)
    user = get_object_or_404(services.users_visible_to(request.user), pk=pk)
    can_manage = services.may_manage(request.user, user) and user.pk != request.user.pk
    form = None
    if can_manage:
        form = StaffUserForm(request.POST or None, actor=request.user, instance=user)
        if request.method == "POST" and form.is_valid():
            try:
                services.user_save(user=form.instance, actor=request.user)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("Akun %(username)s tersimpan.") % {"username": user.username})
                return redirect("accounts:user-detail", pk=user.pk)
    elif request.method == "POST":
        raise PermissionDenied
    return render(request, "accounts/user_detail.html", {
        "account": user, "form": form, "can_manage": can_manage,
        "history": _scope_history(user),
    })


def _scope_history(user: User) -> list[dict]:
    """The account's scope changes, old → new, as readable labels. Four queries."""
    from core.models import Region
    from programs.models import Agency

    history = record_history(user, fields=SCOPE_COLUMNS)
    ids = {v for e in history for f, old, new in e["changes"] for v in (old, new) if f.endswith("_id") and v}
    regions = dict(Region.objects.filter(pk__in=ids).values_list("pk", "name"))
    agencies = dict(Agency.objects.filter(pk__in=ids).values_list("pk", "short_name"))
    labels = {f.name: f.verbose_name for f in User._meta.fields}

    def show(field, value):
        if value in (None, ""):
            return "–"
        if field == "role":
            return User.Role(value).label
        if field == "district_office":
            return User.Office(value).label
        if field == "is_active":
            return _("aktif") if value else _("nonaktif")
        return (agencies if field == "agency_id" else regions).get(value, value)

    for entry in history:
        entry["changes"] = [(labels[f.removesuffix("_id")], show(f, old), show(f, new))
                            for f, old, new in entry["changes"]]
    return history


@login_required
@require_POST
def user_activation(request, pk):
    _require_manager(request.user)
    user = get_object_or_404(services.users_visible_to(request.user), pk=pk)
    if not services.may_manage(request.user, user) or user.pk == request.user.pk:
        raise PermissionDenied
    active = request.POST.get("active") == "1"
    try:
        services.user_set_active(user=user, actor=request.user, active=active)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Akun %(username)s diaktifkan kembali.") % {"username": user.username} if active
                         else _("Akun %(username)s dinonaktifkan; riwayatnya tetap.") % {"username": user.username})
    return redirect("accounts:user-detail", pk=user.pk)


class LogoutView(auth_views.LogoutView):
    """Logging out also empties what this site kept on the device: the field checks taken offline
    (IndexedDB), the cached field-check page and the service worker (``Clear-Site-Data``)."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        response["Clear-Site-Data"] = '"cache", "storage"'
        return response

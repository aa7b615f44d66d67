"""The inbox (what waits for me, each marked read when opened) and the staff account pages."""

from __future__ import annotations

from base64 import b32encode

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import keys, policy, second_factor, services
from accounts.forms import CodeForm, EmailChangeForm, SignatureForm, StaffUserForm
from accounts.models import SCOPE_COLUMNS, AccountEvent, Notification, User
from core.history import record_history
from core.models import Region
from core.views_utils import apply_errors, paginate
from programs.models import Agency


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
    if not policy.grantable_roles(user):
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
    can_manage = policy.may_manage(request.user, user) and user.pk != request.user.pk
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
        "can_reset_keys": policy.may_reset_keys(request.user, user),
        "has_authenticator": second_factor.has_authenticator(user),
        "locked": keys.is_locked_out(user),
        "history": _scope_history(user),
        "events": user.account_events.select_related("actor")[:20],
    })


def _scope_history(user: User) -> list[dict]:
    """The account's scope changes, old → new, as readable labels. Four queries."""
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
    if not policy.may_manage(request.user, user) or user.pk == request.user.pk:
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


# --- My account: address, password, second factor --------------------------------------------


def _safe_next(request, default: str = "dashboard") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return resolve_url(default)


@login_required
@require_http_methods(["GET", "POST"])
def my_account(request):
    """The signed-in person's own keys: the address (changed only through a link to the new one),
    the password, the second factor, and what happened to them."""
    posted = request.POST if request.method == "POST" else None
    signature = SignatureForm(posted if posted and posted.get("form") == "signature" else None, instance=request.user,
                              prefix="ttd")
    if signature.is_bound:
        if signature.is_valid():
            services.signature_set(user=request.user, **signature.cleaned_data)
            messages.success(request, _("Blok tanda tangan laporan disimpan."))
            return redirect("accounts:my-account")
        posted = None
    form = EmailChangeForm(posted)
    if request.method == "POST" and form.is_valid():
        try:
            keys.email_change_request(user=request.user, new_email=form.cleaned_data["new_email"],
                                      password=form.cleaned_data["password"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Tautan konfirmasi dikirim ke %(email)s. Alamat Anda berubah setelah "
                                        "tautan itu dibuka; alamat lama diberi tahu.") % {
                                            "email": form.cleaned_data["new_email"]})
            return redirect("accounts:my-account")
    return render(request, "accounts/my_account.html", {
        "form": form, "signature": signature, "has_authenticator": second_factor.has_authenticator(request.user),
        "needs_second_factor": second_factor.requires_second_factor(request.user),
        "events": request.user.account_events.select_related("actor")[:20],
    })


@require_http_methods(["GET", "POST"])
def email_confirm(request, token):
    """The link from the new address: shown first, applied on the button (a mail scanner that
    opens links must not change an account)."""
    try:
        data = keys.email_change_read(token)
    except ValidationError as exc:
        return render(request, "accounts/email_confirm.html", {"error": " ".join(exc.messages)}, status=400)
    if request.method == "POST":
        try:
            keys.email_change_confirm(token=token)
        except ValidationError as exc:
            return render(request, "accounts/email_confirm.html", {"error": " ".join(exc.messages)}, status=400)
        messages.success(request, _("Alamat e-mail akun Anda sekarang %(email)s.") % {"email": data["new"]})
        return redirect("accounts:my-account" if request.user.is_authenticated else "accounts:login")
    return render(request, "accounts/email_confirm.html", {"data": data})


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's, with the change recorded and the owner told at their address."""

    success_url = reverse_lazy("accounts:password-change-done")

    def form_valid(self, form):
        response = super().form_valid(form)
        keys.password_changed(user=self.request.user, by_reset=False)
        return response


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    success_url = reverse_lazy("accounts:password-reset-complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        keys.password_changed(user=form.user, by_reset=True)
        return response


@login_required
@require_http_methods(["GET", "POST"])
def second_factor_verify(request):
    """The second step of signing in: a code from the authenticator app or a recovery code.
    ``TWO_FACTOR_MAX_WRONG_CODES`` wrong codes end the session (the password is asked again)."""
    if not second_factor.has_authenticator(request.user):
        return redirect(f"{reverse('accounts:second-factor-setup')}?next={_safe_next(request)}")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(request.user, form.cleaned_data["code"])
        if device is not None:
            otp_login(request, device)
            request.session.pop("otp_wrong", None)
            if isinstance(device, StaticDevice):
                keys.record(user=request.user, actor=request.user, kind=AccountEvent.Kind.RECOVERY_USED,
                            detail=_("%(n)s kode pemulihan tersisa") % {"n": device.token_set.count()})
            return redirect(_safe_next(request))
        wrong = request.session.get("otp_wrong", 0) + 1
        request.session["otp_wrong"] = wrong
        if wrong >= settings.TWO_FACTOR_MAX_WRONG_CODES:
            logout(request)
            messages.error(request, _("Kode salah %(n)s kali. Masuk lagi dengan kata sandi Anda.") % {"n": wrong})
            return redirect("accounts:login")
        form.add_error("code", _("Kode salah atau sudah dipakai. Sisa percobaan: %(n)s.") % {
            "n": settings.TWO_FACTOR_MAX_WRONG_CODES - wrong})
    return render(request, "accounts/second_factor.html", {"form": form, "next": _safe_next(request)})


@login_required
@require_http_methods(["GET", "POST"])
def second_factor_setup(request):
    """Enrol an authenticator app: scan the code (or type the key), answer with the first code.
    Then ten single-use recovery codes are shown once. An account that already has one must
    prove it first (a stolen password alone cannot replace the factor)."""
    if second_factor.has_authenticator(request.user) and not request.user.is_verified():
        return redirect(f"{reverse('accounts:second-factor')}?next={_safe_next(request)}")
    device = (TOTPDevice.objects.filter(user=request.user, confirmed=False).order_by("-id").first()
              or TOTPDevice.objects.create(user=request.user, name=_("Aplikasi autentikator"), confirmed=False))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"]):
            codes = _enrol(request, device)
            request.session["recovery_codes"] = codes
            return redirect(f"{reverse('accounts:recovery-codes')}?next={_safe_next(request)}")
        form.add_error("code", _("Kode tidak cocok. Pastikan jam ponsel Anda tepat, lalu ketik kode yang baru."))
    return render(request, "accounts/second_factor_setup.html", {
        "form": form, "secret": b32encode(device.bin_key).decode(), "next": _safe_next(request),
        "qr": segno.make(device.config_url, error="m").svg_inline(scale=4, dark="#111", light="#fff",
                                                                   title=_("Kode QR aplikasi autentikator")),
    })


@transaction.atomic
def _enrol(request, device: TOTPDevice) -> list[str]:
    """The device confirmed (any older one replaced), the session verified, ten recovery codes."""
    TOTPDevice.objects.filter(user=request.user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    otp_login(request, device)
    keys.record(user=request.user, actor=request.user, kind=AccountEvent.Kind.TOTP_ENROLLED)
    return _new_recovery_codes(request.user)


def _new_recovery_codes(user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    static = StaticDevice.objects.create(user=user, name=_("Kode pemulihan"), confirmed=True)
    codes = [StaticToken.random_token() for _n in range(10)]
    StaticToken.objects.bulk_create([StaticToken(device=static, token=c) for c in codes])
    keys.record(user=user, actor=user, kind=AccountEvent.Kind.RECOVERY_CODES)
    return codes


@login_required
@require_http_methods(["GET", "POST"])
def recovery_codes(request):
    """Shown once after enrolment; new ones (the old ones void) on the button."""
    if request.method == "POST":
        if not request.user.is_verified():
            raise PermissionDenied
        with transaction.atomic():
            request.session["recovery_codes"] = _new_recovery_codes(request.user)
        return redirect("accounts:recovery-codes")
    return render(request, "accounts/recovery_codes.html", {
        "codes": request.session.pop("recovery_codes", None), "next": _safe_next(request, "accounts:my-account")})


def _keys_of(request, pk) -> User:
    """The account whose keys (second factor, lockout) the signed-in manager turns; 404 outside
    their accounts, 403 for their own."""
    user = get_object_or_404(services.users_visible_to(request.user), pk=pk)
    if not policy.may_reset_keys(request.user, user):
        raise PermissionDenied
    return user


@login_required
@require_POST
def user_second_factor_reset(request, pk):
    user = _keys_of(request, pk)
    keys.second_factor_reset(user=user, actor=request.user)
    messages.success(request, _("Faktor kedua %(username)s direset: ia mendaftarkan aplikasi autentikator lagi saat "
                                "masuk berikutnya.") % {"username": user.username})
    return redirect("accounts:user-detail", pk=user.pk)


@login_required
@require_POST
def user_unlock(request, pk):
    user = _keys_of(request, pk)
    keys.unlock(user=user, actor=request.user)
    messages.success(request, _("Kunci masuk %(username)s dibuka.") % {"username": user.username})
    return redirect("accounts:user-detail", pk=user.pk)

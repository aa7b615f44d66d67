"""The keys to an account — its address, its password, its second factor, its lockout — and
who may turn them.

An address is where a password reset goes, so whoever sets it can become the account's owner.
Only the person themself changes it: they ask with their password, a link goes to the new
address, a notice to the old one, and nothing changes until the link is opened. Nobody sets
another person's password. A coordinator (or the national admin) may reset a lost second
factor or lift a lockout of an account they manage. Every turn of a key is an ``AccountEvent``
(append-only in the database).
"""

from __future__ import annotations

from axes.models import AccessAttempt
from axes.utils import reset
from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp import devices_for_user

from accounts import mail
from accounts.models import AccountEvent, User
from accounts.policy import may_reset_keys

EMAIL_CHANGE_SALT = "accounts.email-change"


def record(*, user: User, kind: str, actor: User | None = None, detail: str = "") -> AccountEvent:
    return AccountEvent.objects.create(user=user, actor=actor, kind=kind, detail=detail[:300])


def _mail(*, to: str, template: str, context: dict) -> None:
    """``accounts/<template>_subject.txt`` and ``_email.txt``, queued (``accounts.mail``)."""
    subject, body = mail.render(f"accounts/{template}_subject.txt", f"accounts/{template}_email.txt", context)
    mail.queue(to=[to], subject=subject, body=body)


def site_link(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


# --- The address ---------------------------------------------------------------------------------


def _address_taken(email: str, *, but: User) -> bool:
    return User.objects.filter(email__iexact=email).exclude(pk=but.pk).exists()


@transaction.atomic
def email_change_request(*, user: User, new_email: str, password: str) -> None:
    """The owner asks to move their account to ``new_email``: their password proves it is them;
    the new address must answer the link; the old one is told."""
    new_email = (new_email or "").strip()
    if not user.check_password(password or ""):
        raise ValidationError({"password": _("Kata sandi tidak cocok.")})
    try:
        validate_email(new_email)
    except ValidationError:
        raise ValidationError({"new_email": _("Tulis alamat e-mail yang sah.")}) from None
    if new_email.lower() == (user.email or "").lower():
        raise ValidationError({"new_email": _("Ini sudah alamat e-mail Anda.")})
    if _address_taken(new_email, but=user):
        raise ValidationError({"new_email": _("Sudah ada akun dengan e-mail ini.")})
    token = signing.dumps({"u": user.pk, "old": user.email, "new": new_email}, salt=EMAIL_CHANGE_SALT)
    hours = settings.PASSWORD_RESET_TIMEOUT // 3600
    record(user=user, actor=user, kind=AccountEvent.Kind.EMAIL_CHANGE_REQUESTED,
           detail=f"{user.email or '–'} → {new_email}")
    context = {"user": user, "old": user.email, "new": new_email, "hours": hours,
               "link": site_link(reverse("accounts:email-confirm", args=[token]))}
    _mail(to=new_email, template="email_confirm", context=context)
    if user.email:
        _mail(to=user.email, template="email_notice", context=context)


def email_change_read(token: str) -> dict:
    """What a confirmation link asks for ({"u", "old", "new"}), or ValidationError when it is
    forged, expired or already used (the address moved since it was sent)."""
    try:
        data = signing.loads(token, salt=EMAIL_CHANGE_SALT, max_age=settings.PASSWORD_RESET_TIMEOUT)
    except signing.BadSignature:
        raise ValidationError(_("Tautan konfirmasi ini tidak sah atau sudah kedaluwarsa.")) from None
    user = User.objects.filter(pk=data.get("u"), is_active=True).first()
    if user is None or (user.email or "") != (data.get("old") or ""):
        raise ValidationError(_("Tautan konfirmasi ini sudah dipakai atau tidak berlaku lagi."))
    return {**data, "user": user}


@transaction.atomic
def email_change_confirm(*, token: str) -> User:
    data = email_change_read(token)
    user = User.objects.select_for_update().get(pk=data["user"].pk)
    if (user.email or "") != (data["old"] or ""):
        raise ValidationError(_("Tautan konfirmasi ini sudah dipakai atau tidak berlaku lagi."))
    if _address_taken(data["new"], but=user):
        raise ValidationError(_("Sudah ada akun dengan e-mail ini."))
    user.email = data["new"]
    try:
        with transaction.atomic():
            user.save(update_fields=["email"])
    except IntegrityError:
        raise ValidationError(_("Sudah ada akun dengan e-mail ini.")) from None
    record(user=user, actor=user, kind=AccountEvent.Kind.EMAIL_CHANGED, detail=f"{data['old'] or '–'} → {user.email}")
    return user


# --- The password ---------------------------------------------------------------------------------


def password_changed(*, user: User, by_reset: bool) -> None:
    """Recorded, and the owner told at their address (if it was not them, they act at once)."""
    kind = AccountEvent.Kind.PASSWORD_RESET if by_reset else AccountEvent.Kind.PASSWORD_CHANGED
    record(user=user, actor=user, kind=kind)
    if user.email:
        _mail(to=user.email, template="password_notice", context={
            "user": user, "by_reset": by_reset, "link": site_link(reverse("accounts:password-reset"))})


# --- Second factor and lockout, for whoever manages the account -----------------------------------


@transaction.atomic
def second_factor_reset(*, user: User, actor: User) -> int:
    """Remove every authenticator and recovery code of ``user``: at the next sign-in they enrol
    again. Returns how many devices were removed."""
    if not may_reset_keys(actor, user):
        raise PermissionDenied
    devices = list(devices_for_user(user, confirmed=None))
    for device in devices:
        device.delete()
    record(user=user, actor=actor, kind=AccountEvent.Kind.TOTP_RESET, detail=_("%(n)s perangkat dihapus")
           % {"n": len(devices)})
    return len(devices)


def is_locked_out(user: User) -> bool:
    """Whether some address is locked out of this username now (one query)."""
    threshold = timezone.now() - settings.AXES_COOLOFF_TIME
    return AccessAttempt.objects.filter(username=user.username, attempt_time__gte=threshold,
                                        failures_since_start__gte=settings.AXES_FAILURE_LIMIT).exists()


def unlock(*, user: User, actor: User) -> int:
    """Lift the login lockout of ``user`` (every address it was locked from)."""
    if not may_reset_keys(actor, user):
        raise PermissionDenied
    removed = reset(username=user.username)
    record(user=user, actor=actor, kind=AccountEvent.Kind.UNLOCKED, detail=_("%(n)s catatan gagal masuk dihapus")
           % {"n": removed})
    return removed

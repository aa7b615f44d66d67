"""Writes to staff accounts: the user pages, the invitation and the admin all call these.

Who manages whom (nobody grants a scope wider than their own):

- the national admin: every account (in practice the provinces' budget coordinators and
  data-protection officers);
- a province's budget coordinator: the OPD officers and district staff of that province;
- nobody else.

Every scope change (role, province, regency, OPD, district office, active) is a row in the
user's history with who made it (django-pghistory, ``accounts.models.SCOPE_FIELDS``).
"""

from __future__ import annotations

import pghistory
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from accounts import mail
from accounts.models import SCOPE_COLUMNS, User
from accounts.policy import (
    COORDINATOR_GRANTS,
    grantable_roles,
    manages_all_accounts,
    manages_province_accounts,
    may_manage,
)


def _scope_of(user: User) -> tuple:
    return tuple(getattr(user, column) for column in (*SCOPE_COLUMNS, "is_staff", "is_superuser"))


def users_visible_to(actor):
    """The accounts the actor manages: everything for the national admin; the coordinator's own
    province (its officers, district staff and fellow coordinators, the latter read-only)."""
    qs = User.objects.select_related("province", "regency", "agency").order_by("province__code", "role", "username")
    if manages_all_accounts(actor):
        return qs
    if manages_province_accounts(actor):
        return qs.filter(province_id=actor.province_id)
    return qs.none()


def user_check(*, user: User, actor: User, lock: bool = False) -> None:
    """Refuse what ``actor`` may not do to this account (one query; ``lock`` takes the row lock).

    Refused: anything by someone who manages no accounts; a coordinator touching an account
    outside their province or giving any role but OPD officer or district staff, or an OPD
    outside their province; changing one's own role, scope or status; making anyone a
    superuser (only ``manage.py createsuperuser`` does); changing a superuser without being
    one. Admin-site access (``is_staff``) follows the role: national admins only.
    """
    if not grantable_roles(actor):
        raise PermissionDenied
    rows = User.objects.select_for_update() if lock else User.objects
    before = rows.filter(pk=user.pk).first() if user.pk else None
    if before is not None and not may_manage(actor, before):
        raise PermissionDenied
    if user.is_superuser and not (before is not None and before.is_superuser):
        raise ValidationError(_("Superuser hanya dibuat dari baris perintah (manage.py createsuperuser)."))
    if user.role and user.role not in grantable_roles(actor):
        raise ValidationError({"role": _("Anda tidak dapat memberi peran ini.")})
    if manages_province_accounts(actor):
        if user.role not in COORDINATOR_GRANTS:
            raise ValidationError({"role": _("Pilih peran pejabat OPD atau petugas kabupaten/kota.")})
        province_id = user.regency.parent_id if user.regency_id else user.province_id
        if province_id != actor.province_id:
            raise ValidationError({"regency": _("Hanya untuk wilayah provinsi Anda.")})
        if user.agency_id and user.agency.province_id != actor.province_id:
            raise ValidationError({"agency": _("Hanya OPD provinsi Anda.")})
    user.is_staff = user.is_superuser or user.role == User.Role.NATIONAL_ADMIN
    if before is not None and before.pk == actor.pk and _scope_of(before) != _scope_of(user):
        raise ValidationError(_("Anda tidak dapat mengubah peran, wilayah atau status akun Anda sendiri."))


@transaction.atomic
def user_save(*, user: User, actor: User) -> User:
    """Create or change a staff account as ``actor``; see ``user_check``."""
    user_check(user=user, actor=actor, lock=True)
    user.full_clean(exclude=["password"])
    try:
        with pghistory.context(user=actor.pk), transaction.atomic():
            user.save()
    except IntegrityError:  # the same address or username saved a moment ago by another request
        raise ValidationError({"email": _("Sudah ada akun dengan e-mail atau nama pengguna ini.")}) from None
    return user


def invitation_link(user: User) -> str:
    """A one-time link to set a password: Django's reset token, void once a password is set."""
    path = reverse("accounts:password-reset-confirm", kwargs={
        "uidb64": urlsafe_base64_encode(force_bytes(user.pk)), "token": default_token_generator.make_token(user)})
    return settings.SITE_URL.rstrip("/") + path


@transaction.atomic
def user_invite(*, user: User, actor: User) -> User:
    """Create the account without a password and mail the invitation (after commit, from the
    worker; from the request when the broker cannot take it)."""
    if not user.email:
        raise ValidationError({"email": _("E-mail wajib diisi: undangan dikirim ke sana.")})
    if User.objects.filter(email__iexact=user.email).exists():
        raise ValidationError({"email": _("Sudah ada akun dengan e-mail ini.")})
    user.set_unusable_password()
    user = user_save(user=user, actor=actor)
    context = {"user": user, "actor": actor, "link": invitation_link(user),
               "hours": settings.PASSWORD_RESET_TIMEOUT // 3600}
    subject, body = mail.render("accounts/invitation_subject.txt", "accounts/invitation_email.txt", context)
    mail.queue(to=[user.email], subject=subject, body=body)
    return user


def user_set_active(*, user: User, actor: User, active: bool) -> User:
    """Deactivate (never delete: budgets and steps keep who did them) or reactivate."""
    user.is_active = active
    return user_save(user=user, actor=actor)


SIGNATURE_FIELDS = ("first_name", "last_name", "nip", "position", "signing_place")


def signature_set(*, user: User, **fields) -> User:
    """One's own signature block (name, NIP, position, place): written on the reports one signs."""
    values = {name: fields[name] for name in SIGNATURE_FIELDS if name in fields}
    for name, value in values.items():
        setattr(user, name, value)
    user.full_clean(exclude=[f.name for f in User._meta.fields if f.name not in values])
    user.save(update_fields=list(values))
    return user

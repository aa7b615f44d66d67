"""Writes to staff accounts. The admin (and any later user-management page) calls these."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User

# What decides where a user may act. Nobody changes these on their own account.
SCOPE_FIELDS = ("role", "province", "regency", "agency", "is_active", "is_staff", "is_superuser")


def _scope_of(user: User) -> tuple:
    return tuple(getattr(user, f"{f}_id" if f in ("province", "regency", "agency") else f) for f in SCOPE_FIELDS)


def user_check(*, user: User, actor: User, lock: bool = False) -> None:
    """Refuse what no one may do to a staff account (one query; ``lock`` takes the row lock).

    Refused: changing one's own role, scope or status; making anyone a superuser (superusers
    are made only with ``manage.py createsuperuser``); changing a superuser's account without
    being one. Admin-site access (``is_staff``) follows the role: national admins only.
    """
    if not actor.is_national_admin:
        raise PermissionDenied
    rows = User.objects.select_for_update() if lock else User.objects
    before = rows.filter(pk=user.pk).first() if user.pk else None
    if before is not None and before.is_superuser and not actor.is_superuser:
        raise PermissionDenied
    if user.is_superuser and not (before is not None and before.is_superuser):
        raise ValidationError(_("Superuser hanya dibuat dari baris perintah (manage.py createsuperuser)."))
    user.is_staff = user.is_superuser or user.role == User.Role.NATIONAL_ADMIN
    if before is not None and before.pk == actor.pk and _scope_of(before) != _scope_of(user):
        raise ValidationError(_("Anda tidak dapat mengubah peran, wilayah atau status akun Anda sendiri."))


@transaction.atomic
def user_save(*, user: User, actor: User) -> User:
    """Create or change a staff account as ``actor`` (a national admin); see ``user_check``."""
    user_check(user=user, actor=actor, lock=True)
    user.full_clean(exclude=["password"])
    user.save()
    return user

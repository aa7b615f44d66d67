"""Who may do what to staff accounts: plain functions over (actor, account), no query; asked by
the user pages, the invitation, the forms, the admin and the account-key services alike.

Who manages whom (nobody grants a scope wider than their own): the national admin every account;
a province's budget coordinator the OPD officers and district staff of that province; nobody else.
"""

from __future__ import annotations

from accounts.models import User

# What a coordinator may make of an account in their province.
COORDINATOR_GRANTS = (User.Role.PROVINCIAL_OFFICER, User.Role.DISTRICT_STAFF)


def manages_all_accounts(actor) -> bool:
    """The national admin: every account in every province, and the choice of province."""
    return bool(getattr(actor, "is_national_admin", False))


def manages_province_accounts(actor) -> bool:
    """A province's budget coordinator (not also the national admin): the OPD officers and
    district staff of their own province only."""
    return bool(getattr(actor, "is_coordinator", False)) and not manages_all_accounts(actor)


def grantable_roles(actor) -> list[str]:
    if getattr(actor, "is_national_admin", False):
        return [User.Role.COORDINATOR, User.Role.PROVINCIAL_OFFICER, User.Role.DISTRICT_STAFF,
                User.Role.DATA_PROTECTION, User.Role.AUDITOR, User.Role.NATIONAL_ADMIN]
    if getattr(actor, "is_coordinator", False):
        return list(COORDINATOR_GRANTS)
    return []


def may_manage(actor, user: User) -> bool:
    """Whether ``actor`` may change ``user``'s account as it is now (no query)."""
    if getattr(actor, "is_national_admin", False):
        return not user.is_superuser or actor.is_superuser
    return bool(getattr(actor, "is_coordinator", False) and user.role in COORDINATOR_GRANTS
                and user.province_id == actor.province_id and not user.is_superuser)


def may_reset_keys(actor, user: User) -> bool:
    """A coordinator for their province's staff, the national admin for every account; never
    one's own (a lost factor of one's own is reset by whoever manages you)."""
    return actor.pk != user.pk and may_manage(actor, user)

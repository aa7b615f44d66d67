"""Role predicates shared by every app's permission rules, over the role flags of
``accounts.models.User`` (read by attribute: this module imports no app).

An anonymous user satisfies none of them. ``programs/rules.py`` combines these with the
object-level questions of ``programs/policy.py``.
"""

import rules


@rules.predicate
def is_national_admin(user) -> bool:
    return bool(getattr(user, "is_national_admin", False))


@rules.predicate
def is_coordinator(user) -> bool:
    return bool(getattr(user, "is_coordinator", False))


@rules.predicate
def is_provincial_officer(user) -> bool:
    return bool(getattr(user, "is_provincial_officer", False))


@rules.predicate
def is_district_staff(user) -> bool:
    return bool(getattr(user, "is_district_staff", False))


@rules.predicate
def is_auditor(user) -> bool:
    return bool(getattr(user, "is_auditor", False))


# Everyone who reads the staff budget pages; an auditor reads them and writes none.
is_staff_member = is_national_admin | is_coordinator | is_provincial_officer | is_district_staff | is_auditor

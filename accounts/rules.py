"""Role predicates shared by every app's permission rules.

An anonymous user satisfies none of them. Object-level rules in ``programs/rules.py`` and
``recipients/rules.py`` combine these with "the object is in the user's province/regency".
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


is_staff_member = is_national_admin | is_coordinator | is_provincial_officer | is_district_staff

rules.add_perm("accounts.use_dashboard", is_staff_member)

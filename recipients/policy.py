"""Who may do what to recipient groups and applications, and who may see which person data:
asked by every view, service, form, selector, export, the offline package and the admin.

Plain functions over (user, object) that cost no query when the group's ``regency`` is loaded
(a docstring says so when one does). ``selectors.groups_visible_to`` is ``may_see_group`` as a
query filter (``_region_filter``); the two are kept equal by ``tests/core/test_personal_data.py``.
``user=None`` is the system (demo data, imports), which acts as ``SYSTEM``.
"""

from __future__ import annotations

from programs.policy import acts_for_program
from recipients.models import RecipientGroup, State
from recipients.workflow import DISTRICT, PROVINCE

SYSTEM = "system"
# After approval a group is corrected only by an OPD officer acting for the approved program.
LOCKED_STATES = (State.APPROVED, State.DELIVERED)



def may_see_group(user, group: RecipientGroup) -> bool:
    """The group is in the user's scope: their regency *and* the kind their office verifies
    (district staff), their province (coordinator and OPD officers), anywhere (national admin)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_national_admin:
        return True
    if user.is_district_staff:
        return group.regency_id == user.regency_id and group.kind == user.district_office
    if user.is_provincial or user.is_auditor:  # a national auditor (no province) reads every province
        return group.province_id == user.province_id or (user.is_auditor and user.province_id is None)
    return False


def may_see_nik(user, group: RecipientGroup) -> bool:
    """A full NIK only for the district office that verifies the group (its regency and kind);
    everyone else, the province and the national admin included, sees it masked."""
    return bool(getattr(user, "is_district_staff", False)) and may_see_group(user, group)


def mask_nik(nik: str) -> str:
    """``3604••••••••0102``: the region and the serial, as the group page shows it."""
    if not nik:
        return nik
    return f"{nik[:4]}{'•' * 8}{nik[-4:]}" if len(nik) == 16 else ("•" * len(nik))


def shown_nik(user, group: RecipientGroup, nik: str) -> str:
    """``nik`` as this user may see it on ``group``."""
    return nik if may_see_nik(user, group) else mask_nik(nik)


# --- Acting on groups and applications ---------------------------------------------------------


def role_of(user) -> str | None:
    """The side a user acts for in verification: the district office (``DISTRICT``), an OPD
    officer of the province (``PROVINCE``), or none (they read only)."""
    if getattr(user, "is_district_staff", False):
        return DISTRICT
    if getattr(user, "is_provincial_officer", False):
        return PROVINCE
    return None


def reads_recipients(user) -> bool:
    """The staff pages of groups and applications: the national admin, the province's
    coordinator, OPD officers and auditors, district staff (each within their scope)."""
    return bool(getattr(user, "is_national_admin", False) or getattr(user, "is_provincial", False)
                or getattr(user, "is_district_staff", False) or getattr(user, "is_auditor", False))


def registers_groups(user) -> bool:
    """Registering, importing and field-checking groups: a district office (in its regency, for
    the kind it verifies)."""
    return bool(getattr(user, "is_district_staff", False))


def decides_duplicates(user) -> bool:
    """Deciding look-alike pairs: an OPD officer (for the sides its OPD acts for)."""
    return bool(getattr(user, "is_provincial_officer", False))


def reads_access_log(user) -> bool:
    """Who saw whose data, data requests, retention runs: the province's data-protection officer
    and the national admin."""
    return bool(getattr(user, "is_data_protection_officer", False) or getattr(user, "is_national_admin", False))


def acts_in_verification(user) -> bool:
    """Writes are for district staff and OPD officers; the national admin and the coordinator read."""
    return role_of(user) is not None


def may_act_on(user, group: RecipientGroup, roles=(DISTRICT, PROVINCE)) -> str | None:
    """The role with which ``user`` may act on ``group`` (the district office of its regency that
    verifies its kind, an OPD officer of its province), or None. ``user=None`` is the system
    (demo data, imports)."""
    if user is None:
        return SYSTEM
    role = role_of(user)
    if (role == DISTRICT and DISTRICT in roles and user.regency_id == group.regency_id
            and user.district_office == group.kind):
        return role
    if role == PROVINCE and PROVINCE in roles and user.province_id == group.regency.parent_id:
        return role
    return None


def may_act_on_application(user, application) -> str | None:
    """As ``may_act_on`` for the application's group; an OPD officer also only for programs
    their OPD runs in that province (``programs.policy.acts_for_program``)."""
    role = may_act_on(user, application.group)
    if role == PROVINCE and not acts_for_program(user, application.program, application.group.regency.parent_id):
        return None
    return role


def may_edit_group(user, group: RecipientGroup) -> bool:
    """The group's district office while no application of it is approved; after approval only an
    OPD officer acting for an approved application's program. One query."""
    approved = list(group.applications.filter(state__in=LOCKED_STATES).select_related("program__agency"))
    if not approved:
        return may_act_on(user, group, roles=(DISTRICT,)) is not None
    return any(may_act_on_application(user, a) in (PROVINCE, SYSTEM) for a in approved)


def may_withhold_name(user, group: RecipientGroup) -> bool:
    """The province decides what it publishes: its coordinator or an OPD officer of the group's
    province (no query; ``group.regency`` loaded)."""
    return bool(getattr(user, "is_provincial", False) and user.province_id == group.regency.parent_id)

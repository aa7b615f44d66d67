"""Who may change which money: plain functions over (user, object), asked by the rules, the
services, the views, the forms, the admin, the API and the recipients app alike. No query
unless a docstring says so; ``user=None`` is the system (demo data, imports)."""

from __future__ import annotations

from django.db.models import Q

from programs.models import Agency, Program

# A national program's money in a province (Kemenperin deconcentration) is run there by the
# province's industry office.
INDUSTRY_KINDS = frozenset({Agency.Kind.DISPERINDAG, Agency.Kind.DISPERIN})


def sees_province_budgets(user) -> bool:
    """The ceilings of one province on the staff dashboard: its coordinator, OPD officers and
    district staff and auditors (the national admin and a national auditor see the national
    overview instead)."""
    return bool(getattr(user, "is_provincial", False) or getattr(user, "is_district_staff", False)
                or (getattr(user, "is_auditor", False) and user.province_id is not None))


def can_set_budget(user, province_id: int | None) -> bool:
    """Ceilings and allocations: the province's budget coordinator; ``user=None`` is the system."""
    if user is None:
        return True
    return bool(getattr(user, "is_coordinator", False) and province_id is not None
                and user.province_id == province_id)


def acts_for_agency(user, agency_id: int | None, agency_level: str | None, province_id: int | None) -> bool:
    """Programs, realizations, approvals and deliveries of one OPD: that OPD's officers; for a
    national body's program in ``province_id``, the industry office of that province."""
    if user is None:
        return True
    if not getattr(user, "is_provincial_officer", False) or agency_id is None:
        return False
    if user.agency_id == agency_id:
        return True
    return (agency_level == Agency.Level.NATIONAL and province_id is not None
            and user.province_id == province_id and user.agency.kind in INDUSTRY_KINDS)


def programs_run_by(user, prefix: str = ""):
    """``acts_for_agency`` as a filter: a Q over ``{prefix}program`` for the programs the OPD
    officer acts for (their OPD's; national ones too for an industry office, within the
    province the caller's queryset is already scoped to)."""
    own = Q(**{f"{prefix}program__agency_id": user.agency_id})
    if user.agency.kind in INDUSTRY_KINDS:
        own |= Q(**{f"{prefix}program__agency__level": Agency.Level.NATIONAL})
    return own


def acts_for_program(user, program: Program, province_id: int | None = None) -> bool:
    return acts_for_agency(user, program.agency_id, program.agency.level,
                           program.agency.province_id if province_id is None else province_id)

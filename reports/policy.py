"""Who may do what in the reporting app: plain functions over (user, object), no query."""

from __future__ import annotations


def may_refresh_rollup(user, province=None) -> bool:
    """"Refresh now": the national admin anywhere; a province's coordinator or OPD officer, on
    their own province's page (``province`` None: anywhere they may press it)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if getattr(user, "is_national_admin", False):
        return province is None
    return bool(getattr(user, "is_provincial", False) and (province is None or user.province_id == province.pk))


def sees_opd_absorption(user) -> bool:
    """Absorption of their own OPD's allocations: an OPD officer."""
    return bool(getattr(user, "is_provincial_officer", False))


def sees_province_absorption(user) -> bool:
    """Absorption of every OPD in their province: the province's budget coordinator."""
    return bool(getattr(user, "is_coordinator", False))


def sees_national_overview(user) -> bool:
    """Absorption by province and the rollup's health: the national admin."""
    return bool(getattr(user, "is_national_admin", False))


def prints_realization(user, province=None) -> bool:
    """The realization report (and its monthly e-mail): the national admin for any province; a
    province's budget coordinator and OPD officers for their own (``province`` None: anywhere
    they may)."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return False
    if getattr(user, "is_national_admin", False):
        return True
    if not (getattr(user, "is_coordinator", False) or getattr(user, "is_provincial_officer", False)):
        return False
    return province is None or user.province_id == province.pk


# --- Red-flag cases (reports.flags, reports.cases) ----------------------------------------------


def _in_flag_province(user, flag) -> bool:
    return user.province_id is None or user.province_id in flag.provinces


def reads_flags(user) -> bool:
    """The red-flag cases: auditors, the national admin, a province's coordinator (its province)
    and OPD officers (the cases their OPD answers)."""
    return bool(getattr(user, "is_auditor", False) or getattr(user, "is_national_admin", False)
                or getattr(user, "is_provincial", False))


def sees_flag_summary(user) -> bool:
    """The cases waiting, first on the dashboard: an auditor."""
    return bool(getattr(user, "is_auditor", False))


def decides_flag(user, flag) -> bool:
    """Moving a case (review, explained, referred, dismissed): an auditor of one of the case's
    provinces, or a national auditor."""
    return bool(getattr(user, "is_auditor", False) and _in_flag_province(user, flag))


def answers_flag(user, flag) -> bool:
    """An answer with documents: an officer of an OPD the case names, in one of its provinces,
    while the case is open or under review."""
    return bool(getattr(user, "is_provincial_officer", False) and user.agency_id in flag.agencies
                and user.province_id in flag.provinces and flag.state in ("open", "review"))


def sees_flag_nik(user, flag) -> bool:
    """The full NIK behind a case, on its page only (each showing logged): its auditor."""
    return decides_flag(user, flag)

"""Who may see which groups and applications: decided here, once.

- district staff: groups of their regency;
- provincial officer: groups of their province;
- national admin: everything, read-only;
- anyone else (the public): nothing, ever.
"""

from __future__ import annotations

from django.db.models import Count, Q, Sum

from core.models import Region
from recipients.models import (
    Application,
    ApplicationRollup,
    DuplicateFlag,
    Evidence,
    ImportBatch,
    RecipientGroup,
    State,
)
from recipients.workflow import DISTRICT, FUNNEL, PROVINCE, WAITING_FOR, role_of


def _region_filter(user, regency_field: str) -> Q | None:
    """Q over the regency field for the user's scope; None means no rows at all."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if user.is_national_admin:
        return Q()
    if user.is_district_staff:
        return Q(**{f"{regency_field}_id": user.regency_id})
    if user.is_provincial_officer:
        return Q(**{f"{regency_field}__parent_id": user.province_id})
    return None


def regencies_visible_to(user):
    """Kabupaten/kota in the user's scope (filters, import checks)."""
    regencies = Region.objects.regencies()
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return regencies.none()
    if user.is_national_admin:
        return regencies
    if user.is_district_staff:
        return regencies.filter(pk=user.regency_id)
    if user.is_provincial_officer:
        return regencies.filter(parent_id=user.province_id)
    return regencies.none()


def may_act_on(user, group: RecipientGroup, roles=(DISTRICT, PROVINCE)) -> str | None:
    """The role with which ``user`` may act on ``group`` (its own regency's district staff, its
    province's officer), or None. ``user=None`` is the system (demo data, imports)."""
    if user is None:
        return "system"
    role = role_of(user)
    if role == DISTRICT and DISTRICT in roles and user.regency_id == group.regency_id:
        return role
    if role == PROVINCE and PROVINCE in roles and user.province_id == group.regency.parent_id:
        return role
    return None


def groups_visible_to(user):
    scope = _region_filter(user, "regency")
    qs = RecipientGroup.objects.select_related("regency")
    return qs.none() if scope is None else qs.filter(scope)


def applications_visible_to(user):
    scope = _region_filter(user, "group__regency")
    qs = Application.objects.select_related("group__regency", "program__agency")
    return qs.none() if scope is None else qs.filter(scope)


def evidence_visible_to(user):
    scope = _region_filter(user, "step__application__group__regency")
    return Evidence.objects.none() if scope is None else Evidence.objects.filter(scope)


def imports_visible_to(user):
    if not getattr(user, "is_authenticated", False):
        return ImportBatch.objects.none()
    return ImportBatch.objects.filter(created_by=user)


def duplicates_visible_to(user):
    scope = _region_filter(user, "application__group__regency")
    qs = DuplicateFlag.objects.select_related(
        "application__group__regency", "application__program", "other__group__regency", "other__program"
    )
    return qs.none() if scope is None else qs.filter(scope)


def with_visible_pairs(user, flags):
    """The flags, each with ``other_visible``: whether the user may see who the look-alike is.

    District staff see a look-alike only inside their own regency; elsewhere it is "needs
    province review", with no name, regency or reason that would reveal another regency's group
    (or confirm that a NIK is registered there). The province and the national admin see pairs.
    No queries: uses ``other__group`` loaded with the flags.
    """
    flags = list(flags)
    for flag in flags:
        flag.other_visible = not getattr(user, "is_district_staff", False) or (
            flag.other.group.regency_id == user.regency_id
        )
    return flags


def who_acts_next(application, to_state: str):
    """The users who must act once ``application`` reaches ``to_state`` (for notifications):
    its regency's district staff after a return; after the field check, its province's officers
    of the program's OPD (all of the province's officers when that OPD has none). 1 query."""
    from accounts.models import User

    group = application.group
    if to_state == State.RETURNED:
        return list(User.objects.filter(role=User.Role.DISTRICT_STAFF, regency_id=group.regency_id, is_active=True))
    if to_state == State.FIELD_CHECKED:
        return province_officers(group.regency.parent_id, agency_id=application.program.agency_id)
    return []


def province_officers(province_id: int, agency_id: int | None = None):
    from accounts.models import User

    officers = list(User.objects.filter(role=User.Role.PROVINCIAL_OFFICER, province_id=province_id, is_active=True))
    own = [u for u in officers if agency_id is not None and u.agency_id == agency_id]
    return own or officers


def queue_for(user):
    """Applications waiting for this user's role, in their scope (the "what waits for me" list)."""
    role = role_of(user)
    if role is None:
        return Application.objects.none()
    return applications_visible_to(user).filter(state__in=WAITING_FOR[role])


def with_return_reason(applications):
    """Annotate ``return_reason``: the note of the latest return, for returned applications
    (a correlated subquery in the same query, so list pages keep their query count)."""
    from django.db.models import OuterRef, Subquery

    from recipients.models import VerificationStep

    latest = VerificationStep.objects.filter(application=OuterRef("pk"), to_state=State.RETURNED).order_by(
        "-created_at", "-id").values("note")[:1]
    return applications.annotate(return_reason=Subquery(latest))


def waiting_summary(user) -> list[dict]:
    """What waits for the user's role, per state and program, oldest first. One GROUP BY."""
    from django.db.models import Min

    rows = (queue_for(user).values("state", "program_id", "program__name")
            .annotate(n=Count("id"), oldest=Min("updated_at")).order_by("oldest")[:20])
    return [{**row, "label": State(row["state"]).label} for row in rows]


def latest_returns(user, limit: int = 5):
    """The latest returns for correction in the user's scope, with their reasons. One query."""
    from recipients.models import VerificationStep

    scope = _region_filter(user, "application__group__regency")
    if scope is None:
        return []
    return list(VerificationStep.objects.filter(scope, to_state=State.RETURNED)
                .select_related("application__group", "application__program", "actor")
                .order_by("-created_at", "-id")[:limit])


def may_see_nik(user, group: RecipientGroup) -> bool:
    """Full NIK only for the group's own district staff."""
    return bool(getattr(user, "is_district_staff", False) and user.regency_id == group.regency_id)


def mask_nik(nik: str) -> str:
    return f"{nik[:4]}{'•' * 8}{nik[-4:]}" if len(nik) == 16 else ("•" * len(nik))


def funnel(province=None, program=None, regency=None, year: int | None = None) -> list[dict]:
    """Groups and beneficiaries per verification state from the rollup. One query."""
    rows = ApplicationRollup.objects.all()
    if province is not None:
        rows = rows.filter(province=province)
    if program is not None:
        rows = rows.filter(program=program)
    if regency is not None:
        rows = rows.filter(regency=regency)
    if year:
        rows = rows.filter(fiscal_year=year)
    by_state = {
        r["state"]: r
        for r in rows.values("state").annotate(groups_n=Sum("groups"), people=Sum("beneficiaries"))
    }
    order = [*FUNNEL, State.RETURNED, State.REJECTED]
    rows = [
        {
            "key": state,
            "label": str(State(state).label),
            "groups": by_state.get(state, {}).get("groups_n") or 0,
            "beneficiaries": by_state.get(state, {}).get("people") or 0,
        }
        for state in order
    ]
    # "Reached at least this step" along the main path: a delivered group passed every check.
    running = 0
    for row in reversed(rows[: len(FUNNEL)]):
        running += row["groups"]
        row["reached"] = running
    for row in rows[len(FUNNEL):]:
        row["reached"] = row["groups"]
    return rows


def state_counts(queryset) -> dict[str, int]:
    return dict(queryset.order_by().values_list("state").annotate(n=Count("id")))


def groups_per_regency(program) -> list[dict]:
    """Counts only: groups per regency and state for one program, from the rollup. One query."""
    table: dict[str, dict] = {}
    for row in (
        ApplicationRollup.objects.filter(program=program)
        .values("regency__name", "state")
        .annotate(n=Sum("groups"))
        .order_by("regency__name")
    ):
        entry = table.setdefault(row["regency__name"], {"label": row["regency__name"], "total": 0})
        entry[row["state"]] = row["n"]
        entry["total"] += row["n"]
    return list(table.values())

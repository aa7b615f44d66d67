"""Reads: which groups and applications each user sees (as query filters), queues, histories.
Who may *act* on them is ``recipients/policy.py``.

- district staff: groups of their regency of the kind their office verifies (Disperindag
  kab/kota: IKM groups; Dinsos kab/kota: KPM families), and those groups' applications;
- coordinator and OPD officers: their province's groups and applications (read); an OPD
  officer acts only on applications to programs of their OPD (``policy.may_act_on_application``);
- national admin: everything, read-only;
- anyone else (the public): nothing, ever.
"""

from __future__ import annotations

from django.db.models import Count, Min, OuterRef, Q, Subquery
from django.utils.translation import gettext as _

from accounts.models import User
from core.history import history_user_names, record_history
from core.models import Region
from programs.policy import acts_for_program, programs_run_by
from recipients import policy
from recipients.models import (
    Application,
    DuplicateFlag,
    Evidence,
    ExportJob,
    ImportBatch,
    Member,
    RecipientGroup,
    State,
    VerificationStep,
)
from recipients.workflow import PROVINCE, WAITING_FOR


def _region_filter(user, regency_field: str) -> Q | None:
    """Q over the group's regency (``…regency``) for the user's scope; None means no rows at all."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if user.is_national_admin:
        return Q()
    if user.is_district_staff:
        group = regency_field.removesuffix("regency")
        return Q(**{f"{regency_field}_id": user.regency_id, f"{group}kind": user.district_office})
    if user.is_provincial or user.is_auditor:  # the group's own province column (indexed), not a join
        if user.is_auditor and user.province_id is None:  # a national inspectorate: every province
            return Q()
        group = regency_field.removesuffix("regency")
        return Q(**{f"{group}province_id": user.province_id})
    return None


def regencies_visible_to(user):
    """Kabupaten/kota in the user's scope (filters, import checks)."""
    regencies = Region.objects.regencies()
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return regencies.none()
    if user.is_national_admin or (user.is_auditor and user.province_id is None):
        return regencies
    if user.is_district_staff:
        return regencies.filter(pk=user.regency_id)
    if user.is_provincial or user.is_auditor:
        return regencies.filter(parent_id=user.province_id)
    return regencies.none()


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


def exports_visible_to(user):
    """Export files are the creator's own: built in their scope, for them."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return ExportJob.objects.none()
    return ExportJob.objects.filter(created_by=user)


def duplicates_visible_to(user):
    scope = _region_filter(user, "application__group__regency")
    qs = DuplicateFlag.objects.select_related(
        "application__group__regency", "application__program", "other__group__regency", "other__program"
    )
    return qs.none() if scope is None else qs.filter(scope)


def with_visible_pairs(user, flags):
    """The flags, each with ``other_visible``: whether the user may see who the look-alike is.

    Only when the look-alike's group is in the user's own scope (``policy.may_see_group``: for
    district staff their regency *and* kind). Otherwise it is "needs province review", with no
    name, program, regency or reason that would reveal another office's group or family (or
    confirm that a NIK is registered there). No queries: uses ``other__group`` loaded with the flags.
    """
    flags = list(flags)
    for flag in flags:
        flag.other_visible = policy.may_see_group(user, flag.other.group)
    return flags


def who_acts_next(application, to_state: str):
    """The users to tell once ``application`` reaches ``to_state``: after a return or an
    approval, the district office of its regency and kind; after the field check, the officers
    acting for the program (``province_officers``). 1 query."""
    group = application.group
    if to_state in (State.RETURNED, State.APPROVED):  # to correct it, or to tell the group
        return list(User.objects.filter(role=User.Role.DISTRICT_STAFF, regency_id=group.regency_id,
                                        district_office=group.kind, is_active=True))
    if to_state == State.FIELD_CHECKED:
        return province_officers(group.regency.parent_id, application.program)
    return []


def province_officers(province_id: int, program):
    """The OPD officers who act for ``program`` in the province; its budget coordinators when
    no such officer exists yet (they invite one). One query."""
    staff = list(User.objects.filter(role__in=[User.Role.PROVINCIAL_OFFICER, User.Role.COORDINATOR],
                                     province_id=province_id, is_active=True).select_related("agency"))
    officers = [u for u in staff if u.is_provincial_officer and acts_for_program(u, program, province_id)]
    return officers or [u for u in staff if u.is_coordinator]


def queue_for(user):
    """Applications waiting for this user's role, in their scope (the "what waits for me" list)."""
    role = policy.role_of(user)
    if role is None:
        return Application.objects.none()
    waiting = applications_visible_to(user).filter(state__in=WAITING_FOR[role])
    return waiting.filter(programs_run_by(user)) if role == PROVINCE else waiting


def with_return_reason(applications):
    """Annotate ``return_reason``: the note of the latest return, for returned applications
    (a correlated subquery in the same query, so list pages keep their query count)."""
    latest = VerificationStep.objects.filter(application=OuterRef("pk"), to_state=State.RETURNED).order_by(
        "-created_at", "-id").values("note")[:1]
    return applications.annotate(return_reason=Subquery(latest))


def waiting_summary(user) -> list[dict]:
    """What waits for the user's role, per state and program, oldest first. One GROUP BY."""
    rows = (queue_for(user).values("state", "program_id", "program__name")
            .annotate(n=Count("id"), oldest=Min("updated_at")).order_by("oldest")[:20])
    return [{**row, "label": State(row["state"]).label} for row in rows]


def latest_returns(user, limit: int = 5):
    """The latest returns for correction in the user's scope, with their reasons. One query."""
    scope = _region_filter(user, "application__group__regency")
    if scope is None:
        return []
    if policy.role_of(user) == PROVINCE:
        scope &= programs_run_by(user, "application__")
    return list(VerificationStep.objects.filter(scope, to_state=State.RETURNED)
                .select_related("application__group", "application__program", "actor")
                .order_by("-created_at", "-id")[:limit])


GROUP_HISTORY_FIELDS = ("name", "sector", "kecamatan", "desa", "leader_name", "leader_nik", "contact_phone", "nib",
                        "members_count")


def group_history(group: RecipientGroup, *, show_nik: bool) -> list[dict]:
    """Every change of a group and of its members, newest first, old → new, with who and when;
    NIKs masked unless ``show_nik``. Four queries (group snapshots, member events, their users)."""
    labels = {f.name: f.verbose_name for f in RecipientGroup._meta.fields}
    nik = (lambda v: v) if show_nik else policy.mask_nik
    entries = []
    for entry in record_history(group, fields=GROUP_HISTORY_FIELDS):
        if entry["created"]:
            continue  # the registration itself; the group page shows what it is now
        entry["changes"] = [(labels[f], nik(o) if f == "leader_nik" else o, nik(n) if f == "leader_nik" else n)
                            for f, o, n in entry["changes"]]
        entry["verb"] = _("mengubah")
        entries.append(entry)
    events = list(Member.pgh_event_model.objects.filter(group_id=group.pk).select_related("pgh_context")
                  .order_by("pgh_id"))
    names = history_user_names(events)
    previous: dict[int, object] = {}
    roles = dict(Member.Role.choices)
    for e in events:
        before = previous.get(e.pgh_obj_id)
        previous[e.pgh_obj_id] = e
        if e.pgh_label == "insert" and not e.pgh_context:
            continue  # registered with the group
        who = names.get(e.pgh_context.metadata.get("user")) if e.pgh_context else None
        label = f"{_('Anggota')} {nik(e.nik)}"
        now = f"{e.name} ({roles.get(e.role, e.role)})"
        # An added or removed member is one value (old is None), a changed one old → new.
        if e.pgh_label == "insert":
            verb, change = _("menambah anggota"), (label, None, now)
        elif e.pgh_label == "delete":
            verb, change = _("menghapus anggota"), (label, None, now)
        else:
            old = f"{before.name} ({roles.get(before.role, before.role)})" if before else "?"
            verb, change = _("mengubah anggota"), (label, old, now)
        entries.append({"when": e.pgh_created_at, "who": who, "created": False, "verb": verb, "changes": [change],
                        "reason": ""})
    entries.sort(key=lambda x: x["when"], reverse=True)
    return entries


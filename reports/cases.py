"""Red-flag cases: who sees which, the moves an auditor makes, the OPD's answer, the evidence
behind a case, and the public counts.

A case is raised and closed by ``reports.flags.compute``; here it moves as a state machine
(``TRANSITIONS``), one service per move that locks the case and refuses any other move, with
every step kept as a ``FlagEvent``. The responsible OPD is told when a case is opened for review
and when it is decided; the auditors when the OPD answers.
"""

from __future__ import annotations

import hashlib

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import User
from accounts.notifications import notify
from core.models import Region
from programs.models import Agency, Allocation, Program, Realization
from recipients import access
from recipients.evidence import check as evidence_check
from recipients.models import Application, Member, PersonalDataView, RecipientGroup, VerificationStep
from recipients.policy import mask_nik, may_see_group
from reports import flags, policy
from reports.models import Flag, FlagDocument, FlagEvent

S = Flag.State
# The auditor's moves: state → the states it may go to. A referral is final; an explained or
# dismissed case may be taken up again.
TRANSITIONS = {
    S.OPEN: {S.REVIEW, S.EXPLAINED, S.REFERRED, S.DISMISSED},
    S.REVIEW: {S.EXPLAINED, S.REFERRED, S.DISMISSED},
    S.EXPLAINED: {S.REVIEW},
    S.DISMISSED: {S.REVIEW},
    S.REFERRED: set(),
    S.CLOSED: set(),
}
OPEN_STATES = (S.OPEN, S.REVIEW)


class StaleCase(ValidationError):
    """The case moved since the page was loaded."""


# --- Reads -------------------------------------------------------------------------------------------


def flags_visible_to(user):
    """The cases ``user`` reads: every one for the national admin and a national auditor; those
    touching their province for its auditor and coordinator; those their OPD answers for an OPD
    officer."""
    qs = Flag.objects.select_related("province")
    if not getattr(user, "is_authenticated", False) or not user.is_active or not policy.reads_flags(user):
        return qs.none()
    if user.is_national_admin or (user.is_auditor and user.province_id is None):
        return qs
    mine = Q(provinces__overlap=[user.province_id])
    if user.is_provincial_officer:
        mine &= Q(agencies__overlap=[user.agency_id])
    return qs.filter(mine)


def counts_by_state(flag_qs) -> dict[str, int]:
    """{state: n} of a list of cases. One query."""
    return dict(flag_qs.order_by().values_list("state").annotate(n=Count("id")))


def public_counts(province: Region | None = None) -> list[dict]:
    """Per province and indicator: raised, open (open or under review), explained, referred,
    dismissed, closed by a change of data. Counts only, never a record. One query."""
    qs = Flag.objects.all() if province is None else Flag.objects.filter(province=province)
    rows = (qs.order_by().values("province__code", "province__name", "indicator")
            .annotate(raised=Count("id"), open=Count("id", filter=Q(state__in=OPEN_STATES)),
                      explained=Count("id", filter=Q(state=S.EXPLAINED)),
                      referred=Count("id", filter=Q(state=S.REFERRED)),
                      dismissed=Count("id", filter=Q(state=S.DISMISSED)),
                      closed=Count("id", filter=Q(state=S.CLOSED)))
            .order_by("province__code", "indicator"))
    return [{**row, "title": str(flags.BY_CODE[row["indicator"]].title)} for row in rows
            if row["indicator"] in flags.BY_CODE]


def _link(name, pk, visible=True):
    return reverse(name, args=[pk]) if visible else None


def evidence(flag: Flag, user, *, path: str = "") -> dict:
    """The records behind a case, each with a label and its staff page where ``user`` may open
    it; the NIKs a case is about, in full for its auditor (each showing logged in the access
    log) and masked for everyone else. About 8 queries."""
    ev = flag.evidence or {}
    groups = list(RecipientGroup.objects.filter(pk__in=ev.get("groups", [])).select_related("regency", "province")
                  .order_by("pk"))
    out = {"groups": [], "applications": [], "members": [], "steps": [], "realizations": [], "allocations": [],
           "programs": [], "agencies": [], "niks": []}
    for g in groups:
        out["groups"].append({"label": g.name, "where": g.regency.name, "kind": g.get_kind_display(),
                              "url": _link("recipients:group-detail", g.pk, may_see_group(user, g))})
    apps = Application.objects.filter(pk__in=ev.get("applications", [])).select_related(
        "group__regency", "program__agency").order_by("pk")
    for a in apps:
        out["applications"].append({
            "label": f"{a.group.name} · {a.program.name} ({a.program.fiscal_year}, {a.program.agency.short_name})",
            "state": a.get_state_display(), "sk": a.sk_number,
            "url": _link("recipients:application-detail", a.pk, may_see_group(user, a.group))})
    steps = VerificationStep.objects.filter(pk__in=ev.get("steps", [])).select_related(
        "application__group__regency", "actor").order_by("pk")
    for s in steps:
        out["steps"].append({
            "label": f"{s.get_to_state_display()} · {timezone.localtime(s.created_at):%d-%m-%Y %H:%M}",
            "sk": s.sk_number, "sk_date": s.sk_date, "handover_date": s.handover_date,
            "actor": s.actor.get_username() if s.actor else _("sistem"),
            "url": _link("recipients:application-detail", s.application_id, may_see_group(user, s.application.group))})
    allocation_ids = set(ev.get("allocations", []))
    realizations = Realization.objects.filter(pk__in=ev.get("realizations", [])).select_related(
        "allocation__program").order_by("pk")
    for r in realizations:
        allocation_ids.add(r.allocation_id)
        out["realizations"].append({"label": f"{r.date:%d-%m-%Y} · {r.description}", "amount": r.amount,
                                    "url": _link("programs:allocation-detail", r.allocation_id)})
    for al in Allocation.objects.filter(pk__in=allocation_ids).select_related(
            "program__agency", "regency", "ceiling__province").order_by("pk"):
        out["allocations"].append({
            "label": f"{al.program.name} ({al.program.fiscal_year}, {al.program.agency.short_name}) · "
                     f"{al.regency.name if al.regency_id else al.ceiling.province.name}",
            "amount": al.amount, "url": _link("programs:allocation-detail", al.pk)})
    for p in Program.objects.filter(pk__in=ev.get("programs", [])).select_related("agency").order_by("pk"):
        out["programs"].append({"label": f"{p.name} ({p.fiscal_year}, {p.agency.short_name})",
                                "url": _link("reports:program-detail", p.pk)})
    if ev.get("agency"):
        agency = Agency.objects.filter(pk=ev["agency"]).first()
        if agency:
            out["agencies"].append({"label": agency.name, "url": _link("reports:agency-detail", agency.pk)})
    out["niks"] = _niks(flag, user, groups, ev, path)
    return out


def _niks(flag: Flag, user, groups, ev, path) -> list[dict]:
    """The persons a NIK case is about: the NIK shared by the case's groups (R01), or the
    members named (R02, R03); in full for the case's auditor, with the showing logged."""
    full = policy.sees_flag_nik(user, flag)
    if flag.indicator not in ("R01", "R02", "R03") or not groups:
        return []
    members = Member.objects.filter(group__in=groups).select_related("group").order_by("group_id", "pk")
    if ev.get("members"):
        members = members.filter(pk__in=ev["members"])
    rows = [(m.nik, m.group) for m in members] + [(g.leader_nik, g) for g in groups if g.leader_nik]
    if flag.indicator == "R01":
        if flag.measure.get("what") != "nik":
            return []
        by_nik: dict[str, set] = {}
        for nik, g in rows:
            by_nik.setdefault(nik, set()).add(g.pk)
        key = flag.key.rsplit(":", 1)[-1]
        rows = [(nik, g) for nik, g in rows if hashlib.md5(nik.encode()).hexdigest() == key]  # noqa: S324
    seen, out = set(), []
    for nik, g in rows:
        if (nik, g.pk) in seen:
            continue
        seen.add((nik, g.pk))
        out.append({"nik": nik if full else mask_nik(nik), "group": g.name})
    if out and full:
        access.record(viewer=user, where=PersonalDataView.Where.FLAG, group_ids=[g.pk for _n, g in rows],
                      path=path, members=True)
    return out


# --- Moves -------------------------------------------------------------------------------------------


def _lock(flag: Flag, expected_version: int | None) -> Flag:
    locked = Flag.objects.select_for_update().get(pk=flag.pk)
    if expected_version is not None and locked.version != expected_version:
        raise StaleCase(_("Temuan ini sudah diubah orang lain (sekarang: %(state)s). Muat ulang halaman.")
                        % {"state": S(locked.state).label}, code="stale")
    return locked


def _officers(flag: Flag):
    return User.objects.filter(role=User.Role.PROVINCIAL_OFFICER, agency_id__in=flag.agencies,
                               province_id__in=flag.provinces, is_active=True)


def _auditors(flag: Flag):
    return User.objects.filter(Q(province_id__in=flag.provinces) | Q(province__isnull=True),
                               role=User.Role.AUDITOR, is_active=True)


@transaction.atomic
def flag_decide(*, flag: Flag, actor, to_state: str, text: str = "", expected_version: int | None = None) -> Flag:
    """An auditor moves a case. Refuses a move the state machine does not allow, a move without
    its reason, an explanation without an answer of the OPD, and a case moved meanwhile."""
    flag = _lock(flag, expected_version)
    if not policy.decides_flag(actor, flag):
        raise PermissionDenied(_("Hanya auditor wilayah temuan ini yang dapat memutuskannya."))
    if to_state not in TRANSITIONS.get(flag.state, set()):
        raise ValidationError(_("Tidak bisa dari “%(from)s” ke “%(to)s”.")
                              % {"from": S(flag.state).label, "to": S(to_state).label if to_state in S.values
                                 else to_state})
    text = (text or "").strip()
    if not text and (to_state in (S.REFERRED, S.DISMISSED) or (to_state == S.REVIEW and flag.state != S.OPEN)):
        raise ValidationError({"text": _("Tulis alasannya.")})
    if to_state == S.EXPLAINED and not flag.events.filter(kind=FlagEvent.Kind.ANSWER).exists():
        raise ValidationError(_("Belum ada jawaban OPD: minta penjelasan dulu (Periksa), atau kesampingkan dengan "
                                "alasan."))
    now = timezone.now()
    FlagEvent.objects.create(flag=flag, kind=FlagEvent.Kind.DECISION, actor=actor, from_state=flag.state,
                             to_state=to_state, text=text, created_at=now)
    flag.state, flag.version = to_state, flag.version + 1
    flag.decided_at = None if to_state == S.REVIEW else now
    flag.save(update_fields=["state", "version", "decided_at"])
    url = reverse("reports:flag-detail", args=[flag.pk])
    message = (gettext_noop("Temuan %(code)s #%(id)s menunggu penjelasan OPD Anda.") if to_state == S.REVIEW
               else gettext_noop("Temuan %(code)s #%(id)s diputuskan: %(state)s."))
    notify(users=_officers(flag), kind="flag", message=message,
           params={"code": flag.indicator, "id": flag.pk, "state": str(S(to_state).label)}, url=url)
    return flag


@transaction.atomic
def flag_answer(*, flag: Flag, actor, text: str, documents=(), expected_version: int | None = None) -> FlagEvent:
    """The OPD answers a case, with documents (PDF, JPEG, PNG, checked by content); the state
    does not change: the auditor decides."""
    flag = _lock(flag, expected_version)
    if not policy.answers_flag(actor, flag):
        raise PermissionDenied(_("Temuan ini tidak ditujukan kepada OPD Anda, atau sudah diputuskan."))
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Tulis penjelasan OPD.")})
    checked = [(upload, evidence_check(upload)) for upload in documents]
    event = FlagEvent.objects.create(flag=flag, kind=FlagEvent.Kind.ANSWER, actor=actor, from_state=flag.state,
                                     to_state=flag.state, text=text, created_at=timezone.now())
    for upload, content_type in checked:
        FlagDocument.objects.create(event=event, file=upload, original_name=upload.name[:200],
                                    content_type=content_type, size=upload.size)
    flag.version += 1
    flag.save(update_fields=["version"])
    notify(users=_auditors(flag), kind="flag", message=gettext_noop("OPD menjawab temuan %(code)s #%(id)s."),
           params={"code": flag.indicator, "id": flag.pk}, url=reverse("reports:flag-detail", args=[flag.pk]))
    return event


def documents_visible_to(user):
    return FlagDocument.objects.filter(event__flag__in=flags_visible_to(user))

"""Writes to applications: proposals (one by one, or many from an import in set-based
statements), look-alike flags and their decision, and the verification moves, which follow
``recipients.workflow.TRANSITIONS`` and nothing else. Scope is checked again in every service."""


import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import Notification
from accounts.notifications import notify
from ledger import entries as ledger
from programs import services as budget_services
from programs.models import Allocation, Program, Realization
from recipients.evidence import check as evidence_check
from recipients.models import (
    Application,
    DuplicateFlag,
    Evidence,
    RecipientGroup,
    State,
    VerificationStep,
)
from recipients.policy import SYSTEM, may_act_on_application
from recipients.selectors import province_officers, who_acts_next
from recipients.services.groups import _ensure_group_scope
from recipients.workflow import PROVINCE, TRANSITIONS


def _flag_duplicates(application: Application) -> int:
    """Flag both applications when the same group seems proposed twice in one fiscal year."""
    group = application.group
    same_group = Q(group__regency_id=group.regency_id, group__normalized_name=group.normalized_name)
    if group.leader_nik:
        same_group |= Q(group__leader_nik=group.leader_nik)
    if group.nib:
        same_group |= Q(group__nib=group.nib)
    others = list(
        Application.objects.filter(same_group, program__fiscal_year=application.program.fiscal_year)
        .exclude(pk=application.pk)
        .exclude(state=State.REJECTED)
        .select_related("group")
    )
    return _flag_pairs({application.pk: (application, others)})


def _flag_duplicates_of_new(applications: list[Application], fiscal_year: int) -> int:
    """``_flag_duplicates`` for applications of groups just registered: their names are new in
    their regency (the unique constraint), so only a leader NIK or an NIB can match. One query."""
    niks = {a.group.leader_nik for a in applications if a.group.leader_nik}
    nibs = {a.group.nib for a in applications if a.group.nib}
    if not niks and not nibs:
        return 0
    candidates = list(Application.objects.filter(Q(group__leader_nik__in=niks) | Q(group__nib__in=nibs),
                                                 program__fiscal_year=fiscal_year)
                      .exclude(state=State.REJECTED).select_related("group"))
    pairs = {}
    for application in applications:
        group = application.group
        others = [c for c in candidates if c.pk != application.pk and (
            (group.leader_nik and c.group.leader_nik == group.leader_nik) or (group.nib and c.group.nib == group.nib))]
        if others:
            pairs[application.pk] = (application, others)
    return _flag_pairs(pairs)


def _flag_pairs(pairs: dict[int, tuple[Application, list[Application]]]) -> int:
    """Both flags of each (application, look-alike), the flag on every application named, and the
    officers told. ``pairs``: {application id: (application, look-alikes)}."""
    flags, flagged = [], set()
    for application, others in pairs.values():
        group = application.group
        for other in others:
            if other.group.leader_nik and other.group.leader_nik == group.leader_nik:
                reason = _("NIK ketua sama")
            elif other.group.nib and other.group.nib == group.nib:
                reason = _("NIB sama")
            else:
                reason = _("Nama kelompok dan kabupaten/kota sama")
            flags += [DuplicateFlag(application=application, other=other, reason=reason),
                      DuplicateFlag(application=other, other=application, reason=reason)]
            flagged |= {application.pk, other.pk}
    if flags:
        DuplicateFlag.objects.bulk_create(flags, ignore_conflicts=True)
        Application.objects.filter(pk__in=flagged).update(has_duplicate=True)
        for application, others in pairs.values():
            _notify_duplicate(application, others)
    return sum(len(others) for _application, others in pairs.values())


def _notify_duplicate(application: Application, others: list[Application]) -> None:
    """The officers acting for each application of the pair (in its own province), each told of
    their own side with a link to it: the item leaves their unread list when the flag is decided
    (``duplicate_resolve``) or the application moves on."""
    pairs = [application, *Application.objects.filter(pk__in=[o.pk for o in others])
             .select_related("group__regency", "program__agency")]
    told: set[int] = set()
    for side in pairs:
        users = [u for u in province_officers(side.group.regency.parent_id, side.program) if u.pk not in told]
        told |= {u.pk for u in users}
        notify(users=users, kind=Notification.Kind.DUPLICATE,
               message=gettext_noop("Indikasi penerima ganda: %(group)s (%(program)s) perlu keputusan provinsi."),
               params={"group": side.group.name, "program": side.program.name},
               url=reverse("recipients:application-detail", args=[side.pk]))


@transaction.atomic
def application_propose(*, group: RecipientGroup, program: Program, actor=None) -> Application:
    """Propose a group for a program of its province (or a national program allocated there)."""
    _check_proposal(group, program, actor)
    if Application.objects.filter(group=group, program=program).exists():
        raise ValidationError({"program": _("Kelompok ini sudah diusulkan ke program tersebut.")})
    application = Application.objects.create(group=group, program=program, created_by=actor)
    VerificationStep.objects.create(application=application, from_state=State.PROPOSED, to_state=State.PROPOSED,
                                    actor=actor, note=_("Diusulkan"))
    _flag_duplicates(application)
    return application


def applications_propose_new(*, groups: list[RecipientGroup], program: Program, actor=None) -> int:
    """``application_propose`` for many groups registered a moment ago (an import), in a few
    set-based statements: the checks once per regency and kind, the applications and their
    first steps in bulk, look-alikes in one query. Returns how many were proposed."""
    for group in {(g.regency_id, g.kind): g for g in groups}.values():
        _check_proposal(group, program, actor)
    applications = Application.objects.bulk_create(
        [Application(group=g, program=program, created_by=actor) for g in groups], batch_size=2000)
    VerificationStep.objects.bulk_create(
        [VerificationStep(application=a, from_state=State.PROPOSED, to_state=State.PROPOSED, actor=actor,
                          note=_("Diusulkan")) for a in applications], batch_size=2000)
    _flag_duplicates_of_new(applications, program.fiscal_year)
    return len(applications)


def _check_proposal(group: RecipientGroup, program: Program, actor) -> None:
    _ensure_group_scope(actor, group)
    province_id = group.regency.parent_id
    program_here = program.agency.province_id == province_id or Allocation.objects.filter(
        program=program, ceiling__province_id=province_id
    ).exists()
    if not program_here:
        raise ValidationError({"program": _("Program ini tidak berjalan di provinsi kelompok.")})
    if program.status != Program.Status.ACTIVE:
        raise ValidationError({"program": _("Program ini tidak sedang menerima usulan.")})
    if (program.target_unit == Program.Unit.FAMILIES) != (group.kind == RecipientGroup.Kind.KPM):
        # UEP and other family aid goes to KPM; aid for IKM groups never to families.
        raise ValidationError({"program": _("Program ini untuk %(unit)s; %(group)s adalah %(kind)s.") % {
            "unit": program.get_target_unit_display(), "group": group.name, "kind": group.get_kind_display()}})


def latest_return(application: Application) -> VerificationStep | None:
    return application.steps.filter(to_state=State.RETURNED).order_by("-created_at", "-id").first()


def carried_answers(application: Application) -> dict:
    """The criteria that already passed, with who checked them and when: those of the latest
    answered step (a field check, or a return that named what failed) that are met and still
    criteria of the program. A re-check asks only the others."""
    return passed_answers(application.steps.exclude(answers={}).order_by("-created_at", "-id").first(),
                          application.program.criteria)


def passed_answers(step: VerificationStep | None, criteria) -> dict:
    """The answers of ``step`` that are met and still criteria of the program (no query)."""
    if step is None:
        return {}
    criteria = set(criteria)
    return {c: a for c, a in step.answers.items() if a.get("met") and c in criteria}


def resubmit_target(application: Application) -> str:
    """Where a corrected application goes back to: the step that failed. A return at the
    document check, or one that names documents, goes back to the document check; a return
    that names only failed criteria goes straight to the field re-check of those criteria."""
    step = latest_return(application)
    if step is None or step.from_state == State.PROPOSED or step.missing_documents:
        return State.PROPOSED
    if any(not a.get("met") for a in step.answers.values()):
        return State.DOC_CHECKED
    return State.PROPOSED


def _stamped(answers: dict, actor) -> dict:
    """Each answer with who gave it and when (kept when a later re-check carries it over)."""
    who = (actor.get_full_name() or actor.username) if actor else _("sistem")
    at = timezone.now().isoformat(timespec="seconds")
    return {c: {"met": bool(a.get("met")), "note": (a.get("note") or "").strip()[:300], "by": who, "at": at}
            for c, a in answers.items()}


class StaleStep(ValidationError):
    """The application moved since the page was opened (someone else acted on it)."""


@dataclass
class Handover:
    """*Berita acara serah terima*: what was handed over, and the allocation it is paid from."""

    date: dt.date
    items: str
    amount: int
    allocation: Allocation
    is_illustrative: bool = False  # demo data that no article gives


@transaction.atomic
def application_advance(
    *,
    application: Application,
    to_state: str,
    actor,
    expected_state: str | None = None,
    note: str = "",
    answers: dict | None = None,
    sk_number: str = "",
    sk_date=None,
    handover: Handover | None = None,
    evidence=(),
    missing_documents=(),
    expected_version: int | None = None,
    submission_id=None,
    images_only: bool = False,
) -> VerificationStep:
    """Move an application one step. Locks the application: of two staff acting on it at
    once, the second finds it moved and gets ``StaleStep``; nothing of theirs is written."""
    application = Application.objects.select_for_update().select_related("group__regency", "program").get(
        pk=application.pk
    )
    role = may_act_on_application(actor, application)
    if role is None:
        raise PermissionDenied(_("Usulan ini di luar wilayah tugas atau OPD Anda."))
    if (expected_state is not None and application.state != expected_state) or (
            expected_version is not None and application.version != expected_version):
        raise StaleStep(
            _("Usulan ini sudah diproses orang lain (sekarang: %(state)s). Muat ulang untuk melihat tahap terbaru.")
            % {"state": State(application.state).label},
            code="stale",
        )
    allowed = TRANSITIONS.get(application.state, {})
    if to_state not in allowed:
        raise ValidationError(
            _("Tidak bisa dari “%(from)s” ke “%(to)s”.")
            % {"from": State(application.state).label, "to": State(to_state).label}
        )
    if role != SYSTEM and role not in allowed[to_state]:
        raise PermissionDenied(_("Langkah ini bukan wewenang peran Anda."))

    note = (note or "").strip()
    criteria = application.program.criteria
    answers = {c: a for c, a in (answers or {}).items() if c in criteria}
    missing_documents = [d.strip()[:200] for d in missing_documents if d and d.strip()]
    step = VerificationStep(application=application, from_state=application.state, to_state=to_state,
                            actor=actor, note=note, submission_id=submission_id)
    if to_state in (State.RETURNED, State.REJECTED) and not note:
        raise ValidationError({"note": _("Alasan wajib diisi.")})
    if application.state == State.RETURNED and to_state in (State.PROPOSED, State.DOC_CHECKED):
        target = resubmit_target(application)
        if to_state != target:
            raise ValidationError(_("Usulan yang diperbaiki kembali ke “%(state)s”, tahap yang belum lolos.")
                                  % {"state": State(target).label})
    if to_state == State.FIELD_CHECKED:
        carried = carried_answers(application)
        missing = [c for c in criteria if c not in answers and c not in carried]
        if missing:
            raise ValidationError(
                {"answers": _("Jawab setiap kriteria: %(missing)s.") % {"missing": "; ".join(missing)}}
            )
        failed = [c for c in criteria if c in answers and not answers[c].get("met")]
        if failed:
            raise ValidationError(
                {"answers": _("Kriteria tidak terpenuhi: %(failed)s. Kembalikan atau tolak usulan ini.")
                 % {"failed": "; ".join(failed)}}
            )
        step.answers = {**carried, **_stamped(answers, actor)}
    if to_state == State.RETURNED:
        failed = [c for c, a in answers.items() if not a.get("met")]
        if actor is not None and not failed and not missing_documents:
            raise ValidationError({"missing_documents": _(
                "Sebutkan yang harus diperbaiki: tandai kriteria yang tidak terpenuhi, atau tulis dokumen yang "
                "kurang.")})
        # What passed stays passed (with who/when); what failed is named, for the re-check.
        step.answers = {**carried_answers(application), **_stamped(answers, actor)} if answers else {}
        step.missing_documents = missing_documents
    if to_state in (State.APPROVED, State.DELIVERED) and application.duplicate_flags.filter(
        resolved_at__isnull=True
    ).exists():
        raise ValidationError(_("Ada indikasi penerima ganda yang belum diputuskan provinsi. Putuskan dulu di "
                                "halaman Indikasi ganda (tetap keduanya dengan alasan, atau tolak salah satu)."))
    if to_state == State.APPROVED:
        sk_number = (sk_number or "").strip()
        if not sk_number:
            raise ValidationError({"sk_number": _("Nomor SK persetujuan wajib diisi.")})
        step.sk_number = application.sk_number = sk_number
        step.sk_date = sk_date or timezone.localdate()
        if step.sk_date > timezone.localdate():
            raise ValidationError({"sk_date": _("Tanggal SK tidak boleh di masa depan.")})
    if to_state == State.DELIVERED:
        if handover is None:
            raise ValidationError({"handover": _("Isi berita acara serah terima.")})
        if handover.allocation.program_id != application.program_id:
            raise ValidationError({"allocation": _("Alokasi harus dari program yang sama.")})
        realization = budget_services.realization_create(
            allocation=handover.allocation, date=handover.date, amount=handover.amount,
            description=_("Serah terima kepada %(group)s") % {"group": application.group.name}, actor=actor,
            is_illustrative=handover.is_illustrative, logged=False,
        )
        step.handover_date, step.handover_items = handover.date, handover.items.strip()
        step.handover_amount, step.realization = handover.amount, realization
    checked = [(upload, evidence_check(upload, images_only=images_only)) for upload in evidence]

    step.save()
    for upload, content_type in checked:
        Evidence.objects.create(step=step, file=upload, original_name=upload.name[:200],
                                content_type=content_type, size=upload.size)
    application.state = to_state
    application.version += 1
    application.save(update_fields=["state", "sk_number", "version", "updated_at"])
    if to_state == State.APPROVED:
        ledger.record(ledger.APPLICATION_APPROVED, application, actor)
    elif to_state == State.DELIVERED:
        # The realization as published once the handover is linked ("Serah terima bantuan", never
        # the group's name: it may be a KPM family), then the handover itself.
        realization = Realization.objects.select_related("handover").get(pk=step.realization_id)
        ledger.record(ledger.REALIZATION_RECORDED, realization, actor)
        ledger.record(ledger.HANDOVER_RECORDED, step, actor)
    _notify_next(application, step)
    return step


def _notify_next(application: Application, step: VerificationStep) -> None:
    """Tell whoever the move hands the application to: the district office after a return or an
    approval (it tells the group), the returner after a correction, the OPD's officers after the
    field check. Moves that leave the work with the same office tell nobody."""
    url = reverse("recipients:application-detail", args=[application.pk])
    # What was waiting on this application has been acted on: it leaves the unread count.
    Notification.objects.filter(url=url, read_at__isnull=True).update(read_at=timezone.now())
    names = {"group": application.group.name, "program": application.program.name}
    resubmitted = step.from_state == State.RETURNED and step.to_state in (State.PROPOSED, State.DOC_CHECKED)
    if step.to_state == State.RETURNED:
        kind, message, params = Notification.Kind.RETURNED, gettext_noop(
            "Dikembalikan untuk perbaikan: %(group)s (%(program)s) — %(reason)s"), {**names, "reason": step.note}
    elif resubmitted:
        kind, message, params = Notification.Kind.RESUBMITTED, gettext_noop(
            "Sudah diperbaiki dan diusulkan lagi: %(group)s (%(program)s)"), names
    elif step.to_state == State.FIELD_CHECKED:
        kind, message, params = Notification.Kind.READY_FOR_APPROVAL, gettext_noop(
            "Siap disetujui: %(group)s (%(program)s), cek lapangan selesai."), names
    elif step.to_state == State.APPROVED:
        kind, message, params = Notification.Kind.APPROVED, gettext_noop(
            "Disetujui (SK %(sk)s): %(group)s (%(program)s); kabari kelompoknya."), {**names, "sk": step.sk_number}
    else:
        return
    users = who_acts_next(application, step.to_state)
    if resubmitted:
        returned = latest_return(application)
        users = [returned.actor] if returned and returned.actor_id and returned.actor_id != step.actor_id else []
    notify(users=users, kind=kind, message=message, params=params, url=url)


@transaction.atomic
def duplicate_resolve(*, flag: DuplicateFlag, actor, resolution: str) -> None:
    """The province decides a flagged pair: both stay (with a reason); rejecting one is a
    normal ``application_advance(... REJECTED)``.

    Each side of a pair is decided by the OPD acting for that side's program: the mirror flag
    on the other application is resolved too only when the same officer acts for it (two
    programs of one OPD); otherwise it waits for the other OPD's own decision."""
    def decides(application) -> bool:
        return may_act_on_application(actor, application) in (PROVINCE, SYSTEM)

    if not decides(flag.application):
        raise PermissionDenied(_("Hanya pejabat OPD pemilik program yang memutuskan indikasi ganda ini."))
    resolution = resolution.strip()
    if not resolution:
        raise ValidationError({"resolution": _("Tuliskan alasan keputusan.")})
    sides = Q(application=flag.application, other=flag.other)
    if decides(flag.other):
        sides |= Q(application=flag.other, other=flag.application)
    DuplicateFlag.objects.filter(sides).update(resolved_by=actor, resolved_at=timezone.now(), resolution=resolution)
    for app_id in (flag.application_id, flag.other_id):
        if not DuplicateFlag.objects.filter(application_id=app_id, resolved_at__isnull=True).exists():
            Application.objects.filter(pk=app_id).update(has_duplicate=False)
            # Decided: the "possible duplicate" item for this application is done.
            Notification.objects.filter(kind=Notification.Kind.DUPLICATE, read_at__isnull=True,
                                        url=reverse("recipients:application-detail", args=[app_id]),
                                        ).update(read_at=timezone.now())

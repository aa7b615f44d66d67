"""An import batch's life: preview (validate and keep the checked rows), commit (write all or
nothing, with progress on a connection of its own), tell the uploader, and the reaper that sends
again what a dead worker left behind."""

from __future__ import annotations

import json
import logging
from contextlib import contextmanager
from dataclasses import asdict

from django.core.files.base import ContentFile
from django.db import DEFAULT_DB_ALIAS, DatabaseError, IntegrityError, connection, connections, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import Notification
from accounts.notifications import notify
from core.i18n import source_language, stored
from core.jobs import IMPORT_LOCK_CLASS, owner_label, reap, resend, session_lock
from core.models import Region
from recipients.imports.reading import UnreadableFile, is_light, read_rows
from recipients.imports.validation import Parsed, validate_rows
from recipients.models import ImportBatch, Member, RecipientGroup
from recipients.policy import mask_nik
from recipients.services import (
    GroupData,
    MemberData,
    applications_propose_new,
)
from recipients.services import normalize_name as _norm
from recipients.services.groups import _validate_group

log = logging.getLogger(__name__)


def _rows_of(batch: ImportBatch) -> list[dict]:
    with batch.file.open("rb") as f:
        return read_rows(f.read(), batch.original_name)


def batch_is_light(batch: ImportBatch) -> bool:
    with batch.file.open("rb") as f:
        return is_light(f.read(), batch.original_name)


def _finish(batch: ImportBatch, **fields) -> ImportBatch:
    ImportBatch.objects.filter(pk=batch.pk).update(finished_at=timezone.now(), **fields)
    batch.refresh_from_db()
    return batch


def batch_validate(batch: ImportBatch) -> ImportBatch:
    """Fill ``batch.errors`` and its status. Writes nothing but the batch row.

    The errors are kept in the source language with their values, and shown in the reader's
    (``core.i18n``), whichever language the request or worker that checked the file had.

    Runs while holding the batch's advisory lock (its proof of life for ``batches_reap``);
    a batch another worker is already validating is returned untouched. Whatever goes wrong
    ends as INVALID with a message the uploader can act on, never as a batch left "validating".
    """
    with source_language(), session_lock(IMPORT_LOCK_CLASS, batch.pk) as mine:
        if not mine:
            return batch
        batch.refresh_from_db()
        if batch.status != ImportBatch.Status.VALIDATING:
            return batch  # a resent message for a batch that was finished meanwhile
        ImportBatch.objects.filter(pk=batch.pk).update(owner=owner_label(), heartbeat_at=timezone.now())
        try:
            rows = _rows_of(batch)
            ImportBatch.objects.filter(pk=batch.pk).update(rows_total=len(rows))

            def progress(done):
                ImportBatch.objects.filter(pk=batch.pk).update(rows_done=done, heartbeat_at=timezone.now())

            parsed = validate_rows(rows, batch.created_by, on_progress=progress)
        except UnreadableFile as exc:
            return _finish(batch, status=ImportBatch.Status.INVALID,
                           errors=[{"row": 1, "column": "", **exc.entry}])
        except Exception as exc:
            log.exception("import batch %s could not be validated", batch.pk)
            return _finish(batch, status=ImportBatch.Status.INVALID, errors=[{"row": 0, "column": "", **stored(_(
                "Berkas tidak dapat diperiksa (%(error)s). Periksa formatnya atau hubungi admin."),
                error=type(exc).__name__)}])
        if not parsed.errors:
            _keep_parsed(batch, parsed)
        return _finish(
            batch, status=ImportBatch.Status.INVALID if parsed.errors else ImportBatch.Status.READY,
            errors=parsed.errors, rows_done=len(rows), groups_count=len(parsed.groups),
            members_count=sum(len(g.members) for g in parsed.groups.values()), unchanged_count=parsed.unchanged,
            preview=[] if parsed.errors else preview(parsed),
        )


PREVIEW_GROUPS = 10


def preview(parsed: Parsed) -> list[dict]:
    """The first groups as they will be saved, NIKs masked (the page is not an access to them);
    sector and role as codes, named in the reader's language by the page."""
    regencies = dict(Region.objects.filter(pk__in={g.regency_id for g in parsed.groups.values()})
                     .values_list("pk", "name"))
    out = []
    for g in list(parsed.groups.values())[:PREVIEW_GROUPS]:
        out.append({
            "name": g.name, "regency": regencies.get(g.regency_id, ""), "sector": g.sector,
            "kecamatan": g.kecamatan, "desa": g.desa, "leader_name": g.leader_name,
            "leader_nik": mask_nik(g.leader_nik), "phone": g.contact_phone, "nib": g.nib,
            "members_count": g.members_count if g.members_count is not None else len(g.members),
            "members": [{"name": m.name, "nik": mask_nik(m.nik), "role": m.role} for m in g.members],
        })
    return out


def _keep_parsed(batch: ImportBatch, parsed: Parsed) -> None:
    """The validated groups as JSON beside the upload, for the commit."""
    payload = {"rows": parsed.rows, "groups": [asdict(g) for g in parsed.groups.values()]}
    batch.parsed.save(f"{batch.pk}-checked.json", ContentFile(json.dumps(payload, ensure_ascii=False).encode()),
                      save=False)
    ImportBatch.objects.filter(pk=batch.pk).update(parsed=batch.parsed.name)


def _kept_parsed(batch: ImportBatch) -> Parsed | None:
    if not batch.parsed:
        return None
    with batch.parsed.open("rb") as f:
        payload = json.load(f)
    groups = {}
    for g in payload["groups"]:
        data = GroupData(**{**g, "members": [MemberData(**m) for m in g["members"]]})
        groups[(data.regency_id, _norm(data.name))] = data
    return Parsed(groups=groups, errors=[], rows=payload["rows"])


def batch_commit(batch: ImportBatch) -> ImportBatch:
    """Write every group and member of a COMMITTING batch in one transaction, or nothing.

    Holds the batch's advisory lock like ``batch_validate``; any failure ends as FAILED with the
    reason, and nothing of the batch is written.
    """
    with source_language(), session_lock(IMPORT_LOCK_CLASS, batch.pk) as mine:
        if not mine:
            return batch
        batch.refresh_from_db()
        if batch.status != ImportBatch.Status.COMMITTING:
            return batch
        ImportBatch.objects.filter(pk=batch.pk).update(owner=owner_label(), heartbeat_at=timezone.now())
        try:
            parsed = _kept_parsed(batch) or validate_rows(_rows_of(batch), batch.created_by)
        except Exception as exc:
            log.exception("import batch %s could not be re-read", batch.pk)
            return _finish(batch, status=ImportBatch.Status.FAILED,
                           errors=[{"row": 0, "column": "", "message": str(exc)[:500]}])
        if parsed.errors:
            return _finish(batch, status=ImportBatch.Status.INVALID, errors=parsed.errors)
        try:
            _write(batch, parsed)
        except IntegrityError:
            # Someone registered one of these groups or members since the preview: name the rows.
            try:
                recheck = validate_rows(_rows_of(batch), batch.created_by)
            except Exception:  # the upload itself is gone or unreadable now: the generic message below
                recheck = Parsed(groups={}, errors=[], rows=0)
            if recheck.errors:
                return _finish(batch, status=ImportBatch.Status.INVALID, errors=recheck.errors)
            log.exception("import batch %s failed", batch.pk)
            return _finish(batch, status=ImportBatch.Status.FAILED, errors=[{"row": 0, "column": "", **stored(_(
                "Penyimpanan gagal, tidak ada yang tersimpan (%(error)s). Coba lagi atau hubungi admin."),
                error="IntegrityError")}])
        except Exception as exc:  # whatever it was, nothing of the batch is written; the user is told
            log.exception("import batch %s failed", batch.pk)
            return _finish(batch, status=ImportBatch.Status.FAILED, errors=[{"row": 0, "column": "", **stored(_(
                "Penyimpanan gagal, tidak ada yang tersimpan (%(error)s). Coba lagi atau hubungi admin."),
                error=type(exc).__name__)}])
        batch.refresh_from_db()
        return batch


@contextmanager
def _progress_outside(batch: ImportBatch):
    """``progress(done)`` writing the batch's counter on a connection of its own: the commit's
    transaction is open until the end, and the page must see the counter move meanwhile.

    Best effort: a counter that cannot be written within a second is skipped, never waited for.
    Inside an enclosing transaction (a test's) the counter is written in it instead, since the
    batch row may be locked by that very transaction."""
    if connection.in_atomic_block:
        yield lambda done: ImportBatch.objects.filter(pk=batch.pk).update(rows_done=done)
        return
    own = connections.create_connection(DEFAULT_DB_ALIAS)

    def progress(done):
        try:
            with own.cursor() as cursor:
                cursor.execute("SET lock_timeout = '1s'")
                cursor.execute("UPDATE recipients_importbatch SET rows_done = %s, heartbeat_at = now() "
                               "WHERE id = %s", [done, batch.pk])
        except DatabaseError:
            log.warning("import %s: progress not written", batch.pk)

    try:
        yield progress
    finally:
        own.close()


def _write(batch: ImportBatch, parsed: Parsed) -> None:
    with _progress_outside(batch) as progress, transaction.atomic():
        with connection.cursor() as cursor:
            # Foreign keys checked as each statement ends: deferred to the commit, 200,000 queued
            # checks are walked again at the end of every later statement (quadratic).
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        _write_all(batch, parsed, progress)


def _write_all(batch: ImportBatch, parsed: Parsed, progress) -> None:
    """Groups, members and (with a program) applications in a few set-based statements."""
    actor = batch.created_by
    new_groups = []
    for data in parsed.groups.values():
        if problems := _validate_group(data):
            raise ValueError("; ".join(m for ms in problems.values() for m in ms))
        new_groups.append(RecipientGroup(
            name=data.name.strip(), normalized_name=_norm(data.name), kind=data.kind,
            regency_id=data.regency_id, kecamatan=data.kecamatan, desa=data.desa, sector=data.sector,
            leader_name=data.leader_name, leader_nik=data.leader_nik, contact_phone=data.contact_phone,
            nib=data.nib, members_count=data.members_count or 0, created_by=actor, import_batch=batch,
        ))
    # The counter runs over the file's rows: groups, then members, then the proposals.
    created = RecipientGroup.objects.bulk_create(new_groups, batch_size=2000)
    members = [Member(group=group, name=m.name, nik=m.nik, role=m.role)
               for group, data in zip(created, parsed.groups.values(), strict=True) for m in data.members]
    progress(parsed.rows // 4)
    for start in range(0, len(members), 10_000):
        Member.objects.bulk_create(members[start:start + 10_000], batch_size=2000)
        progress(parsed.rows // 4 + (parsed.rows // 2) * min(len(members), start + 10_000) // max(len(members), 1))
    if batch.program_id:
        groups = list(RecipientGroup.objects.filter(import_batch=batch).select_related("regency"))
        applications_propose_new(groups=groups, program=batch.program, actor=actor)
    progress(parsed.rows)
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=ImportBatch.Status.COMMITTED, finished_at=timezone.now(), rows_done=parsed.rows,
    )


def notify_uploader(batch: ImportBatch) -> ImportBatch:
    """Tell the uploader that a batch a worker handled has finished (ready, invalid, saved, failed)."""
    done = {ImportBatch.Status.READY: gettext_noop("Impor %(name)s: siap disimpan."),
            ImportBatch.Status.COMMITTED: gettext_noop("Impor %(name)s: tersimpan."),
            ImportBatch.Status.INVALID: gettext_noop("Impor %(name)s: ada baris yang salah."),
            ImportBatch.Status.FAILED: gettext_noop("Impor %(name)s: gagal.")}
    if batch.status in done:
        failed = batch.status in (ImportBatch.Status.INVALID, ImportBatch.Status.FAILED)
        notify(users=[batch.created_by], message=done[batch.status], params={"name": batch.original_name},
               url=reverse("recipients:import-detail", args=[batch.pk]),
               kind=Notification.Kind.IMPORT_FAILED if failed else Notification.Kind.IMPORT_DONE)
    return batch


# --- Nothing stuck ----------------------------------------------------------------------------------

WORKER_LOST = gettext_noop("Pemrosesan terhenti berulang kali (worker berhenti); unggah ulang berkasnya.")


def batches_reap(now=None) -> dict:
    """Send again the batches that sit in "validating"/"committing" with nobody on them.

    Nobody is on a batch when no backend holds its advisory lock and it was last seen over
    ``JOB_GRACE_SECONDS`` ago (or its message was never sent). After ``JOB_MAX_ATTEMPTS`` it is
    failed with a reason. Both steps are idempotent, so a resend is safe. ~2 queries + 1 per batch.
    """
    now = now or timezone.now()

    def fail(batch):
        ImportBatch.objects.filter(pk=batch.pk, status=batch.status).update(
            status=ImportBatch.Status.FAILED, finished_at=now,
            errors=[{"row": 0, "column": "", "message": WORKER_LOST}])

    busy = ImportBatch.objects.filter(status__in=[ImportBatch.Status.VALIDATING, ImportBatch.Status.COMMITTING])
    return reap(busy, IMPORT_LOCK_CLASS, now=now, fail=fail,
                send=lambda batch: resend(step_task(batch), ImportBatch, batch.pk, batch_id=batch.pk))


# The two steps' tasks, by name (recipients.tasks imports this module, not the other way round).
VALIDATE_TASK, COMMIT_TASK = "recipients.tasks.validate_import", "recipients.tasks.commit_import"


def step_task(batch: ImportBatch) -> str:
    """The task that runs the step ``batch`` waits for."""
    return VALIDATE_TASK if batch.status == ImportBatch.Status.VALIDATING else COMMIT_TASK

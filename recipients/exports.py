"""Staff tables as spreadsheets — the group list and the budget tables (``programs.exports``) — at
any size, in the user's scope, with the page's filters and sort.

- **Up to ``EXPORT_SYNC_MAX_ROWS`` rows, CSV:** streamed from the request
  (``StreamingHttpResponse`` over a server-side cursor): memory stays flat and the first bytes
  leave at once.
- **Anything bigger, and every XLSX:** an ``ExportJob`` a Celery worker builds into a private
  file (write-only openpyxl; the CSV writer on a file) with its progress on the job's page,
  downloadable by its creator until ``EXPORT_KEEP_HOURS`` have passed, then deleted.

A worker (gunicorn's sync worker too) that spends minutes on one response is killed by its
timeout, which is what made the national export an HTTP 500.

Both ways write the same rows (``rows``): formula-safe cells, NIK masked except for the group's
own district office, whose export is a row in the access log (``recipients.access``).
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import tempfile
from types import SimpleNamespace

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from core.exports import Table, csv_lines
from core.jobs import EXPORT_LOCK_CLASS, dispatch, owner_label, reap, resend, session_lock
from core.pagination import capped_count
from core.sorting import PARAM, sort
from core.spreadsheets import XLSX, safe_cell
from programs import exports as budget_exports
from recipients import access, policy, selectors
from recipients.filters import GroupFilter
from recipients.imports.reading import ROLE_WORDS
from recipients.models import ExportJob, Member, PersonalDataView

log = logging.getLogger(__name__)

# The import's columns (``recipients.imports``), one row per member: an exported file imports back
# unchanged. ``kabupaten_kota`` is for people reading it; the import goes by ``kode_wilayah``.
HEADER = ["kode_wilayah", "kabupaten_kota", "nama_kelompok", "sektor", "kecamatan", "desa", "nama_ketua",
          "nik_ketua", "telepon", "nib", "jumlah_anggota", "nama_anggota", "nik_anggota", "peran_anggota"]
BUILD_TASK = "recipients.tasks.build_export"
CHUNK = 2000
PROGRESS_EVERY = 5000
WORKER_LOST = gettext_noop("Pekerja latar belakang berhenti berulang kali; ekspor dibatalkan. Coba lagi.")
ROLE_WORD = {role: word for word, role in ROLE_WORDS.items() if word}


# The group list's sortable columns (paged by cursor: local fields, one direction).
GROUP_SORT = {"nama": ("name",), "kabupaten": ("regency_id", "name"), "anggota": ("members_count",)}
GROUP_ORDER = ("regency_id", "name", "id")  # the file's default: the recipients_group_reg_name index


def filtered(user, params):
    """The groups ``user``'s list shows with ``params`` (a QueryDict or a dict), in the order asked
    for (``?urut=``), else regency then name."""
    filterset = GroupFilter(params, queryset=selectors.groups_visible_to(user), request=SimpleNamespace(user=user))
    return filterset, filterset.qs.order_by(*sort(params, GROUP_SORT, GROUP_ORDER).ordering)


def clean_params(filterset, params=None) -> dict:
    """The filters that passed validation, and the sort asked for, JSON-ready (a job re-applies
    them in the worker)."""
    out = {}
    if params is not None and params.get(PARAM):
        out[PARAM] = str(params.get(PARAM))[:40]
    if not filterset.is_valid():
        return out
    for name, value in filterset.form.cleaned_data.items():
        if value in (None, ""):
            continue
        out[name] = str(value.pk if hasattr(value, "pk") else value)
    return out


def describe(filterset) -> list[str]:
    """"Sektor: Masker" for each filter in use, for the page that starts a job."""
    if not filterset.is_valid():
        return []
    out = []
    for name, value in filterset.form.cleaned_data.items():
        if value in (None, ""):
            continue
        field = filterset.form.fields[name]
        shown = dict(field.choices).get(value, value) if getattr(field, "choices", None) and not hasattr(
            value, "pk") else value
        out.append(f"{field.label}: {shown}")
    return out


def rows(user, groups, shown: list[int] | None = None):
    """One row per member (a group without members: one row); the ids of the groups whose full
    NIKs went out are added to ``shown`` (for the access log)."""
    for g in groups.prefetch_related("members").iterator(chunk_size=CHUNK):
        leader = policy.shown_nik(user, g, g.leader_nik)
        members = sorted(g.members.all(), key=lambda m: (m.role != Member.Role.LEADER, m.pk))
        full = bool(g.leader_nik) and leader == g.leader_nik
        head = [g.regency.code, g.regency.name, g.name, g.get_sector_display(), g.kecamatan, g.desa, g.leader_name,
                leader, g.contact_phone, g.nib, g.members_count]
        for m in members or [None]:
            nik = policy.shown_nik(user, g, m.nik) if m else ""
            full = full or (m is not None and nik == m.nik)
            yield [safe_cell(v) for v in (*head, m.name if m else "", nik, ROLE_WORD.get(m.role, "") if m else "")]
        if shown is not None and full:
            shown.append(g.pk)


def _group_rows(groups) -> int:
    """A group's row per member (one without members)."""
    return (Member.objects.filter(group__in=groups.order_by().values("pk")).count()
            + groups.filter(members__isnull=True).count())


GROUPS = Table(slug="kelompok", title=_("Daftar kelompok"), header=HEADER, filtered=filtered, rows=rows,
               filename="kelompok-ikm", count=_group_rows,
               allowed=policy.reads_recipients, list_url="recipients:group-list", personal=True)
TABLES = {t.slug: t for t in (GROUPS, budget_exports.CEILINGS, budget_exports.ALLOCATIONS,
                              budget_exports.REALIZATIONS)}


def register_document(table: Table) -> None:
    """A report built the way the tables are (a job, progress, a private file): ``reports``
    registers its PDF documents here when it starts (a higher layer handing this one a callback)."""
    TABLES[table.slug] = table


def is_small(queryset) -> bool:
    n, more = capped_count(queryset, cap=max(settings.EXPORT_SYNC_MAX_ROWS, 1))
    return not more and n <= settings.EXPORT_SYNC_MAX_ROWS


def _logged(lines, user, shown: list[int], path: str):
    """The lines; once they have gone out (or the client left), the NIKs shown are logged."""
    try:
        yield from lines
    finally:
        access.record(viewer=user, where=PersonalDataView.Where.EXPORT, group_ids=shown, path=path)


def stream_csv(user, table: Table, queryset, path: str = "") -> StreamingHttpResponse:
    shown: list[int] = []
    lines = csv_lines(table.header, table.rows(user, queryset, shown))
    response = StreamingHttpResponse(_logged(lines, user, shown, path) if table.personal else lines,
                                     content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{table.download_name}.csv"'
    return response


def job_start(user, table: Table, fmt: str, params: dict) -> ExportJob:
    """A new job, or the creator's same export still queued or running (a double click)."""
    same = ExportJob.objects.filter(created_by=user, table=table.slug, fmt=fmt, params=params,
                                    status__in=ExportJob.BUSY).first()
    if same is not None:
        return same
    job = ExportJob.objects.create(created_by=user, table=table.slug, fmt=fmt, params=params)
    dispatch(BUILD_TASK, ExportJob, job.pk, job_id=job.pk)
    return job


def job_build(job: ExportJob) -> ExportJob:
    """Build the file (the worker's side). Holds the job's advisory lock; a second delivery of
    the message finds the job claimed and does nothing."""
    with session_lock(EXPORT_LOCK_CLASS, job.pk) as mine:
        if not mine:
            return job
        claimed = ExportJob.objects.filter(pk=job.pk, status__in=ExportJob.BUSY).update(
            status=ExportJob.Status.RUNNING, owner=owner_label(), heartbeat_at=timezone.now())
        if not claimed:
            return job
        try:
            _build(job)
        except Exception as exc:
            log.exception("export %s failed", job.pk)
            ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.FAILED, finished_at=timezone.now(),
                                                       error=str(exc)[:300])
    job.refresh_from_db()
    return job


class _Counted:
    """The rows, reporting ``progress(n)`` every ``PROGRESS_EVERY``; ``done`` after the last."""

    def __init__(self, rows, progress):
        self.rows, self.progress, self.done = rows, progress, 0

    def __iter__(self):
        for row in self.rows:
            yield row
            self.done += 1
            if self.done % PROGRESS_EVERY == 0:
                self.progress(self.done)


def _build_document(job: ExportJob, table: Table) -> None:
    """A report: the registered builder renders it, saying how far it got through ``progress``."""
    def progress(done: int, total: int | None = None):
        fields = {"rows_done": done, "heartbeat_at": timezone.now()}
        if total is not None:
            fields["rows_total"] = total
        ExportJob.objects.filter(pk=job.pk).update(**fields)

    content = table.document(job.created_by, job.params, progress)
    job.refresh_from_db(fields=["rows_total"])
    now = timezone.now()
    job.file.save(f"{table.download_name}-{job.pk}.pdf", ContentFile(content), save=False)
    ExportJob.objects.filter(pk=job.pk).update(
        file=job.file.name, status=ExportJob.Status.DONE, rows_done=job.rows_total, finished_at=now,
        heartbeat_at=now, expires_at=now + dt.timedelta(hours=settings.EXPORT_KEEP_HOURS))


def _build(job: ExportJob) -> None:
    user, table = job.created_by, TABLES[job.table]
    if table.document is not None:
        return _build_document(job, table)
    _, queryset = table.filtered(user, job.params)
    total = table.row_count(queryset)
    ExportJob.objects.filter(pk=job.pk).update(rows_total=total, rows_done=0)

    def progress(done):
        ExportJob.objects.filter(pk=job.pk).update(rows_done=done, heartbeat_at=timezone.now())

    with tempfile.TemporaryFile() as out:
        shown: list[int] = []
        counted = _Counted(table.rows(user, queryset, shown), progress)
        if job.fmt == ExportJob.Format.XLSX:
            from openpyxl import Workbook  # noqa: PLC0415 - loaded by the workers that write XLSX only

            workbook = Workbook(write_only=True)
            sheet = workbook.create_sheet(table.slug)
            sheet.append(table.header)
            for row in counted:
                sheet.append(row)
            workbook.save(out)
        else:
            text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
            text.writelines(csv_lines(table.header, counted))
            text.flush()
            text.detach()
        done = counted.done
        out.seek(0)
        now = timezone.now()
        job.file.save(f"{table.download_name}-{job.pk}.{job.fmt}", File(out), save=False)
    if table.personal:
        access.record(viewer=user, where=PersonalDataView.Where.EXPORT, group_ids=shown,
                      path=f"ekspor {job.pk} ({job.fmt})")
    ExportJob.objects.filter(pk=job.pk).update(
        file=job.file.name, status=ExportJob.Status.DONE, rows_done=done, rows_total=max(total, done),
        finished_at=now, heartbeat_at=now, expires_at=now + dt.timedelta(hours=settings.EXPORT_KEEP_HOURS))


def content_type(job: ExportJob) -> str:
    return {ExportJob.Format.XLSX: XLSX, ExportJob.Format.PDF: "application/pdf"}.get(
        job.fmt, "text/csv; charset=utf-8")


def jobs_reap(now=None) -> dict:
    """Resend jobs nobody works on (no backend holds their lock, unseen for
    ``JOB_GRACE_SECONDS``), fail them after ``JOB_MAX_ATTEMPTS`` (``core.jobs.reap``), and delete
    expired files."""
    now = now or timezone.now()

    def fail(job):
        ExportJob.objects.filter(pk=job.pk, status=job.status).update(
            status=ExportJob.Status.FAILED, finished_at=now, error=WORKER_LOST)

    report = reap(ExportJob.objects.filter(status__in=ExportJob.BUSY), EXPORT_LOCK_CLASS, now=now, fail=fail,
                  send=lambda job: resend(BUILD_TASK, ExportJob, job.pk, job_id=job.pk))
    report["expired"] = 0
    for job in ExportJob.objects.filter(status=ExportJob.Status.DONE, expires_at__lte=now):
        if job.file:
            job.file.delete(save=False)
        ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.EXPIRED, file="")
        report["expired"] += 1
    return report


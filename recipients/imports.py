"""Import of groups and members from CSV/XLSX: preview every error, then write all or nothing.

One row per member; the group's columns repeat on each of its members' rows (a group with
no member rows is one row with the member columns empty). A CSV is read with Python's csv
module (any encoding a spreadsheet writes, any newline style), an XLSX with openpyxl in
read-only mode after a check of its unpacked size. Validation collects *every* error of
*every* row, the database's limits included, before anything is written; the commit
re-validates and writes in one transaction. Files heavier than ``is_light`` allows are read
only by Celery workers, with progress, and never inside a web request.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import logging
import zipfile
from contextlib import contextmanager
from dataclasses import asdict, dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import DEFAULT_DB_ALIAS, DatabaseError, IntegrityError, connection, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.jobs import IMPORT_LOCK_CLASS, owner_label, reap, resend, session_lock
from core.models import Region
from core.params import BadParameter, parse_int
from recipients.models import ImportBatch, Member, RecipientGroup, Sector
from recipients.selectors import regencies_visible_to
from recipients.services import (
    GroupData,
    MemberData,
    _validate_group,
    applications_propose_new,
    nib_problem,
    nik_problem,
    phone_problem,
)
from recipients.services import normalize_name as _norm
from recipients.workflow import role_of

log = logging.getLogger(__name__)

SYNC_MAX_ROWS = 500
PROGRESS_EVERY = 500

COLUMNS = [
    "kode_wilayah", "nama_kelompok", "sektor", "kecamatan", "desa", "nama_ketua", "nik_ketua", "telepon", "nib",
    "jumlah_anggota", "nama_anggota", "nik_anggota", "peran_anggota",
]
REQUIRED = ["kode_wilayah", "nama_kelompok", "sektor", "nama_ketua"]

SECTOR_WORDS = {
    "masker": Sector.MASKS, "konveksi": Sector.GARMENTS, "pakaian": Sector.GARMENTS, "garmen": Sector.GARMENTS,
    "logam": Sector.METAL, "makanan": Sector.FOOD, "minuman": Sector.FOOD, "herbal": Sector.FOOD,
    "kerajinan": Sector.CRAFTS, "alat kesehatan": Sector.HEALTH, "hazmat": Sector.HEALTH, "uep": Sector.TRADE,
    "kpm": Sector.TRADE, "lainnya": Sector.OTHER,
}
ROLE_WORDS = {"ketua": Member.Role.LEADER, "sekretaris": Member.Role.SECRETARY, "bendahara": Member.Role.TREASURER,
              "anggota": Member.Role.MEMBER, "": Member.Role.MEMBER}


def parse_sector(text: str) -> str | None:
    value = text.strip().lower()
    if value in Sector.values:
        return value
    for label_value, label in Sector.choices:
        if value == str(label).lower():
            return label_value
    for word, sector in SECTOR_WORDS.items():
        if word in value:
            return sector
    return None


class UnreadableFile(ValueError):
    """The file cannot be read as a table; ``str()`` is the message for the user."""


# Files heavier than this are read and checked by a Celery worker, never inside a web request.
SYNC_MAX_BYTES = 256 * 1024
# An XLSX is a zip: refuse one that unpacks to more than this (a "zip bomb", or 2 M shared strings).
XLSX_MAX_UNPACKED_BYTES = 64 * 1024 * 1024
XLSX_SYNC_MAX_UNPACKED_BYTES = 2 * 1024 * 1024
ERRORS_SHOWN = 200


def _decode(content: bytes) -> str:
    """Text of a CSV in any encoding a spreadsheet program writes: UTF-8 (with or without BOM),
    UTF-16 (Excel's "Unicode text", with a BOM) or Windows-1252; anything else is named."""
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return content.decode("utf-16")
        except UnicodeDecodeError:
            raise UnreadableFile(_("Berkas UTF-16 ini rusak; simpan ulang sebagai CSV UTF-8."))
    if b"\x00" in content:
        raise UnreadableFile(_("Berkas berisi byte NUL (mungkin UTF-16 tanpa BOM atau bukan CSV); "
                               "simpan ulang sebagai CSV UTF-8."))
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("cp1252")
    except UnicodeDecodeError:
        raise UnreadableFile(_("Pengodean berkas tidak dikenali (bukan UTF-8, UTF-16 atau Windows-1252); "
                               "simpan ulang sebagai CSV UTF-8."))


def _csv_rows(content: bytes) -> list[list[str]]:
    text = _decode(content)
    if not text.strip():
        raise UnreadableFile(_("Berkas kosong: tidak ada baris judul."))
    # csv recognises \n, \r\n and a lone \r (old Mac, some exports) as line ends.
    first_line = text.splitlines()[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise UnreadableFile(_("CSV tidak dapat dibaca: %(error)s.") % {"error": exc})


def _xlsx_unpacked_size(content: bytes) -> int:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, EOFError):
        raise UnreadableFile(_("Berkas XLSX rusak atau bukan XLSX; simpan ulang dari program lembar kerja."))


def _xlsx_rows(content: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    if _xlsx_unpacked_size(content) > XLSX_MAX_UNPACKED_BYTES:
        raise UnreadableFile(_("Berkas XLSX terlalu besar setelah dibuka; pecah menjadi beberapa berkas."))
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        rows = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        workbook.close()
    except UnreadableFile:
        raise
    except Exception as exc:  # BadZipFile, KeyError (missing part), XML ParseError, …
        log.info("unreadable xlsx: %r", exc)
        raise UnreadableFile(_("Berkas XLSX rusak atau bukan XLSX; simpan ulang dari program lembar kerja."))
    while rows and not any(cell.strip() for cell in rows[-1]):
        rows.pop()
    return rows


def is_light(content: bytes, filename: str) -> bool:
    """Whether the file is small enough to read and check inside a web request (≤ 500 rows,
    ≤ 256 KB, and for XLSX ≤ 2 MB unpacked). Cheap: counts lines, reads the zip directory."""
    if len(content) > SYNC_MAX_BYTES:
        return False
    if filename.lower().endswith(".xlsx"):
        try:
            return _xlsx_unpacked_size(content) <= XLSX_SYNC_MAX_UNPACKED_BYTES
        except UnreadableFile:
            return True  # refused at once, with its message
    try:
        return len(_decode(content).splitlines()) <= SYNC_MAX_ROWS + 1
    except UnreadableFile:
        return True


def read_rows(content: bytes, filename: str) -> list[dict]:
    """Rows as dicts keyed by lower-case column names; raises UnreadableFile with the reason."""
    if filename.lower().endswith(".xlsx"):
        table = _xlsx_rows(content)
    elif filename.lower().endswith(".csv"):
        table = _csv_rows(content)
    else:
        raise UnreadableFile(_("Format berkas harus CSV atau XLSX."))
    if not table:
        raise UnreadableFile(_("Berkas kosong: tidak ada baris judul."))
    headers = [str(h or "").strip().lstrip("\ufeff").lower() for h in table[0]]
    missing = [c for c in REQUIRED if c not in headers]
    if missing:
        raise UnreadableFile(_("Kolom wajib tidak ada: %(columns)s. Baris pertama harus berisi judul kolom "
                               "seperti pada templat.") % {"columns": ", ".join(missing)})
    rows = []
    for number, cells in enumerate(table[1:], start=2):  # the header is row 1, as in a spreadsheet
        if not any(str(c).strip() for c in cells):
            continue  # blank lines, as spreadsheets leave them
        row = {h: str(v).strip() for h, v in zip(headers, cells, strict=False) if h}
        row[ROW_NUMBER] = number
        if any(str(v).strip() for v in cells[len(headers):]):
            row[EXTRA_CELLS] = True
        rows.append(row)
    return rows


ROW_NUMBER = "__row__"
EXTRA_CELLS = "__extra__"

# The database's limits, applied in the preview so that a file marked ready always commits.
MAX_LENGTHS = {
    "nama_kelompok": RecipientGroup._meta.get_field("name").max_length,
    "nama_ketua": RecipientGroup._meta.get_field("leader_name").max_length,
    "kecamatan": RecipientGroup._meta.get_field("kecamatan").max_length,
    "desa": RecipientGroup._meta.get_field("desa").max_length,
    "telepon": RecipientGroup._meta.get_field("contact_phone").max_length,
    "nama_anggota": Member._meta.get_field("name").max_length,
}
MEMBERS_COUNT_MAX = 100_000


@dataclass
class Parsed:
    groups: dict[tuple[int, str], GroupData]
    errors: list[dict]
    rows: int


def _allowed_regencies(user) -> dict[str, Region]:
    """Regencies the uploader may register groups in; national admins only read."""
    if role_of(user) is None:
        return {}
    return {r.code: r for r in regencies_visible_to(user)}


def validate_rows(rows: list[dict], user, on_progress=None) -> Parsed:
    """Every error of every row; groups keyed by (regency id, normalised name). ~4 queries."""
    allowed = _allowed_regencies(user)
    known_codes = set(Region.objects.regencies().values_list("code", flat=True))
    errors: list[dict] = []
    groups: dict[tuple[int, str], GroupData] = {}
    first_row: dict[tuple[int, str], int] = {}
    member_rows: dict[str, int] = {}

    def err(row_no, column, message):
        errors.append({"row": row_no, "column": column, "message": message})

    for index, row in enumerate(rows):
        row_no = row.get(ROW_NUMBER, index + 2)
        if row.get(EXTRA_CELLS):
            err(row_no, "", _("Baris ini berisi lebih banyak kolom daripada baris judul; hapus isian di luar "
                              "kolom yang dikenal atau beri kolom itu judul."))
        for column in REQUIRED:
            if not row.get(column):
                err(row_no, column, _("Wajib diisi."))
        for column, limit in MAX_LENGTHS.items():
            if len(row.get(column, "")) > limit:
                err(row_no, column, _("Paling banyak %(n)s karakter.") % {"n": limit})
        if row.get("telepon") and (problem := phone_problem(row["telepon"])):
            err(row_no, "telepon", problem)
        code = row.get("kode_wilayah", "")
        regency = allowed.get(code)
        if code and regency is None:
            if code in known_codes:
                err(row_no, "kode_wilayah", _("Kabupaten/kota %(code)s di luar wilayah tugas Anda.") % {"code": code})
            else:
                err(row_no, "kode_wilayah", _("Kode wilayah %(code)s tidak dikenal (contoh: 36.04).") % {"code": code})
        sector = parse_sector(row.get("sektor", ""))
        if row.get("sektor") and sector is None:
            err(row_no, "sektor", _("Sektor “%(value)s” tidak dikenal.") % {"value": row["sektor"]})
        for column in ("nik_ketua", "nik_anggota"):
            if row.get(column) and (problem := nik_problem(row[column])):
                err(row_no, column, problem)
        if row.get("nib") and (problem := nib_problem(row["nib"])):
            err(row_no, "nib", problem)
        members_count = None
        if row.get("jumlah_anggota"):
            try:
                members_count = parse_int(row["jumlah_anggota"], maximum=MEMBERS_COUNT_MAX,
                                          label=_("Jumlah anggota"))
            except BadParameter as exc:
                err(row_no, "jumlah_anggota", str(exc))
        role = ROLE_WORDS.get(row.get("peran_anggota", "").lower())
        if role is None:
            err(row_no, "peran_anggota", _("Peran harus ketua, sekretaris, bendahara atau anggota."))
        if bool(row.get("nama_anggota")) != bool(row.get("nik_anggota")):
            err(row_no, "nik_anggota", _("Nama dan NIK anggota harus diisi berdua."))
        nik = row.get("nik_anggota", "")
        if nik:
            if nik in member_rows:
                err(row_no, "nik_anggota",
                    _("NIK ini sudah ada di baris %(row)s.") % {"row": member_rows[nik]})
            else:
                member_rows[nik] = row_no
        if regency is None or not row.get("nama_kelompok") or sector is None:
            continue
        key = (regency.pk, _norm(row["nama_kelompok"]))
        group = groups.get(key)
        if group is None:
            group = groups[key] = GroupData(
                name=row["nama_kelompok"], regency_id=regency.pk, sector=sector, leader_name=row.get("nama_ketua", ""),
                leader_nik=row.get("nik_ketua", ""), kecamatan=row.get("kecamatan", ""), desa=row.get("desa", ""),
                contact_phone=row.get("telepon", ""), nib=row.get("nib", ""),
                members_count=members_count,
                # A district office imports the kind of recipient it verifies (IKM or KPM).
                kind=getattr(user, "district_office", "") or RecipientGroup.Kind.IKM,
            )
            first_row[key] = row_no
        elif row.get("nama_ketua") and row["nama_ketua"] != group.leader_name:
            err(row_no, "nama_ketua", _("Ketua berbeda dengan baris %(row)s untuk kelompok yang sama.")
                % {"row": first_row[key]})
        if nik and role is not None:
            group.members.append(MemberData(name=row["nama_anggota"], nik=nik, role=role))
        if on_progress and (index + 1) % PROGRESS_EVERY == 0:
            on_progress(index + 1)

    # Against the database: groups already registered, NIKs already members elsewhere.
    by_regency: dict[int, set[str]] = {}
    for regency_id, name in groups:
        by_regency.setdefault(regency_id, set()).add(name)
    for regency_id, names in by_regency.items():
        for name in RecipientGroup.objects.filter(regency_id=regency_id, normalized_name__in=names).values_list(
            "normalized_name", flat=True
        ):
            err(first_row[(regency_id, name)], "nama_kelompok", _("Kelompok ini sudah terdaftar."))
    # A NIK already registered in the uploader's own regencies is named as such; one registered
    # elsewhere is not (that would let anyone probe NIKs nationwide): the province reviews it.
    in_scope = {r.pk for r in allowed.values()}
    for nik, regency_id in Member.objects.filter(nik__in=list(member_rows)).values_list(
        "nik", "group__regency_id"
    ).distinct():
        if regency_id in in_scope:
            err(member_rows[nik], "nik_anggota", _("NIK ini sudah terdaftar sebagai anggota kelompok lain."))
        else:
            err(member_rows[nik], "nik_anggota", _("NIK ini perlu ditinjau provinsi sebelum dapat didaftarkan."))
    errors.sort(key=lambda e: (e["row"], e["column"]))
    for group in groups.values():
        if group.members_count is None:
            group.members_count = len(group.members)
    return Parsed(groups=groups, errors=errors, rows=len(rows))


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

    Runs while holding the batch's advisory lock (its proof of life for ``batches_reap``);
    a batch another worker is already validating is returned untouched. Whatever goes wrong
    ends as INVALID with a message the uploader can act on, never as a batch left "validating".
    """
    with session_lock(IMPORT_LOCK_CLASS, batch.pk) as mine:
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
                           errors=[{"row": 1, "column": "", "message": str(exc)}])
        except Exception as exc:
            log.exception("import batch %s could not be validated", batch.pk)
            return _finish(batch, status=ImportBatch.Status.INVALID, errors=[{"row": 0, "column": "", "message": _(
                "Berkas tidak dapat diperiksa (%(error)s). Periksa formatnya atau hubungi admin.")
                % {"error": type(exc).__name__}}])
        if not parsed.errors:
            _keep_parsed(batch, parsed)
        return _finish(
            batch, status=ImportBatch.Status.INVALID if parsed.errors else ImportBatch.Status.READY,
            errors=parsed.errors, rows_done=len(rows), groups_count=len(parsed.groups),
            members_count=sum(len(g.members) for g in parsed.groups.values()),
        )


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
    with session_lock(IMPORT_LOCK_CLASS, batch.pk) as mine:
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
            return _finish(batch, status=ImportBatch.Status.FAILED, errors=[{"row": 0, "column": "", "message": _(
                "Penyimpanan gagal, tidak ada yang tersimpan (%(error)s). Coba lagi atau hubungi admin.")
                % {"error": "IntegrityError"}}])
        except Exception as exc:  # whatever it was, nothing of the batch is written; the user is told
            log.exception("import batch %s failed", batch.pk)
            return _finish(batch, status=ImportBatch.Status.FAILED, errors=[{"row": 0, "column": "", "message": _(
                "Penyimpanan gagal, tidak ada yang tersimpan (%(error)s). Coba lagi atau hubungi admin.")
                % {"error": type(exc).__name__}}])
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
    from django.urls import reverse
    from django.utils import translation

    from accounts.models import Notification
    from accounts.notifications import notify

    done = {ImportBatch.Status.READY: _("siap disimpan"), ImportBatch.Status.COMMITTED: _("tersimpan"),
            ImportBatch.Status.INVALID: _("ada baris yang salah"), ImportBatch.Status.FAILED: _("gagal")}
    if batch.status in done:
        failed = batch.status in (ImportBatch.Status.INVALID, ImportBatch.Status.FAILED)
        with translation.override(settings.LANGUAGE_CODE):
            text = _("Impor %(name)s: %(status)s.") % {"name": batch.original_name, "status": done[batch.status]}
        notify(users=[batch.created_by], text=text, url=reverse("recipients:import-detail", args=[batch.pk]),
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

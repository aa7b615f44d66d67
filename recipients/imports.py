"""Import of groups and members from CSV/XLSX: preview every error, then write all or nothing.

One row per member; the group's columns repeat on each of its members' rows (a group with
no member rows is one row with the member columns empty). The file is read with tablib
(what django-import-export uses; openpyxl for XLSX). Validation collects *every* error of
*every* row before anything is written; the commit re-validates and writes in one
transaction. Files over ``SYNC_MAX_ROWS`` rows run both steps as Celery tasks with progress.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass

import tablib
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import Region
from recipients.models import ImportBatch, Member, RecipientGroup, Sector
from recipients.selectors import regencies_visible_to
from recipients.services import GroupData, MemberData, _validate_group, application_propose, nik_problem
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


def read_rows(content: bytes, filename: str) -> list[dict]:
    """Rows as dicts keyed by lower-case column names; raises ValueError on an unreadable file."""
    if filename.lower().endswith(".xlsx"):
        dataset = tablib.Dataset().load(io.BytesIO(content), format="xlsx")
    elif filename.lower().endswith(".csv"):
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = content.decode("cp1252")
        delimiter = ";" if text.splitlines()[0].count(";") > text.splitlines()[0].count(",") else ","
        dataset = tablib.Dataset().load(text, format="csv", delimiter=delimiter)
    else:
        raise ValueError(_("Format berkas harus CSV atau XLSX."))
    headers = [str(h or "").strip().lower() for h in dataset.headers or []]
    missing = [c for c in REQUIRED if c not in headers]
    if missing:
        raise ValueError(_("Kolom wajib tidak ada: %(columns)s.") % {"columns": ", ".join(missing)})
    return [
        {h: ("" if v is None else str(v).strip()) for h, v in zip(headers, row, strict=False)}
        for row in dataset
    ]


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
        row_no = index + 2  # the header is row 1, as in a spreadsheet
        for column in REQUIRED:
            if not row.get(column):
                err(row_no, column, _("Wajib diisi."))
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
        if row.get("nib") and not (row["nib"].isdigit() and len(row["nib"]) == 13):
            err(row_no, "nib", _("NIB terdiri dari 13 digit angka."))
        if row.get("jumlah_anggota") and not row["jumlah_anggota"].isdigit():
            err(row_no, "jumlah_anggota", _("Jumlah anggota harus angka bulat."))
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
                members_count=int(row["jumlah_anggota"]) if row.get("jumlah_anggota", "").isdigit() else None,
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
    for nik in Member.objects.filter(nik__in=list(member_rows)).values_list("nik", flat=True).distinct():
        err(member_rows[nik], "nik_anggota", _("NIK ini sudah terdaftar sebagai anggota kelompok lain."))
    errors.sort(key=lambda e: (e["row"], e["column"]))
    for group in groups.values():
        if group.members_count is None:
            group.members_count = len(group.members)
    return Parsed(groups=groups, errors=errors, rows=len(rows))


def _rows_of(batch: ImportBatch) -> list[dict]:
    with batch.file.open("rb") as f:
        return read_rows(f.read(), batch.original_name)


def batch_validate(batch: ImportBatch) -> ImportBatch:
    """Fill ``batch.errors`` and its status. Writes nothing but the batch row."""
    try:
        rows = _rows_of(batch)
    except ValueError as exc:
        ImportBatch.objects.filter(pk=batch.pk).update(
            status=ImportBatch.Status.INVALID, errors=[{"row": 1, "column": "", "message": str(exc)}],
            finished_at=timezone.now(),
        )
        batch.refresh_from_db()
        return batch
    ImportBatch.objects.filter(pk=batch.pk).update(rows_total=len(rows))

    def progress(done):
        ImportBatch.objects.filter(pk=batch.pk).update(rows_done=done)

    parsed = validate_rows(rows, batch.created_by, on_progress=progress)
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=ImportBatch.Status.INVALID if parsed.errors else ImportBatch.Status.READY,
        errors=parsed.errors, rows_done=len(rows), groups_count=len(parsed.groups),
        members_count=sum(len(g.members) for g in parsed.groups.values()), finished_at=timezone.now(),
    )
    batch.refresh_from_db()
    return batch


def batch_commit(batch: ImportBatch) -> ImportBatch:
    """Write every group and member of a READY batch in one transaction, or nothing."""
    rows = _rows_of(batch)
    parsed = validate_rows(rows, batch.created_by)
    if parsed.errors:
        ImportBatch.objects.filter(pk=batch.pk).update(status=ImportBatch.Status.INVALID, errors=parsed.errors)
        batch.refresh_from_db()
        return batch
    actor = batch.created_by
    try:
        with transaction.atomic():
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
            created = RecipientGroup.objects.bulk_create(new_groups, batch_size=1000)
            Member.objects.bulk_create(
                [Member(group=group, name=m.name, nik=m.nik, role=m.role)
                 for group, data in zip(created, parsed.groups.values(), strict=True) for m in data.members],
                batch_size=2000,
            )
            if batch.program_id:
                for i, group in enumerate(RecipientGroup.objects.filter(import_batch=batch).select_related("regency")):
                    application_propose(group=group, program=batch.program, actor=actor)
                    if (i + 1) % PROGRESS_EVERY == 0:
                        ImportBatch.objects.filter(pk=batch.pk).update(rows_done=i + 1)
            ImportBatch.objects.filter(pk=batch.pk).update(
                status=ImportBatch.Status.COMMITTED, finished_at=timezone.now(), rows_done=len(rows),
            )
    except Exception as exc:  # whatever it was, nothing of the batch is written; the user is told
        log.exception("import batch %s failed", batch.pk)
        ImportBatch.objects.filter(pk=batch.pk).update(
            status=ImportBatch.Status.FAILED, errors=[{"row": 0, "column": "", "message": str(exc)[:500]}],
        )
    batch.refresh_from_db()
    return batch

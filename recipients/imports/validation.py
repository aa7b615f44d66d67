"""Checking an import: *every* error of *every* row, the database's limits included, before
anything is written, so that a file marked ready always commits."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.utils.translation import gettext as _

from core.i18n import stored
from core.models import Region
from core.params import BadParameter, parse_int
from recipients import policy
from recipients.imports.reading import (
    EXTRA_CELLS,
    PROGRESS_EVERY,
    REQUIRED,
    ROLE_WORDS,
    ROW_NUMBER,
    Numeric,
    parse_sector,
)
from recipients.models import Member, RecipientGroup
from recipients.selectors import regencies_visible_to
from recipients.services import (
    GroupData,
    MemberData,
    nib_problem,
    nik_problem,
    phone_problem,
)
from recipients.services import normalize_name as _norm

log = logging.getLogger(__name__)

NIB_DIGITS = 13


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
    unchanged: int = 0  # groups already registered exactly as the file has them


def _same(data: GroupData, group: RecipientGroup) -> bool:
    """Whether the file's group is the registered one, field for field and member for member."""
    mine = (data.name.strip(), data.sector, data.kecamatan, data.desa, data.leader_name, data.leader_nik,
            data.contact_phone, data.nib, data.kind,
            data.members_count if data.members_count is not None else len(data.members))
    theirs = (group.name, group.sector, group.kecamatan, group.desa, group.leader_name, group.leader_nik,
              group.contact_phone, group.nib, group.kind, group.members_count)
    members = sorted((m.name, m.nik, m.role) for m in data.members)
    return mine == theirs and members == sorted((m.name, m.nik, m.role) for m in group.members.all())


def _allowed_regencies(user) -> dict[str, Region]:
    """Regencies the uploader may register groups in; national admins only read."""
    if policy.role_of(user) is None:
        return {}
    return {r.code: r for r in regencies_visible_to(user)}


def _numbers_as_text(row: dict) -> list[str]:
    """Cells an XLSX stored as numbers (``reading.Numeric``). A phone number gets back the 0 a
    spreadsheet drops (``81234500003`` → ``081234500003``; one starting with the country code 62
    is left as it is). A NIK (16 digits, more than a spreadsheet's 15 exact ones) or a NIB that is
    short of its 13 digits cannot be trusted: those columns are named, to be typed again as text."""
    phone = row.get("telepon", "")
    if isinstance(phone, Numeric) and phone and not phone.startswith(("0", "62")):
        row["telepon"] = "0" + phone
    return [column for column in ("nik_ketua", "nik_anggota", "nib")
            if isinstance(row.get(column), Numeric) and row[column]
            and not (column == "nib" and len(row[column]) == NIB_DIGITS)]


def validate_rows(rows: list[dict], user, on_progress=None) -> Parsed:
    """Every error of every row; groups keyed by (regency id, normalised name). ~4 queries."""
    allowed = _allowed_regencies(user)
    known_codes = set(Region.objects.regencies().values_list("code", flat=True))
    errors: list[dict] = []
    groups: dict[tuple[int, str], GroupData] = {}
    first_row: dict[tuple[int, str], int] = {}
    member_rows: dict[str, int] = {}

    def err(row_no, column, message, **params):
        # Kept as the message and its values (core.i18n): the uploader may read it in English.
        errors.append({"row": row_no, "column": column, **stored(message, **params)})

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
                err(row_no, column, _("Paling banyak %(n)s karakter."), n=limit)
        numeric = _numbers_as_text(row)
        for column in numeric:
            err(row_no, column, _("Sel ini tersimpan sebagai angka, sehingga angka 0 di depan atau digit terakhirnya "
                                  "hilang. Format kolom ini sebagai Teks di lembar kerja, lalu ketik ulang."))
        if row.get("telepon") and (problem := phone_problem(row["telepon"])):
            err(row_no, "telepon", problem)
        code = row.get("kode_wilayah", "")
        regency = allowed.get(code)
        if code and regency is None:
            if code in known_codes:
                err(row_no, "kode_wilayah", _("Kabupaten/kota %(code)s di luar wilayah tugas Anda."), code=code)
            else:
                err(row_no, "kode_wilayah", _("Kode wilayah %(code)s tidak dikenal (contoh: 36.04)."), code=code)
        sector = parse_sector(row.get("sektor", ""))
        if row.get("sektor") and sector is None:
            err(row_no, "sektor", _("Sektor “%(value)s” tidak dikenal."), value=row["sektor"])
        for column in ("nik_ketua", "nik_anggota"):
            if row.get(column) and column not in numeric and (problem := nik_problem(row[column])):
                err(row_no, column, problem)
        if row.get("nib") and "nib" not in numeric and (problem := nib_problem(row["nib"])):
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
                    _("NIK ini sudah ada di baris %(row)s."), row=member_rows[nik])
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
            err(row_no, "nama_ketua", _("Ketua berbeda dengan baris %(row)s untuk kelompok yang sama."),
                row=first_row[key])
        if nik and role is not None:
            group.members.append(MemberData(name=row["nama_anggota"], nik=nik, role=role))
        if on_progress and (index + 1) % PROGRESS_EVERY == 0:
            on_progress(index + 1)

    # Against the database: groups already registered, NIKs already members elsewhere.
    by_regency: dict[int, set[str]] = {}
    for regency_id, name in groups:
        by_regency.setdefault(regency_id, set()).add(name)
    unchanged: set[tuple[int, str]] = set()
    own_niks: set[str] = set()  # the file's members who are members of that very group already
    for regency_id, names in by_regency.items():
        registered = RecipientGroup.objects.filter(regency_id=regency_id, normalized_name__in=names
                                                   ).prefetch_related("members")
        for existing in registered:
            key = (regency_id, existing.normalized_name)
            own_niks |= {m.nik for m in existing.members.all()} & {m.nik for m in groups[key].members}
            if _same(groups[key], existing):
                unchanged.add(key)  # an exported file imported back: nothing to do for this group
            else:
                err(first_row[key], "nama_kelompok", _("Kelompok ini sudah terdaftar dengan data yang berbeda; "
                                                       "ubah datanya di halaman kelompok."))
    for key in unchanged:
        del groups[key]
    # A NIK already registered in the uploader's own regencies is named as such; one registered
    # elsewhere is not (that would let anyone probe NIKs nationwide): the province reviews it.
    in_scope = {r.pk for r in allowed.values()}
    for nik, regency_id in Member.objects.filter(nik__in=list(set(member_rows) - own_niks)).values_list(
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
    return Parsed(groups=groups, errors=errors, rows=len(rows), unchanged=len(unchanged))

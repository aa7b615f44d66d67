"""Reading an import file: CSV in any encoding or newline style a spreadsheet writes, XLSX with
openpyxl in read-only mode after a check of its unpacked size; the columns, and the words
accepted for sectors and member roles. Files heavier than ``is_light`` allows are read only by
Celery workers, never inside a web request."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import logging
import zipfile

from django.utils.translation import gettext as _
from openpyxl import load_workbook

from core.i18n import stored
from recipients.models import Member, Sector

log = logging.getLogger(__name__)

SYNC_MAX_ROWS = 500
# Keys of a read row beside its columns: the file's line number, and cells past the last column.
ROW_NUMBER = "__row__"
EXTRA_CELLS = "__extra__"
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
    """The file cannot be read as a table; ``str()`` is the message for the user, ``entry`` the same
    message kept for another reader's language (``core.i18n.stored``)."""

    def __init__(self, message, **params):
        self.entry = stored(message, **params)
        super().__init__(self.entry["message"])


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
        raise UnreadableFile(_("CSV tidak dapat dibaca: %(error)s."), error=str(exc))


def _xlsx_unpacked_size(content: bytes) -> int:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, EOFError):
        raise UnreadableFile(_("Berkas XLSX rusak atau bukan XLSX; simpan ulang dari program lembar kerja."))


class Numeric(str):
    """A cell the spreadsheet stored as a number: whatever leading zero it had is already gone, and a
    number of more than 15 digits was rounded by the program that wrote it (``validation`` decides
    what that means for a phone, a NIK or a NIB)."""


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return Numeric(value)
    if isinstance(value, float):
        return Numeric(int(value) if value.is_integer() else value)
    if isinstance(value, dt.datetime | dt.date):
        return (value.date() if isinstance(value, dt.datetime) else value).isoformat()
    return str(value)


def _xlsx_rows(content: bytes) -> list[list[str]]:
    if _xlsx_unpacked_size(content) > XLSX_MAX_UNPACKED_BYTES:
        raise UnreadableFile(_("Berkas XLSX terlalu besar setelah dibuka; pecah menjadi beberapa berkas."))
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        rows = [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
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


def _stripped(value) -> str:
    text = str(value).strip()
    return Numeric(text) if isinstance(value, Numeric) else text


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
                               "seperti pada templat."), columns=", ".join(missing))
    rows = []
    for number, cells in enumerate(table[1:], start=2):  # the header is row 1, as in a spreadsheet
        if not any(str(c).strip() for c in cells):
            continue  # blank lines, as spreadsheets leave them
        row = {h: _stripped(v) for h, v in zip(headers, cells, strict=False) if h}
        row[ROW_NUMBER] = number
        if any(str(v).strip() for v in cells[len(headers):]):
            row[EXTRA_CELLS] = True
        rows.append(row)
    return rows

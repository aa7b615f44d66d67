"""The import corpus: files as spreadsheet programs and attackers write them. Each ends with a
clear message in the uploader's language (or commits whole), never a 500, never a batch left
"validating", and a file the preview calls ready always commits."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from recipients import imports
from recipients.models import ImportBatch, Member, RecipientGroup
from tests.factories import region

pytestmark = pytest.mark.django_db

HEADER = ("kode_wilayah,nama_kelompok,sektor,kecamatan,desa,nama_ketua,nik_ketua,telepon,nib,jumlah_anggota,"
          "nama_anggota,nik_anggota,peran_anggota")
GOOD_ROW = "36.04,Kelompok Masker Ciruas,masker,Ciruas,,Siti,,0812 3456,,3,Siti,3604015203850001,ketua"


def _upload(client, user, name, content):
    client.force_login(user)
    response = client.post(reverse("recipients:import-upload"), {"file": SimpleUploadedFile(name, content)})
    assert response.status_code == 302, response.status_code
    return ImportBatch.objects.order_by("-pk").first()


def _messages(batch):
    return " | ".join(e["message"] for e in batch.errors)


def _nothing_written():
    return not RecipientGroup.objects.exists() and not Member.objects.exists()


@pytest.mark.parametrize("name,content,expected", [
    ("bom.csv", b"\xef\xbb\xbf", "Berkas kosong"),
    ("nul.csv", (HEADER + "\n" + GOOD_ROW).encode().replace(b"Siti", b"Si\x00ti"), "byte NUL"),
    ("charmap.csv", (HEADER + "\n" + GOOD_ROW).encode("cp1252").replace(b"Ciruas", b"Ci\x81ruas"),
     "Pengodean berkas tidak dikenali"),
    ("tanpa-judul.csv", b"a,b\n1,2\n", "Kolom wajib tidak ada"),
    ("rusak.xlsx", b"PK\x03\x04 not really a zip", "XLSX rusak"),
    ("bukan.xlsx", b"kode_wilayah,nama\n", "XLSX rusak"),
])
def test_unreadable_files_are_named_not_500(client, serang_staff, name, content, expected):
    batch = _upload(client, serang_staff, name, content)
    assert batch.status == ImportBatch.Status.INVALID
    assert expected in _messages(batch), _messages(batch)
    page = client.get(reverse("recipients:import-detail", args=[batch.pk]))
    assert page.status_code == 200 and expected in page.content.decode()
    assert _nothing_written()


@pytest.mark.parametrize("name,content", [("kosong.csv", b""), ("gambar.png", b"\x89PNG\r\n")])
def test_empty_or_foreign_files_are_refused_on_the_form(client, serang_staff, name, content):
    client.force_login(serang_staff)
    response = client.post(reverse("recipients:import-upload"), {"file": SimpleUploadedFile(name, content)})
    assert response.status_code == 200 and 'class="error"' in response.content.decode()
    assert not ImportBatch.objects.exists() and _nothing_written()


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1252"])
@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_every_encoding_and_newline_a_spreadsheet_writes_commits(client, serang_staff, encoding, newline):
    text = newline.join([HEADER, GOOD_ROW.replace("Ciruas,masker", "Ciruas Café,masker"),
                         "36.04,Kelompok Masker Ciruas Café,masker,Ciruas,,Siti,,0812 3456,,3,Dedi,"
                         "3604011507900002,anggota"]) + newline
    batch = _upload(client, serang_staff, "kelompok.csv", text.encode(encoding))
    assert batch.status == ImportBatch.Status.READY, _messages(batch)
    assert batch.rows_total == 2 and batch.groups_count == 1 and batch.members_count == 2
    client.post(reverse("recipients:import-commit", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.COMMITTED
    assert RecipientGroup.objects.get().name == "Kelompok Masker Ciruas Café"


def test_cr_only_file_is_counted_by_its_lines_and_sent_to_a_worker(client, serang_staff):
    rows = [f"36.04,Kelompok {i},masker,,,Ketua {i},,,,,,," for i in range(600)]
    batch = _upload(client, serang_staff, "mac.csv", "\r".join([HEADER, *rows]).encode())
    # 600 rows: too many to check inside the web request; it waits for a worker.
    assert batch.status == ImportBatch.Status.VALIDATING and batch.rows_total == 0
    imports.batch_validate(batch)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.READY and batch.rows_total == 600


@pytest.mark.parametrize("row,column,expected", [
    (GOOD_ROW.replace(",3,Siti", ",²,Siti"), "jumlah_anggota", "angka bulat (0–9)"),
    (GOOD_ROW.replace(",3,Siti", ",99999999999999999999,Siti"), "jumlah_anggota", "angka bulat"),
    (GOOD_ROW.replace("Kelompok Masker Ciruas", "K" * 201), "nama_kelompok", "Paling banyak 200 karakter"),
    (GOOD_ROW.replace("0812 3456", "0812" * 10), "telepon", "Paling banyak 20 karakter"),
    (GOOD_ROW.replace("0812 3456", "０８１２"), "telepon", "Nomor telepon hanya berisi angka"),
    (GOOD_ROW.replace(",3,Siti", ",3,Siti").replace(",,3", ",１２３４５６７８９０１２３,3"), "nib", "NIB terdiri"),
    (GOOD_ROW.replace("3604015203850001", "36040152038５0001"), "nik_anggota", ""),
    (GOOD_ROW + ",lebih", "", "lebih banyak kolom"),
])
def test_values_the_database_would_refuse_are_caught_in_the_preview(client, serang_staff, row, column, expected):
    batch = _upload(client, serang_staff, "kelompok.csv", f"{HEADER}\n{row}\n".encode())
    assert batch.status == ImportBatch.Status.INVALID, "a file the database refuses must not be ready"
    assert any(e["column"] == column and expected in e["message"] for e in batch.errors), batch.errors
    body = client.get(reverse("recipients:import-detail", args=[batch.pk])).content.decode()
    assert "DETAIL" not in body and "violates" not in body and "Failing row" not in body
    assert _nothing_written()


def test_page_shows_two_hundred_errors_and_the_file_has_all(client, serang_staff):
    rows = [f"36.04,Kelompok {i},masker,,,Ketua {i},,,,x,,," for i in range(450)]
    batch = ImportBatch.objects.create(created_by=serang_staff, original_name="x.csv",
                                       file=SimpleUploadedFile("x.csv", "\n".join([HEADER, *rows]).encode()))
    imports.batch_validate(batch)
    batch.refresh_from_db()
    assert len(batch.errors) == 450
    client.force_login(serang_staff)
    body = client.get(reverse("recipients:import-detail", args=[batch.pk])).content.decode()
    assert body.count("<tr><td class=\"num\">") == 200 and "250 kesalahan lain" in body
    download = client.get(reverse("recipients:import-errors", args=[batch.pk]))
    assert download.status_code == 200 and download.content.decode().count("\n") == 451
    assert "no-store" in download["Cache-Control"]


def _xlsx(shared_strings: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/sharedStrings.xml", "<sst>" + "<si><t>x</t></si>" * shared_strings + "</sst>")
    return buffer.getvalue()


def test_xlsx_that_unpacks_big_is_never_parsed_in_the_web_request(client, serang_staff):
    content = _xlsx(300_000)  # small on disk, ~5 MB unpacked
    assert len(content) < imports.SYNC_MAX_BYTES
    batch = _upload(client, serang_staff, "kecil.xlsx", content)
    assert batch.status == ImportBatch.Status.VALIDATING  # left for a worker
    imports.batch_validate(batch)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.INVALID and "XLSX rusak" in _messages(batch)


def test_nik_registered_in_another_regency_is_not_revealed(client, serang_staff, lebak_staff):
    from recipients import services

    services.group_create(actor=lebak_staff, data=services.GroupData(
        name="Kelompok Masker Rangkasbitung", regency_id=region("36.02").pk, sector="masks", leader_name="Ujang",
        members=[services.MemberData("Ujang", "3604015203850001", "leader")]))
    batch = _upload(client, serang_staff, "kelompok.csv", f"{HEADER}\n{GOOD_ROW}\n".encode())
    text = _messages(batch)
    assert "perlu ditinjau provinsi" in text
    assert "Rangkasbitung" not in text and "Lebak" not in text and "sudah terdaftar" not in text


def test_a_batch_left_validating_is_sent_again_then_failed_with_a_reason(serang_staff, settings):
    import datetime as dt

    from django.utils import timezone

    batch = ImportBatch.objects.create(created_by=serang_staff, original_name="x.csv",
                                       file=SimpleUploadedFile("x.csv", f"{HEADER}\n{GOOD_ROW}\n".encode()))
    old = timezone.now() - dt.timedelta(hours=1)
    ImportBatch.objects.filter(pk=batch.pk).update(created_at=old, heartbeat_at=old)
    assert imports.batches_reap() == {"resent": 1, "failed": 0}
    assert imports.batches_reap() == {"resent": 0, "failed": 0}  # sent; not again at once
    ImportBatch.objects.filter(pk=batch.pk).update(dispatched_at=old, attempts=settings.JOB_MAX_ATTEMPTS)
    assert imports.batches_reap() == {"resent": 0, "failed": 1}
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.FAILED and "worker berhenti" in _messages(batch)


def test_a_batch_a_worker_holds_is_left_alone(serang_staff):
    import datetime as dt

    from django.utils import timezone

    from core.jobs import IMPORT_LOCK_CLASS, session_lock

    batch = ImportBatch.objects.create(created_by=serang_staff, original_name="x.csv",
                                       file=SimpleUploadedFile("x.csv", f"{HEADER}\n{GOOD_ROW}\n".encode()))
    ImportBatch.objects.filter(pk=batch.pk).update(created_at=timezone.now() - dt.timedelta(hours=1))
    with session_lock(IMPORT_LOCK_CLASS, batch.pk) as mine:
        assert mine
        assert imports.batches_reap() == {"resent": 0, "failed": 0}

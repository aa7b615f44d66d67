"""Imports that round-trip: the group export has the import's columns, so a downloaded file
imports back with 0 changes and 0 errors; the template to fill in is offered as CSV and XLSX; the
preview shows the first groups as they will be saved; NIK, NIB and phone stay text in every
format (an XLSX phone ``081234500003`` stays ``081234500003``)."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from recipients import exports, services
from recipients.models import ExportJob, ImportBatch, Member, RecipientGroup
from tests.factories import region

pytestmark = pytest.mark.django_db

NIK_A, NIK_B, NIK_C = "3604015203850001", "3604011507900002", "3604014404920013"


@pytest.fixture
def two_groups(serang_staff):
    for name, leader, nik, others in (("Kelompok Jahit Tanara", "Siti Aminah", NIK_A, [("Dedi", NIK_B)]),
                                      ("Kelompok Masker Cikeusal", "Ani", NIK_C, [])):
        services.group_create(actor=serang_staff, data=services.GroupData(
            name=name, regency_id=region("36.04").pk, sector="masks", leader_name=leader, leader_nik=nik,
            kecamatan="Tanara", contact_phone="081234500003", nib="0123456789012",
            members=[services.MemberData(leader, nik, Member.Role.LEADER),
                     *(services.MemberData(n, k, Member.Role.MEMBER) for n, k in others)]))


def _snapshot():
    groups = RecipientGroup.objects.order_by("pk")
    return (list(groups.values_list("name", "sector", "kecamatan", "leader_nik", "contact_phone", "nib", "version")),
            sorted(Member.objects.values_list("group_id", "name", "nik", "role")),
            RecipientGroup.pgh_event_model.objects.count(), Member.pgh_event_model.objects.count())


def _upload(client, name, content) -> ImportBatch:
    client.post(reverse("recipients:import-upload"), {"file": SimpleUploadedFile(name, content)})
    return ImportBatch.objects.latest("created_at")


def test_an_exported_csv_imports_back_with_no_change_and_no_error(client, serang_staff, two_groups):
    client.force_login(serang_staff)
    before = _snapshot()
    body = b"".join(client.get(reverse("recipients:group-export", args=["csv"])).streaming_content)
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == exports.HEADER and len(rows) == 4  # a row per member
    batch = _upload(client, "kelompok-ikm.csv", body)
    assert batch.status == ImportBatch.Status.READY, batch.errors
    assert (batch.errors, batch.groups_count, batch.unchanged_count) == ([], 0, 2)
    page = client.get(reverse("recipients:import-detail", args=[batch.pk])).content.decode()
    assert 'data-testid="import-unchanged"' in page
    client.post(reverse("recipients:import-commit", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.COMMITTED
    assert _snapshot() == before
    # One change in the file: that group is named, nothing is written.
    changed = body.decode("utf-8-sig").replace("Kelompok Masker Cikeusal,Masker,Tanara",
                                               "Kelompok Masker Cikeusal,Masker,Pontang").encode()
    batch = _upload(client, "diubah.csv", changed)
    assert batch.status == ImportBatch.Status.INVALID
    assert [(e["row"], e["column"]) for e in batch.errors] == [(4, "nama_kelompok")]
    assert _snapshot() == before


def test_an_exported_xlsx_imports_back_and_keeps_the_leading_zeros(client, serang_staff, two_groups):
    client.force_login(serang_staff)
    before = _snapshot()
    job = exports.job_build(ExportJob.objects.create(created_by=serang_staff, fmt="xlsx"))
    content = job.file.open("rb").read()
    values = list(load_workbook(io.BytesIO(content), read_only=True).active.values)
    assert values[1][8] == "081234500003" and values[1][9] == "0123456789012" and values[1][7] == NIK_A
    batch = _upload(client, "kelompok-ikm.xlsx", content)
    assert (batch.status, batch.errors, batch.unchanged_count) == (ImportBatch.Status.READY, [], 2)
    assert _snapshot() == before


def _xlsx(rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(exports.HEADER)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_numbers_in_an_xlsx_a_phone_gets_its_zero_back_a_nik_is_named(client, serang_staff):
    client.force_login(serang_staff)
    typed = ["36.04", "", "Kelompok Bordir Pontang", "Konveksi", "", "", "Rina", "3604014404920015", "081234500003",
             "", "", "", "", ""]
    as_number = [*typed[:2], "Kelompok Batik Baros", *typed[3:8], 81234500003, *typed[9:]]
    batch = _upload(client, "angka.xlsx", _xlsx([typed, as_number]))
    assert batch.status == ImportBatch.Status.READY, batch.errors
    client.post(reverse("recipients:import-commit", args=[batch.pk]))
    phones = dict(RecipientGroup.objects.values_list("name", "contact_phone"))
    assert phones == {"Kelompok Bordir Pontang": "081234500003", "Kelompok Batik Baros": "081234500003"}
    nik_as_number = [*typed[:2], "Kelompok Anyaman Kibin", *typed[3:7], 3604014404920019, *typed[8:]]
    batch = _upload(client, "nik.xlsx", _xlsx([nik_as_number]))
    assert batch.status == ImportBatch.Status.INVALID
    assert [(e["row"], e["column"]) for e in batch.errors] == [(2, "nik_ketua")]
    assert "Format kolom ini sebagai Teks" in batch.errors[0]["message"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_template_has_the_columns_and_an_example_that_imports(client, serang_staff, fmt):
    client.force_login(serang_staff)
    response = client.get(reverse("recipients:import-template", args=[fmt]))
    assert response.status_code == 200
    if fmt == "xlsx":
        sheet = load_workbook(io.BytesIO(response.content)).active
        assert [c.value for c in sheet[1]] == exports.HEADER
        nik_column = exports.HEADER.index("nik_ketua") + 1
        assert sheet.column_dimensions[sheet.cell(1, nik_column).column_letter].number_format == "@"
    else:
        assert list(csv.reader(io.StringIO(response.content.decode())))[0] == exports.HEADER
    batch = _upload(client, f"templat.{fmt}", response.content)
    assert (batch.status, batch.errors, batch.groups_count, batch.members_count) == (
        ImportBatch.Status.READY, [], 1, 2)
    # The preview shows the group as it will be saved, NIKs masked.
    page = client.get(reverse("recipients:import-detail", args=[batch.pk])).content.decode()
    preview = page.split('data-testid="import-preview"')[1].split("</table>")[0]
    assert "Kelompok Konveksi Contoh" in preview and "081234500003" in preview and "Dedi (Anggota" in preview
    assert "3604015203850001" not in preview and "0001" in preview

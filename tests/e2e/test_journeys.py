"""Every user journey, as a person would do it, in headless Chromium."""

import datetime as dt
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from programs.models import Allocation, BudgetCeiling, Program, Realization
from recipients.models import Application, ImportBatch, RecipientGroup, State
from reports.models import RollupRun

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

EQUIPMENT_2021 = "Bantuan peralatan produksi bagi IKM terdampak Covid-19"
MASKS_2020 = "Bantuan teknis dan peralatan produksi masker ber-SNI bagi kelompok IKM"


def test_1_officer_sets_ceiling_allocates_revises_realizes(site):
    """The coordinator (BPKAD) sets the ceiling, allocates and revises; the OPD records spending."""
    page = site.page("bpkad")
    page.goto(f"{site.url}/kelola/pagu/baru/")
    page.fill("#id_fiscal_year", "2021")
    page.select_option("#id_funding_source", label="Program Pemulihan Ekonomi Nasional (PEN)")
    page.fill("#id_amount", "5.000.000.000")
    page.click("text=Simpan pagu")
    expect(page.locator("h1")).to_contain_text("Pagu Program Pemulihan Ekonomi Nasional (PEN) 2021")
    expect(page.get_by_test_id("ceiling-headroom")).to_have_text("Rp5 miliar")

    page.click("text=Alokasikan ke program")
    page.select_option("#id_program", label=f"Disperindag Banten · {EQUIPMENT_2021} (2021)")
    page.fill("#id_amount", "180.000.000")
    page.click("text=Simpan alokasi")
    expect(page.get_by_test_id("allocation-amount")).to_have_text("Rp180 juta")

    page.fill("#id_new_amount", "150.000.000")
    page.fill("#id_reason", "Refocusing anggaran untuk penanganan Covid-19")
    page.click("text=Simpan revisi")
    expect(page.get_by_test_id("allocation-amount")).to_have_text("Rp150 juta")
    expect(page.locator("#id_description")).to_have_count(0)  # the coordinator records no spending
    allocation_url = page.url

    page = site.page("banten")
    page.goto(allocation_url)
    expect(page.locator("#id_new_amount")).to_have_count(0)  # nor does the OPD revise its allocation
    page.fill("#id_amount", "50.000.000")
    page.fill("#id_description", "Mesin jahit tahap I")
    page.click("button:has-text('Catat realisasi')")
    expect(page.get_by_test_id("allocation-headroom")).to_have_text("Rp100 juta")
    expect(page.get_by_test_id("ceiling-headroom")).to_have_text("Rp4,85 miliar")
    history = page.locator("#history-heading + ol")
    expect(history).to_contain_text("Rp180.000.000 → Rp150.000.000")
    expect(history).to_contain_text("Refocusing anggaran untuk penanganan Covid-19")
    expect(history).to_contain_text("Wulan BPKAD Banten")
    site.shoot(page, "1-allocation-history")

    # A wrong realization is corrected by a reversal entry, never edited away.
    page.get_by_role("link", name="Koreksi", exact=True).click()
    page.fill("#id_reason", "Salah input: mesin jahit belum diterima")
    site.shoot(page, "1-reversal-form")
    # The reversal cannot be undone: the browser asks first; "OK".
    questions = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
    page.click("text=Catat koreksi")
    expect(page.get_by_test_id("allocation-headroom")).to_have_text("Rp150 juta")
    expect(page.locator("table").first).to_contain_text("dikoreksi")
    expect(page.locator("table").first).to_contain_text("entri koreksi")
    assert questions and "tidak dapat dihapus" in questions[0]
    site.shoot(page, "1-allocation-reversed")


def _import_csv(tmp_path, rows, name):
    header = ("kode_wilayah,nama_kelompok,sektor,kecamatan,desa,nama_ketua,nik_ketua,telepon,nib,jumlah_anggota,"
              "nama_anggota,nik_anggota,peran_anggota\n")
    path = tmp_path / name
    path.write_text(header + "".join(rows))
    return str(path)


def test_2_district_imports_checks_and_outsider_cannot_see(site, tmp_path):
    page = site.page("serang")
    page.goto(f"{site.url}/kelola/impor/")
    bad = _import_csv(tmp_path, [
        "36.04,Kelompok Jahit Tirtayasa,masker,Tirtayasa,,Wawan,3604011503800011,,,,Wawan,3604011503800011,ketua\n",
        "36.04,Kelompok Jahit Tirtayasa,masker,Tirtayasa,,Wawan,3604011503800011,,,,Tini,12345,anggota\n",
        "36.02,Kelompok Salah Wilayah,masker,,,Ujang,,,,,,,\n",
    ], "kelompok.csv")
    page.set_input_files("#id_file", bad)
    page.select_option("#id_program", label=f"{MASKS_2020} (2020)")
    page.click("text=Periksa berkas")
    errors = page.get_by_test_id("import-errors")
    expect(errors).to_contain_text("16 digit")
    expect(errors).to_contain_text("di luar wilayah tugas")
    site.shoot(page, "2-import-preview-errors")
    assert not RecipientGroup.objects.filter(name="Kelompok Jahit Tirtayasa").exists()

    page.click("text=Unggah berkas yang sudah diperbaiki")
    fixed = _import_csv(tmp_path, [
        "36.04,Kelompok Jahit Tirtayasa,masker,Tirtayasa,,Wawan,3604011503800011,,,,Wawan,3604011503800011,ketua\n",
        "36.04,Kelompok Jahit Tirtayasa,masker,Tirtayasa,,Wawan,3604011503800011,,,,Tini,3604015507850012,anggota\n",
    ], "kelompok-perbaikan.csv")
    page.set_input_files("#id_file", fixed)
    page.select_option("#id_program", label=f"{MASKS_2020} (2020)")
    page.click("text=Periksa berkas")
    expect(page.get_by_test_id("import-status")).to_have_text("Siap disimpan")
    page.click("button:has-text('Simpan semua')")
    expect(page.get_by_test_id("import-status")).to_have_text("Tersimpan")
    assert ImportBatch.objects.filter(status="committed").count() == 1

    group = RecipientGroup.objects.get(name="Kelompok Jahit Tirtayasa")
    application = Application.objects.get(group=group)
    page.goto(f"{site.url}/kelola/usulan/{application.pk}/")
    page.click("#move-doc_checked ~ form button[name=move]")
    expect(page.get_by_test_id("state")).to_have_text("Lolos cek dokumen")
    for radio in page.locator("input[type=radio][name^=field_checked-][value=yes]").all():
        radio.check()
    page.click("#move-field_checked ~ form button[name=move]")
    expect(page.get_by_test_id("state")).to_have_text("Lolos cek lapangan")
    site.shoot(page, "2-field-check-done")

    outsider = site.page("lebak")
    response = outsider.goto(f"{site.url}/kelola/kelompok/{group.pk}/")
    assert response.status == 404
    expect(outsider.locator("h1")).to_have_text("Halaman tidak ditemukan")
    response = outsider.goto(f"{site.url}/kelola/usulan/{application.pk}/")
    assert response.status == 404
    outsider.goto(f"{site.url}/kelola/kelompok/")
    expect(outsider.locator("main")).not_to_contain_text("Kelompok Jahit Tirtayasa")


def test_3_province_approves_and_delivery_is_recorded(site):
    application = Application.objects.get(group__name="Kelompok Konveksi Mandiri Anyer")
    assert application.state == State.FIELD_CHECKED
    page = site.page("banten")
    page.goto(f"{site.url}/kelola/usulan/{application.pk}/")
    page.fill("#id_approved-sk_number", "SK-36/045/DISPERINDAG/2020")
    page.click("#move-approved ~ form button[name=move]")
    expect(page.get_by_test_id("state")).to_have_text("Disetujui provinsi")
    page.select_option("#id_delivered-allocation", index=1)
    page.fill("#id_delivered-handover_date", "2020-12-15")
    page.fill("#id_delivered-handover_items", "2 mesin jahit high-speed")
    page.fill("#id_delivered-handover_amount", "9.000.000")
    page.click("#move-delivered ~ form button[name=move]")
    expect(page.get_by_test_id("state")).to_have_text("Bantuan diserahkan")
    expect(page.locator("main")).to_contain_text("SK-36/045/DISPERINDAG/2020")
    site.shoot(page, "3-delivered")
    allocation = Allocation.objects.get(program__name=MASKS_2020)
    assert Realization.objects.filter(allocation=allocation, amount=9_000_000).exists()


def test_4_refresh_now_updates_chart_and_public_program_page(site, celery_worker_thread):
    allocation = Allocation.objects.get(program__name=MASKS_2020)
    program = Program.objects.get(name=MASKS_2020)
    public = site.page()
    public.goto(f"{site.url}/program/{program.pk}/")
    expect(public.get_by_test_id("program-realized")).to_have_text("Rp90 juta")  # 72 jt + 18 jt handover

    from programs import services

    services.realization_create(allocation=allocation, date=dt.date(allocation.ceiling.fiscal_year, 2, 1),
                                amount=30_000_000,
                                description="Alat uji masker tahap II")
    officer = site.page("banten")
    officer.goto(f"{site.url}/provinsi/36/")
    officer.click("text=Hitung ulang sekarang")
    newest = officer.locator("tbody tr").first  # the status page refreshes itself every 3 s
    expect(newest).to_contain_text("manual")
    expect(newest).to_contain_text("Berhasil", timeout=30_000)
    site.shoot(officer, "4-rollup-status")
    assert RollupRun.objects.filter(trigger="manual", status="success").exists()
    officer.goto(f"{site.url}/provinsi/36/")
    expect(officer.get_by_test_id("total-realized")).to_have_text("Rp120 juta")
    officer.wait_for_function("() => document.querySelectorAll('canvas[data-chart]').length >= 5")
    site.shoot(officer, "4-province-after-refresh")
    public.reload()
    expect(public.get_by_test_id("program-realized")).to_have_text("Rp120 juta")


def test_5_anonymous_visitor_browses_switches_language_downloads(site):
    page = site.page()
    page.goto(site.url + "/")
    expect(page.locator("h1")).to_contain_text("Ke mana dana bantuan IKM")
    site.shoot(page, "5-national")
    page.get_by_role("link", name="Banten", exact=True).click()
    expect(page.locator("h1")).to_contain_text("Banten")
    expect(page.get_by_test_id("total-ceiling")).to_have_text("Rp37 miliar")
    site.shoot(page, "5-province")
    page.get_by_role("link", name="Kabupaten Serang", exact=True).click()
    expect(page.locator("h1")).to_contain_text("Kabupaten Serang")
    page.get_by_role("link", name="Usaha Ekonomi Produktif (UEP) bagi KPM lulusan Jamsosratu").click()
    expect(page.get_by_test_id("program-allocated")).to_have_text("Rp12,5 miliar")
    page.get_by_role("link", name="English").click()
    expect(page.get_by_test_id("program-allocated")).to_have_text("Rp12.5 billion")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    site.shoot(page, "5-program-english")
    page.goto(f"{site.url}/provinsi/36/")
    page.get_by_role("link", name=re.compile("Unduh data provinsi ini|Download this province")).click()
    with page.expect_download() as download:
        page.get_by_test_id("download-csv").click()
    content = Path(download.value.path()).read_text(encoding="utf-8")
    assert content.startswith("fiscal_year,province_code,province,") and ",36,Banten," in content
    assert ",180000000," in content
    # The province chosen in the form is what the button downloads, without pressing anything else.
    page.goto(f"{site.url}/data/")
    page.select_option("#provinsi", "63")
    page.select_option("#tahun", "2020")
    with page.expect_download() as download:
        page.get_by_test_id("download-csv").click()
    chosen = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    assert len(chosen) > 1 and all(line.startswith("2020,63,") for line in chosen[1:])


def test_6_bad_input_double_click_and_over_ceiling(site):
    page = site.page("bpkad")
    ceiling = BudgetCeiling.objects.get(province__code="36", fiscal_year=2021, funding_source__code="apbd-prov")
    page.goto(f"{site.url}/kelola/alokasi/baru/?ceiling={ceiling.pk}")
    page.select_option("#id_program", label=f"Disperindag Banten · {EQUIPMENT_2021} (2021)")
    page.fill("#id_amount", "3.000.000.000")
    page.click("text=Simpan alokasi")
    field = page.locator(".field.has-error")
    expect(field).to_contain_text("Melebihi sisa pagu: sisa Rp2.500.000.000")
    expect(page.locator("#id_amount")).to_have_value("3.000.000.000")
    site.shoot(page, "6-over-ceiling")
    assert not Allocation.objects.filter(program__name=EQUIPMENT_2021).exists()

    allocation = Allocation.objects.get(program__name=MASKS_2020)
    before = Realization.objects.filter(allocation=allocation).count()
    page = site.page("banten")
    page.goto(f"{site.url}/kelola/alokasi/{allocation.pk}/")
    page.fill("#id_amount", "1.000.000")
    page.fill("#id_description", "Benang dan kain")
    page.locator("button:has-text('Catat realisasi')").dblclick()
    expect(page.locator(".messages")).to_contain_text(re.compile("Realisasi tercatat|sudah tersimpan"))
    assert Realization.objects.filter(allocation=allocation).count() == before + 1

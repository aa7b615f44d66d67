"""The red-flag journey in the browser: Banten's auditor opens the demo's duplicate-NIK case that
spans a Disperindag IKM group and a Dinsos KPM family in Kab. Serang, sees both sides' evidence
and asks the OPD; the Disperindag officer answers with a document; the auditor marks it explained;
the public count for Banten moves from open to explained. At 1280 and 360 px."""

import pytest
from django.core.management import call_command

from reports.demo import plant_flags
from reports.models import Flag
from tests.factories import real_pdf

pytestmark = pytest.mark.django_db(transaction=True)


def counts(page, url=None):
    """The Banten R01 row; a reload asks the server again (the page is cached a minute)."""
    page.goto(url) if url else page.reload()
    row = page.locator('tr[data-province="36"][data-indicator="R01"]')
    return row.locator('[data-col="open"]').inner_text(), row.locator('[data-col="explained"]').inner_text()


def test_auditor_opd_and_public_on_a_duplicate_nik_case(site, tmp_path):
    plant_flags()  # the demo's red flags, as `make run` loads them (load_demo --temuan)
    call_command("flags", verbosity=0)
    flag = Flag.objects.get(indicator="R01")
    public = site.page()
    integrity = f"{site.url}/integritas/?provinsi=36"
    assert counts(public, integrity) == ("1", "0")
    site.shoot(public, "flags-public-before")

    auditor = site.page("inspektorat")
    auditor.click("nav >> text=Temuan")
    auditor.click(f"a[href='/kelola/temuan/{flag.pk}/']")
    groups = auditor.locator('[data-testid="flag-groups"]').inner_text()
    assert "KPM Warung Sembako Ciruas" in groups and "Kelompok Jahit Ciruas Mandiri" in groups
    applications = auditor.locator('[data-testid="flag-applications"]').inner_text()
    assert "Disperindag Banten" in applications and "Dinsos Banten" in applications
    niks = auditor.locator('[data-testid="flag-niks"]').inner_text()
    assert "•" not in niks and len(niks.split("\n")) == 2  # the one NIK, in full, in each group
    site.shoot(auditor, "flags-auditor-case")
    auditor.check('input[name="putus-to_state"][value="review"]')
    auditor.fill("#id_putus-text", "Mohon jelaskan: NIK yang sama di KPM Dinsos dan kelompok IKM.")
    auditor.click('[data-testid="flag-decide"] button[type="submit"]')
    assert auditor.locator('[data-testid="flag-state"]').inner_text() == "Sedang diperiksa"

    officer = site.page("banten")
    officer.goto(f"{site.url}/akun/kotak-masuk/")
    officer.click(f"text=Temuan R01 #{flag.pk} menunggu penjelasan OPD Anda")
    officer.wait_for_url(f"{site.url}/kelola/temuan/{flag.pk}/")
    assert "•" in officer.locator('[data-testid="flag-niks"]').inner_text()  # masked for the OPD
    letter = tmp_path / "surat-dukcapil.pdf"
    letter.write_bytes(real_pdf())
    officer.fill("#id_jawab-text", "Anggota itu pindah dari KPM ke kelompok IKM; Dinsos sudah mencoretnya dari "
                                   "daftar KPM 2021. Surat Dukcapil terlampir.")
    officer.set_input_files("#id_jawab-documents", str(letter))
    officer.click('[data-testid="flag-answer"] button[type="submit"]')
    assert "surat-dukcapil.pdf" in officer.locator('[data-testid="flag-history"]').inner_text()
    site.shoot(officer, "flags-opd-answer")

    auditor.reload()
    auditor.check('input[name="putus-to_state"][value="explained"]')
    auditor.fill("#id_putus-text", "Penjelasan dan surat Dukcapil diterima.")
    auditor.click('[data-testid="flag-decide"] button[type="submit"]')
    assert auditor.locator('[data-testid="flag-state"]').inner_text() == "Dijelaskan"
    site.shoot(auditor, "flags-auditor-explained")

    assert counts(public) == ("0", "1")
    site.shoot(public, "flags-public-after")

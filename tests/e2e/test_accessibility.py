"""axe-core (from npm, like Chart.js) on every public page and every staff page of the journeys, in
Indonesian and English, at 360 and 1280 px: WCAG 2.0/2.1 A and AA rules, 0 violations.

The staff forms are also checked with their errors showing (a refused submit), since that is where
error states, the error summary and the descriptions of each field live.
"""

from pathlib import Path

import pytest

from tests.e2e.conftest import DESKTOP, PHONE

AXE = (Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js").read_text()
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

PUBLIC = ["/", "/provinsi/36/", "/kabupaten/36.04/", "/cari/?q=masker", "/penerima/", "/jejak/realisasi/",
          "/jejak/alokasi/?provinsi=36", "/definisi/", "/data/", "/akun/masuk/", "/akun/sandi/lupa/", "/api/docs/",
          "/api/redoc/", "/halaman-yang-tidak-ada/", "/buku-besar/", "/langganan/berhenti/tautan-rusak/",
          "/integritas/", "/integritas/?provinsi=36"]


def _staff_pages():
    from accounts.models import User
    from programs.models import Allocation, Program
    from recipients.models import Application, RecipientGroup

    # One with the field-check form on it, and a group still open to corrections.
    application = Application.objects.filter(group__regency__code="36.04", group__kind="ikm",
                                             state="doc_checked").order_by("id").first()
    group = (RecipientGroup.objects.filter(regency__code="36.04", kind="ikm")
             .exclude(applications__state__in=["approved", "delivered"]).order_by("id").first())
    program = Program.objects.filter(agency__short_name="Disperindag Banten").order_by("id").first()
    allocation = Allocation.objects.filter(program__agency__short_name="Disperindag Banten").order_by("id").first()
    serang = User.objects.get(username="serang")
    from django.core.management import call_command

    from reports.demo import plant_flags
    from reports.models import Flag

    plant_flags()  # the demo's red flags, as `make run` loads them (load_demo --temuan)
    call_command("flags", verbosity=0)
    duplicate_nik = Flag.objects.get(indicator="R01")
    return {
        "inspektorat": ["/dasbor/", "/kelola/temuan/", f"/kelola/temuan/{duplicate_nik.pk}/"],
        "serang": ["/dasbor/", "/kelola/verifikasi/", "/kelola/usulan/", "/kelola/kelompok/",
                   f"/kelola/kelompok/{group.pk}/", f"/kelola/kelompok/{group.pk}/ubah/",
                   f"/kelola/usulan/{application.pk}/", "/kelola/kelompok/baru/", "/kelola/impor/",
                   "/akun/kotak-masuk/", "/kelola/lapangan/", "/akun/saya/", "/akun/dua-langkah/daftar/"],
        "banten": ["/dasbor/", "/kelola/verifikasi/", f"/kelola/usulan/{application.pk}/", "/kelola/pagu/",
                   "/kelola/alokasi/", f"/kelola/alokasi/{allocation.pk}/",
                   f"/kelola/alokasi/{allocation.pk}/realisasi/",
                   "/kelola/realisasi/", "/kelola/program/", f"/kelola/program/{program.pk}/ubah/", "/kelola/ganda/",
                   "/kelola/rekap/"],
        "bpkad": ["/dasbor/", "/kelola/pagu/", "/kelola/pagu/baru/", "/akun/pengguna/", "/akun/pengguna/undang/",
                  f"/akun/pengguna/{serang.pk}/", "/kelola/laporan/realisasi/"],
        "dpo-banten": ["/dasbor/", "/kelola/data-pribadi/",
                       f"/kelola/data-pribadi/?account={serang.pk}&start=2020-01-01&end=2030-01-01",
                       "/kelola/data-pribadi/permintaan/", f"/kelola/data-pribadi/permintaan/?nik={group.leader_nik}"],
    }


def _violations(page) -> list[str]:
    page.evaluate(AXE)
    found = page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}})).violations"
        ".map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '))", RULES)
    return found


def _scan(page, base, urls, submit_empty=()):
    failures = []
    for url in urls:
        response = page.goto(base + url)
        assert response.status == (404 if "tidak-ada" in url else 200), url
        page.wait_for_load_state("networkidle")
        failures += [f"{url}: {v}" for v in _violations(page)]
        if url in submit_empty:
            # The form sent back with its errors: the summary takes focus and names each field.
            submit = page.locator("main form button.primary[type=submit]")
            assert submit.count(), url
            submit.first.click()
            page.wait_for_load_state("networkidle")
            assert page.evaluate("document.activeElement.matches('[data-error-summary]')"), url
            failures += [f"{url} (errors): {v}" for v in _violations(page)]
    return failures


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360", "1280"])
@pytest.mark.parametrize("language", ["id", "en"])
def test_axe_finds_no_wcag_aa_violation(site, viewport, language):
    failures = []
    for username, urls in [(None, PUBLIC), *_staff_pages().items()]:
        forms = {u for u in urls if u.endswith(("/baru/", "/undang/", "/akun/saya/", "/data-pribadi/permintaan/"))
                 or u.startswith("/kelola/alokasi/") and u.endswith("/realisasi/")}
        # bypass_csp: axe is injected by the test, not served by the site.
        page = site.page(username, viewport=viewport, bypass_csp=True)
        page.goto(f"{site.url}/bahasa/{language}/?next=/")
        assert page.evaluate("document.documentElement.lang") == language
        failures += [f"{username or 'public'} {line}" for line in _scan(page, site.url, urls, forms)]
        page.context.close()
    assert failures == []

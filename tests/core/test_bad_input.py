"""The bad-input corpus: every URL a person or a script can reach, fed Unicode digits, NUL
bytes, control characters, header injections and out-of-range numbers.

What a user would check: no 500 (the test client re-raises any exception a view lets out),
a 400 page in the chosen language where the input is refused, and nothing written.
"""

import pytest
from django.core.cache import cache
from django.core.management import call_command

from accounts.models import User
from programs.models import Allocation, BudgetCeiling, Program, Realization
from recipients.models import Application, RecipientGroup

pytestmark = pytest.mark.django_db

UNICODE_DIGIT = "²"
ARABIC_DIGITS = "٢٠٢٠"
BAD_VALUES = [UNICODE_DIGIT, ARABIC_DIGITS, "%00", "36%0A", "x%22%3B%20filename%3D%22evil.html",
              "99999999999999999999999", "%C0%AF"]


@pytest.fixture
def demo(regions):
    call_command("load_demo", verbosity=0)
    call_command("rollup", verbosity=0)


def _ids():
    program = Program.objects.filter(status=Program.Status.ACTIVE).order_by("pk").first()
    return {"program": program.pk, "agency": program.agency_id}


PUBLIC = ["/", "/provinsi/36/", "/kabupaten/36.04/", "/program/{program}/", "/opd/{agency}/", "/cari/", "/penerima/",
          "/data/", "/data/anggaran.csv", "/data/anggaran.xlsx", "/data/anggaran.json", "/data/metadata.json",
          "/data/datapackage.json", "/api/v1/", "/api/v1/anggaran/", "/api/v1/program/", "/api/v1/kelompok/",
          "/api/v1/wilayah/"]
PUBLIC_PARAMS = ["tahun", "provinsi", "kabupaten", "program", "opd", "q", "page", "jenis", "sumber_dana", "tahap"]


def test_public_urls_never_answer_500(client, demo):
    ids = _ids()
    seen = set()
    for url in PUBLIC:
        url = url.format(**ids)
        cache.clear()  # the API's anonymous throttle would answer 429 to this many requests
        for param in PUBLIC_PARAMS:
            for value in BAD_VALUES:
                response = client.get(f"{url}?{param}={value}")
                seen.add(response.status_code)
                assert response.status_code in (200, 400, 404), (url, param, value, response.status_code)
                disposition = response.get("Content-Disposition", "")
                assert disposition.count("filename=") <= 1, (url, param, value, disposition)
                assert "evil" not in disposition
    assert 400 in seen and 200 in seen


@pytest.mark.parametrize("path", ["/provinsi/%00/", "/kabupaten/36.04%00/", "/cari/?q=%00", "/?provinsi=%00",
                                  "/data/anggaran.csv?tahun=36%0A", "/api/v1/wilayah/?x=%01"])
def test_control_characters_are_a_400_in_the_chosen_language(client, demo, path):
    response = client.get(path)
    assert response.status_code == 400
    assert "Permintaan tidak valid" in response.content.decode()
    client.get("/bahasa/en/")
    response = client.get(path)
    assert response.status_code == 400
    assert "Invalid request" in response.content.decode()


def test_download_filter_with_a_unicode_digit_says_which_value(client, demo):
    response = client.get(f"/data/anggaran.csv?program={UNICODE_DIGIT}")
    assert response.status_code == 400
    assert "angka bulat (0–9)" in response.content.decode()
    injected = client.get("/data/anggaran.csv?tahun=x%22%3B%20filename%3D%22evil.html")
    assert injected.status_code == 400
    assert "Content-Disposition" not in injected
    assert "public" not in injected.get("Cache-Control", "")


def test_public_year_filter_ignores_a_unicode_digit(client, demo):
    for url in ("/", "/provinsi/36/", "/kabupaten/36.04/"):
        assert client.get(f"{url}?tahun={UNICODE_DIGIT}").status_code == 200


STAFF_LISTS = ["/kelola/pagu/", "/kelola/alokasi/", "/kelola/realisasi/", "/kelola/program/", "/kelola/kelompok/",
               "/kelola/verifikasi/", "/kelola/usulan/", "/kelola/ganda/", "/kelola/kelompok/ekspor.csv",
               "/kelola/kelompok/ekspor.xlsx", "/kelola/rekap/", "/dasbor/"]
STAFF_PARAMS = ["fiscal_year", "province", "funding_source", "agency", "kind", "q", "page", "program", "state",
                "sector", "regency", "date_from", "date_to", "ceiling"]


@pytest.mark.parametrize("username", ["banten", "serang", "admin"])
def test_staff_lists_never_answer_500(client, demo, username):
    client.force_login(User.objects.get(username=username))
    for url in STAFF_LISTS:
        for param in STAFF_PARAMS:
            for value in (UNICODE_DIGIT, "%00", "99999999999999999999999"):
                response = client.get(f"{url}?{param}={value}")
                assert response.status_code in (200, 400, 403, 404), (url, param, value, response.status_code)


def _budget_state():
    return (BudgetCeiling.objects.count(), Allocation.objects.count(), Realization.objects.count(),
            sum(BudgetCeiling.objects.values_list("amount", flat=True)),
            sum(Allocation.objects.values_list("amount", flat=True)), Program.objects.count())


@pytest.mark.parametrize("amount", [UNICODE_DIGIT, ARABIC_DIGITS, "1²0", "-5", "99999999999999999999999", "1,5"])
def test_budget_forms_refuse_bad_amounts_next_to_the_field(client, demo, amount):
    allocation = Allocation.objects.filter(program__agency__short_name="Disperindag Banten").order_by("pk").first()
    ceiling = allocation.ceiling
    before = _budget_state()
    posts = [
        ("/kelola/pagu/baru/", {"fiscal_year": "2031", "funding_source": ceiling.funding_source_id, "amount": amount}),
        (f"/kelola/pagu/{ceiling.pk}/ubah/", {"amount": amount, "version": ceiling.version}),
        ("/kelola/alokasi/baru/", {"ceiling": ceiling.pk, "program": allocation.program_id, "amount": amount}),
        (f"/kelola/alokasi/{allocation.pk}/revisi/", {"new_amount": amount, "reason": "refocusing",
                                                      "version": allocation.version}),
        (f"/kelola/alokasi/{allocation.pk}/realisasi/", {"amount": amount, "date": "2021-03-01",
                                                         "description": "uji"}),
    ]
    for url, data in posts:
        # Ceilings and allocations are the coordinator's (BPKAD); realizations the OPD's.
        client.force_login(User.objects.get(username="banten" if "realisasi" in url else "bpkad"))
        response = client.post(url, data)
        assert response.status_code == 200, (url, response.status_code)
        body = response.content.decode()
        assert any(m in body for m in ("angka bulat", "negatif", "terlalu besar")), url
    assert _budget_state() == before


def test_nul_in_a_posted_field_is_refused_and_nothing_written(client, demo):
    client.force_login(User.objects.get(username="banten"))
    allocation = Allocation.objects.filter(ceiling__province__code="36").order_by("pk").first()
    before = _budget_state()
    response = client.post(f"/kelola/alokasi/{allocation.pk}/realisasi/",
                           {"amount": "1000", "date": "2021-03-01", "description": "uji\x00"})
    assert response.status_code == 400
    assert _budget_state() == before


@pytest.mark.parametrize("value", [UNICODE_DIGIT, "%00", "abc", "-1"])
def test_forged_ids_in_staff_posts_never_500(client, demo, value):
    client.force_login(User.objects.get(username="banten"))
    before = (Application.objects.filter(state="proposed").count(), RecipientGroup.objects.count())
    response = client.post("/kelola/verifikasi/massal/", {"selected": [value], "to_state": "doc_checked"})
    assert response.status_code in (302, 400, 403)
    response = client.post("/kelola/ganda/", {"flag": value, "resolution": "x"})
    assert response.status_code in (302, 400, 404)
    assert (Application.objects.filter(state="proposed").count(), RecipientGroup.objects.count()) == before

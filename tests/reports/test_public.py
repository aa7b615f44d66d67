import csv
import io
import json
import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from programs.models import Program
from recipients.models import Member, RecipientGroup

pytestmark = pytest.mark.django_db


def public_urls():
    program = Program.objects.get(name__startswith="Bantuan teknis dan peralatan produksi masker")
    agency = program.agency
    return [
        "/", "/?tahun=2020", "/provinsi/36/", "/provinsi/63/", "/provinsi/19/", "/kabupaten/36.04/",
        "/kabupaten/36.02/", f"/program/{program.pk}/", f"/opd/{agency.pk}/", "/cari/?q=masker", "/cari/?q=Dinsos",
        "/data/", "/data/anggaran.csv", "/data/anggaran.json", "/data/anggaran.csv?provinsi=36",
        f"/data/anggaran.json?program={program.pk}", "/data/metadata.json", "/data/datapackage.json",
        "/penerima/", "/penerima/?provinsi=36", f"/penerima/?program={program.pk}", "/api/v1/",
        "/api/v1/anggaran/", "/api/v1/anggaran/?provinsi=36", "/api/v1/program/", f"/api/v1/program/{program.pk}/",
        "/api/v1/kelompok/", "/api/v1/kelompok/?provinsi=36", "/api/v1/wilayah/", "/api/schema/",
        "/definisi/", "/integritas/", "/integritas/?provinsi=36", "/api/v1/integritas/",
        "/api/v1/integritas/?provinsi=36", "/data/temuan.csv", *trail_urls(program),
    ]


def trail_urls(program):
    """Every trail, in every kind of scope the pages link from, as a page and as the API."""
    scopes = ["", "?provinsi=36", "?provinsi=36&tahun=2020", "?kabupaten=36.04", f"?opd={program.agency_id}",
              f"?program={program.pk}", "?tahun=2020"]
    return [f"{base}{figure}/{scope}" for base in ("/jejak/", "/api/v1/jejak/")
            for figure in ("pagu", "alokasi", "realisasi", "kelompok") for scope in scopes]


def personal_values():
    """Every personal value of the demo data: member names, NIKs, leaders, phone numbers, and
    the names of KPM families (never named in public)."""
    values = set(RecipientGroup.objects.filter(kind=RecipientGroup.Kind.KPM).values_list("name", flat=True))
    for name, nik in Member.objects.values_list("name", "nik"):
        values |= {name, nik}
    for leader, nik, phone in RecipientGroup.objects.values_list("leader_name", "leader_nik", "contact_phone"):
        values |= {leader, nik, phone}
    return {v for v in values if v and len(v) >= 5}


def leaks(body: str, values: set[str]) -> list[str]:
    return sorted(v for v in values if re.search(rf"(?<![\w]){re.escape(v)}(?![\w])", body))


def test_no_public_page_or_endpoint_shows_personal_data(client, demo):
    values = personal_values()
    assert len(values) > 50  # the demo has members, NIKs and phones to look for
    for url in public_urls():
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode("utf-8", errors="replace") if not url.endswith(".xlsx") else ""
        assert leaks(body, values) == [], url


def test_the_scan_finds_a_nik_placed_on_a_public_page(client, demo):
    """By construction: put a member's NIK into a published field and the scan must see it."""
    member = Member.objects.first()
    program = Program.objects.get(name__startswith="Bantuan teknis dan peralatan produksi masker")
    Program.objects.filter(pk=program.pk).update(description=f"Kontak: {member.nik}")
    body = client.get(f"/program/{program.pk}/").content.decode()
    assert leaks(body, personal_values()) == [member.nik]


def test_anonymous_journey_figures(client, demo):
    home = client.get("/").content.decode()
    assert "Banten" in home and "Papua Pegunungan" in home
    banten = client.get("/provinsi/36/").content.decode()
    assert "Rp37 miliar" in banten        # Rp20 miliar + Rp15 miliar (2021) + deconcentration
    assert "Disperindag Banten" in banten and "Usaha Ekonomi Produktif" in banten
    assert "83.000" in client.get("/provinsi/63/").content.decode()
    program = Program.objects.get(name__startswith="Bantuan teknis dan peralatan produksi masker")
    page = client.get(f"/program/{program.pk}/").content.decode()
    assert "Rp180 juta" in page and "Kabar Banten" in page and "Kabupaten Serang" in page
    english = client.get(reverse("core:set-language", args=["en"]) + f"?next=/program/{program.pk}/", follow=True)
    assert "Rp180 million" in english.content.decode() and 'lang="en"' in english.content.decode()


def test_province_csv_has_the_demo_figures(client, demo):
    response = client.get("/data/anggaran.csv?provinsi=36")
    assert response["Content-Disposition"] == 'attachment; filename="anggaran-ikm-36.csv"'
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert {r["province_code"] for r in rows} == {"36"}
    assert any(r["agency"].startswith("Dinas Perindustrian dan Perdagangan") and r["allocated_amount"] == "180000000"
               for r in rows)
    # Rp20 miliar (2020, article 000) + Rp15 miliar (2021, illustrative) + Rp2 miliar deconcentration.
    assert sum(int(r["ceiling_amount"]) for r in rows) == 37_000_000_000


def test_the_data_package_is_valid_for_frictionless(client, demo, tmp_path):
    """``frictionless validate`` passes the descriptor with the CSV it points to: types, codes
    as strings (36.04 stays "36.04"), code lists as enums, licence, sources, as-of."""
    from frictionless import Package, validate

    descriptor = client.get("/data/datapackage.json").json()
    assert client.get("/data/metadata.json").json()["resources"] == descriptor["resources"]
    (tmp_path / "datapackage.json").write_text(json.dumps(descriptor))
    (tmp_path / "anggaran.csv").write_bytes(client.get("/data/anggaran.csv").content)
    aided = client.get("/data/kelompok-penerima.csv")
    (tmp_path / "kelompok-penerima.csv").write_bytes(b"".join(aided.streaming_content))
    (tmp_path / "temuan.csv").write_bytes(client.get("/data/temuan.csv").content)
    report = validate(str(tmp_path / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    assert descriptor["licenses"][0]["name"] == "CC-BY-4.0" and descriptor["as_of"]
    assert any("Kabar Banten" in s["title"] or "Banten" in s["title"] for s in descriptor["sources"])
    fields = {f["name"]: f for f in descriptor["resources"][0]["schema"]["fields"]}
    assert fields["regency_code"]["type"] == "string" and fields["ceiling_amount"]["type"] == "integer"
    assert "capital" in fields["program_kind"]["constraints"]["enum"]
    assert fields["allocated_amount"]["titles"] == {"id": "Alokasi (Rp)", "en": "Allocated (IDR)"}
    rows = Package(str(tmp_path / "datapackage.json")).get_resource("anggaran").read_rows()
    assert {r["regency_code"] for r in rows if r["regency_code"]} >= {"36.04"}
    groups = Package(str(tmp_path / "datapackage.json")).get_resource("kelompok-penerima").read_rows()
    assert groups and {r["state"] for r in groups} <= {"approved", "delivered"}
    assert all(r["group"] or r["name_withheld_reason"] for r in groups)
    counts = Package(str(tmp_path / "datapackage.json")).get_resource("temuan").read_rows()
    assert counts and {r["province_code"] for r in counts} <= {"36", "63", "19"}
    assert all(r["raised"] >= r["open"] + r["explained"] + r["referred"] for r in counts)


def test_csv_json_and_api_share_one_set_of_field_names(client, demo):
    from reports.opendata import FIELDS

    names = [f.name for f in FIELDS]
    header = client.get("/data/anggaran.csv").content.decode().splitlines()[0].split(",")
    assert header == names
    assert list(client.get("/data/anggaran.json").json()["rows"][0]) == names
    assert list(client.get("/api/v1/anggaran/").json()["results"][0]) == names


def test_public_pages_are_get_only(client, demo):
    assert client.post("/provinsi/36/").status_code == 405
    assert client.post("/data/anggaran.csv").status_code == 405


def test_etag_last_modified_and_304(client, demo):
    first = client.get("/provinsi/36/")
    assert first["ETag"] and first["Last-Modified"]
    again = client.get("/provinsi/36/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    download = client.get("/data/anggaran.csv")
    assert client.get("/data/anggaran.csv", HTTP_IF_NONE_MATCH=download["ETag"]).status_code == 304


def test_cache_is_invalidated_when_a_rollup_finishes(client, demo, django_assert_num_queries):
    client.get("/provinsi/36/")
    with django_assert_num_queries(0):
        cached = client.get("/provinsi/36/")
    assert cached.status_code == 200
    from programs import services
    from programs.models import Allocation

    allocation = Allocation.objects.get(program__name__startswith="Bantuan teknis dan peralatan produksi masker")
    import datetime as dt

    services.realization_create(allocation=allocation, date=dt.date(allocation.ceiling.fiscal_year, 1, 4),
                                amount=8_000_000, description="x")
    assert client.get("/provinsi/36/").content == cached.content  # same rollup: same page
    from reports.rollup import rollup_run

    rollup_run()
    fresh = client.get("/provinsi/36/")
    assert fresh["ETag"] != cached["ETag"] and fresh.content != cached.content


def test_hot_pages_are_kept_in_the_process_for_seconds_and_small_ones_only(
        client, demo, django_assert_num_queries, monkeypatch):
    """Each process keeps its hottest cached pages a few seconds (no Redis round trip), never a
    large download, and never past MEMO_SECONDS: then Redis (or a render) answers again."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from core import cache as public_cache

    first = client.get("/provinsi/36/")
    cache.clear()  # Redis forgets the page; this process still has it
    with django_assert_num_queries(0):
        again = client.get("/provinsi/36/")
    assert again.content == first.content and again["ETag"] == first["ETag"]
    assert cache.get(f"public:{first['ETag']}") is None  # served from the process, not stored again

    monkeypatch.setattr(public_cache, "MEMO_SECONDS", 0)
    with CaptureQueriesContext(connection) as rendered:
        assert client.get("/provinsi/36/").content == first.content
    assert len(rendered) > 0 and cache.get(f"public:{first['ETag']}") is not None

    monkeypatch.setattr(public_cache, "MEMO_SECONDS", 60)
    monkeypatch.setattr(public_cache, "MEMO_MAX_BYTES", 100)  # every page is "large" now
    client.get("/data/anggaran.json")
    cache.clear()
    with CaptureQueriesContext(connection) as download:
        client.get("/data/anggaran.json")
    assert len(download) > 0


def test_any_query_string_reuses_the_cached_page_it_shows(client, demo, django_assert_num_queries):
    """The cache key holds only the parameters a page reads, canonical and sorted: trackers,
    junk, a padded year or a year that does not parse render nothing new and store no copy."""
    from django_redis import get_redis_connection

    redis = get_redis_connection("default")

    def copies():
        return len(redis.keys("*public:*"))

    year = client.get("/provinsi/36/?tahun=2021")
    everything = client.get("/provinsi/36/")
    before = copies()
    with django_assert_num_queries(0):
        for query in ("tahun=2021&utm_source=wa", "fbclid=x&tahun=02021", "tahun=2020&tahun=2021"):
            response = client.get(f"/provinsi/36/?{query}")
            assert response.content == year.content and response["ETag"] == year["ETag"]
        for query in ("r=1", "tahun=abc", "tahun=%D9%A2%D9%A0%D9%A2%D9%A1x"):
            assert client.get(f"/provinsi/36/?{query}")["ETag"] == everything["ETag"]
    assert copies() == before
    # A strict page still answers a bad filter with its 400, never with another filter's copy.
    assert client.get("/data/anggaran.csv?tahun=abc").status_code == 400
    assert client.get("/data/anggaran.csv?tahun=2021&x=1")["ETag"] == client.get("/data/anggaran.csv?tahun=2021")[
        "ETag"]


def test_api_filters_and_pagination(client, demo):
    data = client.get("/api/v1/anggaran/?provinsi=36&tahun=2021").json()
    assert data["count"] > 0 and all(r["province_code"] == "36" and r["fiscal_year"] == 2021 for r in data["results"])
    kinds = client.get("/api/v1/program/?jenis=capital").json()
    assert kinds["count"] >= 1 and all(p["kind"] == "capital" for p in kinds["results"])
    groups = client.get("/api/v1/kelompok/?provinsi=36").json()
    assert sum(r["groups"] for r in groups["results"]) == RecipientGroup.objects.filter(
        regency__parent__code="36").count()
    assert client.get("/api/v1/wilayah/36.04/").json()["name"] == "Kabupaten Serang"
    assert client.get("/api/v1/anggaran/?sumber_dana=tidak-ada").status_code == 400


def test_openapi_schema_validates(client, demo, tmp_path):
    call_command("spectacular", "--validate", "--file", str(tmp_path / "schema.yml"))
    assert "/api/v1/anggaran/" in (tmp_path / "schema.yml").read_text()
    docs = client.get("/api/docs/")
    assert docs.status_code == 200 and b"cdn.jsdelivr" not in docs.content


def test_anonymous_api_is_rate_limited(client, demo, settings):
    from rest_framework.settings import api_settings
    from rest_framework.throttling import AnonRateThrottle

    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "3/minute"}}
    api_settings.reload()
    AnonRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    try:
        # Distinct queries: a cached answer costs nothing and is served without the throttle.
        codes = [client.get(f"/api/v1/anggaran/?provinsi={code}").status_code for code in (11, 12, 13, 14, 15)]
    finally:
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "120/minute"}}
        api_settings.reload()
        AnonRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]


def test_json_download_is_the_same_data_as_csv(client, demo):
    rows = client.get("/data/anggaran.json?provinsi=63").json()["rows"]
    csv_rows = list(csv.DictReader(io.StringIO(client.get("/data/anggaran.csv?provinsi=63").content.decode())))
    assert len(rows) == len(csv_rows) > 0
    from_json = sorted(r["allocated_amount"] for r in rows)
    assert json.dumps(from_json) == json.dumps(sorted(int(r["allocated_amount"]) for r in csv_rows))


def test_the_api_root_lists_every_endpoint_with_caching_headers(client, demo):
    response = client.get("/api/v1/")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    assert set(response.json()) == {"anggaran", "program", "kelompok", "wilayah", "jejak/pagu", "jejak/alokasi",
                                    "jejak/realisasi", "jejak/kelompok", "integritas"}
    assert response.json()["anggaran"].endswith("/api/v1/anggaran/")
    for url in ("/api/v1/", "/api/v1/anggaran/?provinsi=36"):
        response = client.get(url)
        # A rollup page is kept no longer than the live-figures tick (15 s), so a change is on
        # screen within a minute of being saved.
        assert "public" in response["Cache-Control"] and "max-age=15" in response["Cache-Control"]
        assert response["ETag"] and response["Last-Modified"]
        assert client.get(url, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


@pytest.mark.parametrize("url", ["/provinsi/36/", "/data/anggaran.csv", "/api/v1/anggaran/", "/data/metadata.json"])
def test_html_csv_and_json_are_compressed_for_clients_that_accept_gzip(client, demo, url):
    import gzip

    plain = client.get(url)
    packed = client.get(url, HTTP_ACCEPT_ENCODING="gzip")
    assert packed["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed["Vary"]
    body = b"".join(packed.streaming_content) if packed.streaming else packed.content
    unpacked = gzip.decompress(body)
    assert unpacked == (b"".join(plain.streaming_content) if plain.streaming else plain.content)
    assert len(body) < len(unpacked)


@pytest.mark.parametrize(("q", "region", "program"), [
    ("Serang", "Kabupaten Serang", None),             # a region by name
    ("36.04", "Kabupaten Serang", None),              # … or by its Kemendagri code
    ("refocusing", None, "dekonsentrasi"),            # a word in a program's description
    ("masker kain", None, "masker"),                  # words in its criteria, in any order
    ("MASKER ber-sni", None, "masker"),               # case and punctuation do not matter
])
def test_search_finds_regions_and_words_in_descriptions_and_criteria(client, demo, q, region, program):
    body = client.get("/cari/", {"q": q}).content.decode()
    regions = body.split('data-testid="search-regions"')[1].split("</ul>")[0]
    programs = body.split('data-testid="search-programs"')[1].split("</ul>")[0]
    if region:
        assert region in regions
    if program:
        assert program in programs.lower()


def test_search_is_an_index_scan_not_a_like_scan(demo):
    from django.db import connection

    from core.search import query
    from reports.selectors import public_search

    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")  # a tiny table would be scanned anyway
        try:
            from core.search import document
            from programs.models import Program

            qs = Program.objects.annotate(doc=document("name", "description", "criteria")).filter(
                doc=query("refocusing"))
            plan = qs.explain()
        finally:
            cursor.execute("SET enable_seqscan = on")
    assert "programs_program_search" in plan and "LIKE" not in plan.upper()
    nothing = {"regions": [], "programs": [], "agencies": [], "groups": []}
    assert public_search("a") == nothing  # one letter: no search
    assert public_search("%_'") == nothing  # no word: nothing run


def test_a_handover_counts_where_the_money_arrived_and_only_once(client, demo):
    """Kab. Serang's delivered group got Rp18 juta from a province-wide allocation: the regency
    page shows it, and regencies plus the province-wide bucket still add up to the total."""
    from django.db.models import Sum

    from programs.models import Realization
    from reports.models import BudgetRollup

    page = client.get("/kabupaten/36.04/").content.decode()
    assert "Rp18 juta" in page.split('data-testid="regency-realized"')[1].split("</p>")[0]
    realized = BudgetRollup.objects.aggregate(t=Sum("realized_amount"))["t"]
    assert realized == Realization.objects.aggregate(t=Sum("amount"))["t"]
    serang = BudgetRollup.objects.filter(regency__code="36.04").aggregate(t=Sum("realized_amount"))["t"]
    assert serang == 18_000_000


def test_article_facts_carry_their_source_and_demo_figures_say_ilustrasi(client, demo):
    """Banten states Rp20 miliar across 12 OPD (APBD 2020) with the article and its date; the
    invented deconcentration ceiling, the Rp90 juta realized and every row holding them are
    badged "ilustrasi", on the page and in the downloads."""
    page = client.get("/provinsi/36/?tahun=2020").content.decode()
    ceilings = page.split('data-testid="ceilings"')[1].split("</section>")[0]
    fact = next(card for card in ceilings.split('class="card"') if "Rp20 miliar" in card)
    assert "terbagi di 12 OPD" in fact and "Kabar Banten" in fact and "14 Okt 2020" in fact
    assert "ilustrasi" not in fact
    dekon = next(card for card in ceilings.split('class="card"') if "dekonsentrasi" in card.lower())
    assert "ilustrasi" in dekon
    assert 'data-testid="illustrative-note"' in page
    rows = list(csv.DictReader(io.StringIO(client.get("/data/anggaran.csv?provinsi=36&tahun=2020").content.decode())))
    masks = [r for r in rows if r["program"].startswith("Bantuan teknis dan peralatan produksi masker")]
    assert sum(int(r["realized_amount"]) for r in masks) == 90_000_000
    assert all(r["is_illustrative"] == "True" for r in masks if int(r["realized_amount"]))
    apbd = [r for r in rows if r["funding_source"] == "apbd-prov" and int(r["ceiling_amount"])]
    assert [r["is_illustrative"] for r in apbd] == ["False"]  # Rp20 miliar is the article's


def test_aided_ikm_groups_are_listed_publicly_without_persons_or_families(client, demo):
    from recipients.models import Member, RecipientGroup

    body = client.get("/penerima/").content.decode()
    table = body.split('data-testid="aided-groups"')[1].split("</table>")[0]
    assert "Kelompok Masker Kain Ciruas" in table and "Rp18.000.000" in table  # delivered, with its handover
    assert "KUB Jahit Makmur Kramatwatu" in table                            # approved, nothing handed over yet
    assert "Kelompok Perajin Tas Pontang" not in table                       # only proposed
    assert "KPM" not in table                                                 # families are never listed
    for group in RecipientGroup.objects.all():
        assert group.leader_name not in body and (not group.leader_nik or group.leader_nik not in body)
    assert not any(m.nik in body or f">{m.name}<" in body for m in Member.objects.all())
    banten = client.get("/penerima/?provinsi=63").content.decode()
    assert "IKM Logam Pandai Besi Negara" in banten and "Kelompok Masker Kain Ciruas" not in banten
    assert client.get("/penerima/?provinsi=%C2%B2&page=%C2%B2").status_code == 200  # bad filters: ignored


def test_the_province_withholds_a_name_with_a_reason(client, demo):
    from accounts.models import User
    from recipients.models import RecipientGroup

    group = RecipientGroup.objects.get(name="Kelompok Masker Kain Ciruas")
    assert "Kelompok Masker Kain Ciruas" in client.get("/penerima/").content.decode()
    url = f"/kelola/kelompok/{group.pk}/publikasi/"
    reason = "Kelompok meminta namanya tidak diumumkan (UU PDP)"
    client.force_login(User.objects.get(username="serang"))
    assert client.post(url, {"reason": reason}).status_code == 403  # the district does not decide it
    client.force_login(User.objects.get(username="kalsel"))
    assert client.post(url, {"reason": reason}).status_code == 404  # nor another province
    client.force_login(User.objects.get(username="bpkad"))
    assert client.post(url, {"reason": reason}).status_code == 302
    client.logout()
    table = client.get("/penerima/").content.decode().split('data-testid="aided-groups"')[1]
    assert "Kelompok Masker Kain Ciruas" not in table and reason in table and "Nama tidak dipublikasikan" in table


def test_a_finished_run_warms_the_common_pages_of_its_generation(client, demo, django_assert_num_queries):
    """At the end of a run every cache key changes at once: the worker renders the national,
    open-data and every province page in each language, so the first visitors hit the cache."""
    from reports.tasks import run_rollup
    from reports.warm import common_paths

    result = run_rollup(trigger="manual")
    assert result["status"] == "success" and result["warmed"] == 2 * len(common_paths()) == 2 * (2 + 38)
    with django_assert_num_queries(0):  # all from Redis
        for path in ("/", "/provinsi/36/", "/provinsi/63/", "/data/"):
            assert client.get(path).status_code == 200
        client.cookies["ikmrelief_language"] = "en"
        assert "Ceiling" in client.get("/provinsi/36/").content.decode()

"""The trail behind every public figure, the one serializer of published fields, the money-flow
Sankey and the sortable absorption columns."""

import datetime as dt
import random
import re
from html import unescape

import pytest
from django.db.models import Sum

from accounts.models import User
from core.models import Region
from programs import services as budget
from programs.models import Allocation, BudgetCeiling, FundingSource, Program
from recipients.models import Application, RecipientGroup, State
from reports.publication import published_serializer
from reports.rollup import rollup_run
from reports.selectors import FLOW_COLUMNS, column_totals, money_flow, province_report
from tests.conftest import BUDGET_QUERIES
from tests.factories import AgencyFactory, ProgramFactory

pytestmark = pytest.mark.django_db

MASKS = "Bantuan teknis dan peralatan produksi masker"


def figure_link(html: str, testid: str) -> tuple[str, str]:
    """The (href, text) of the link inside the element ``data-testid=testid``."""
    block = html.split(f'data-testid="{testid}"', 1)[1].split("</p>", 1)[0]
    href, text = re.search(r'<a href="([^"]+)">([^<]+)</a>', block).groups()
    return unescape(href), text


def trail_total(client, href: str) -> int:
    summary = client.get(href).content.decode().split('data-testid="trail-summary"')[1].split("</p>")[0]
    return int(re.search(r"Rp([\d.]+) \(dibaca", summary).group(1).replace(".", ""))


def rupiah(text: str) -> int:
    return int(text.replace("Rp", "").replace(".", ""))


@pytest.mark.parametrize("page, testids", [
    ("/", ["total-ceiling", "total-allocated", "total-realized"]),
    ("/provinsi/36/?tahun=2020", ["total-ceiling", "total-allocated", "total-realized"]),
    ("/provinsi/36/", ["total-ceiling", "total-allocated", "total-realized"]),
    ("/kabupaten/36.04/", ["regency-allocated", "regency-realized"]),
])
def test_every_card_links_to_a_trail_that_adds_up_to_it(client, demo, page, testids):
    html = client.get(page).content.decode()
    from reports.selectors import national_overview

    for testid in testids:
        href, _shown = figure_link(html, testid)
        assert href.startswith("/jejak/")
        body = client.get(href).content.decode()
        summary = body.split('data-testid="trail-summary"')[1].split("</p>")[0]
        live, rollup = re.findall(r"Rp(\d+(?:\.\d{3})*)", summary)[:2]
        assert live == rollup, (href, summary)  # the trail sums to the figure it came from
    if page == "/":
        assert trail_total(client, figure_link(html, "total-ceiling")[0]) == national_overview()["totals"]["ceiling"]


def test_program_and_opd_cards_lead_with_absorption_and_link_their_records(client, demo):
    program = Program.objects.get(name__startswith=MASKS)
    html = client.get(f"/program/{program.pk}/").content.decode()
    assert html.index('data-testid="absorption"') < html.index('data-testid="program-allocated"')
    assert "50%" in html.split('data-testid="absorption"')[1].split("</p>")[0]  # Rp90 juta of Rp180 juta
    href, _ = figure_link(html, "program-realized")
    assert trail_total(client, href) == 90_000_000
    opd = client.get(f"/opd/{program.agency_id}/").content.decode()
    assert trail_total(client, figure_link(opd, "agency-allocated")[0]) == Allocation.objects.filter(
        program__agency=program.agency).aggregate(t=Sum("amount"))["t"]


def test_the_rp20_miliar_ceiling_leads_to_its_12_opd_and_each_revision(client, demo):
    """The journey of a journalist: Banten 2020 → the Rp20 miliar ceiling → 12 OPD → the 2020
    refocusing revision with old → new amount and its reason."""
    html = client.get("/provinsi/36/?tahun=2020").content.decode()
    card = next(c for c in html.split('data-testid="ceilings"')[1].split('class="card"') if "Rp20 miliar" in c)
    href = unescape(re.search(r'href="([^"]+)" data-testid="ceiling-link"', card).group(1))
    trail = client.get(href).content.decode()
    assert "Terbagi di 12 OPD" in trail
    agencies = trail.split('data-testid="trail-agencies"')[1].split("</table>")[0]
    assert agencies.count("<tr>") == 1 + 12 and "Disperindag Banten" in agencies
    ceiling = BudgetCeiling.objects.get(province__code="36", fiscal_year=2020, funding_source__code="apbd-prov")
    shares = [rupiah(v) for v in re.findall(r'data-sort="\d+">(Rp[\d.]+)<', agencies)]
    assert sum(shares) == ceiling.allocated_total <= 20_000_000_000
    dekon = next(c for c in html.split('data-testid="ceilings"')[1].split('class="card"') if "dekonsentrasi" in c)
    trail = client.get(unescape(re.search(r'href="([^"]+)" data-testid="ceiling-link"', dekon).group(1)))
    revised = Allocation.objects.get(revisions__isnull=False, ceiling__province__code="36")
    revision = revised.revisions.get()
    assert "Refocusing anggaran 2020" in revision.reason
    row = trail.content.decode().split(f'href="/program/{revised.program_id}/"')[1].split("</tr>")[0]
    old, new = (f"Rp{amount:,}".replace(",", ".") for amount in (revision.old_amount, revision.new_amount))
    assert f"{old} → {new}" in row
    assert revision.reason in unescape(row)
    api = client.get(f"/api/v1/jejak/alokasi/?pagu={revised.ceiling_id}").json()
    row = next(r for r in api["results"] if r["id"] == revised.pk)
    assert row["revisions"] == [{"old_amount": revision.old_amount, "new_amount": revision.new_amount,
                                 "reason": revision.reason, "created_at": row["revisions"][0]["created_at"]}]


def test_a_realization_shows_its_document_and_the_handover_with_the_sk_number(client, demo):
    program = Program.objects.get(name__startswith=MASKS)
    body = client.get(f"/jejak/realisasi/?program={program.pk}").content.decode()
    handover = body.split('data-testid="handover"')[1].split("</div>")[0]
    application = Application.objects.get(group__name="Kelompok Masker Kain Ciruas", program=program)
    assert "Kelompok Masker Kain Ciruas" in handover and "Kabupaten Serang" in handover
    assert application.sk_number in handover and "10 Des 2020" in handover and "3 mesin jahit" in handover
    assert "Serah terima kepada Kelompok" not in body  # the staff description naming the group is not published
    regency = client.get("/kabupaten/36.04/").content.decode()
    href, shown = figure_link(regency, "regency-realized")
    assert shown == "Rp18 juta" and application.sk_number in client.get(href).content.decode()


def test_kpm_families_and_withheld_names_are_never_in_a_trail(client, demo):
    from recipients import services

    family = RecipientGroup.objects.get(name="KPM Warung Sembako Ciruas")
    application = family.applications.get()
    assert application.state == State.APPROVED
    allocation = Allocation.objects.filter(program=application.program).first()
    handover = services.Handover(date=dt.date(application.program.fiscal_year, 12, 11), items="1 etalase",
                                 amount=2_000_000, allocation=allocation)
    services.application_advance(application=application, to_state=State.DELIVERED, actor=None, handover=handover)
    ikm = RecipientGroup.objects.get(name="Kelompok Masker Kain Ciruas")
    bpkad = User.objects.get(username="bpkad")
    services.group_withhold_name(group=ikm, reason="Permintaan kelompok (UU PDP)", actor=bpkad)
    for url in ("/jejak/realisasi/?kabupaten=36.04", "/jejak/kelompok/?kabupaten=36.04",
                "/api/v1/jejak/realisasi/?kabupaten=36.04", "/api/v1/jejak/kelompok/?kabupaten=36.04", "/penerima/"):
        body = client.get(url).content.decode()
        assert family.name not in body and ikm.name not in body, url
    page = client.get("/jejak/realisasi/?kabupaten=36.04").content.decode()
    assert "Keluarga penerima manfaat (KPM)" in page and "Permintaan kelompok (UU PDP)" in page


# Every HTML trail page also reads its rows' public-ledger entries (one query, for "Periksa").
@pytest.mark.parametrize("url, queries", [
    ("/jejak/pagu/?provinsi=36&tahun=2020", 6),              # province, count, page, total, rollup figure, ledger
    ("/jejak/alokasi/?provinsi=36&tahun=2020", 8),           # … + revisions, per-OPD split
    ("/jejak/alokasi/?pagu={ceiling}", 7),                   # ceiling, count, page, revisions, total, split
    # program, count, the page's keys (reports.trail_keys), page, revisions, total, rollup
    ("/jejak/realisasi/?program={program}", 8),
    ("/jejak/realisasi/?kabupaten=36.04&tahun=2020", 8),
    ("/jejak/realisasi/", 6),                                # no scope: the (date, id) index, no keys query
    # province, count, the page's keys, page, approved groups (rollup), value handed over
    ("/jejak/kelompok/?provinsi=36", 7),
    ("/jejak/kelompok/?kabupaten=36.04&tahun=2020", 7),
    ("/jejak/kelompok/", 5),                                 # no scope: the partial (created_at, id) index
    ("/api/v1/jejak/realisasi/?provinsi=36", 5),             # province, count, keys, page, revisions
    ("/api/v1/jejak/realisasi/", 3),                         # count, page, revisions
    ("/definisi/", 0),
])
def test_trail_query_counts_do_not_grow_with_rows(client, demo, django_assert_num_queries, url, queries):
    program = Program.objects.get(name__startswith=MASKS)
    ceiling = BudgetCeiling.objects.filter(province__code="36", fiscal_year=2020).first()
    url = url.format(program=program.pk, ceiling=ceiling.pk)
    client.get(url)  # as-of and session lookups warm
    with django_assert_num_queries(queries + (BUDGET_QUERIES if queries else 0)):
        assert client.get(url).status_code == 200


def test_a_scope_that_names_nothing_is_an_empty_trail_and_bad_api_input_a_400(client, demo):
    page = client.get("/jejak/realisasi/?program=999999").content.decode()
    assert "Belum ada realisasi untuk cakupan ini." in page
    assert client.get("/api/v1/jejak/realisasi/?program=999999").json()["count"] == 0
    assert client.get("/api/v1/jejak/realisasi/?program=%C2%B2").status_code == 400
    assert client.get("/api/v1/jejak/pagu/?kabupaten=36").json()["count"] == 0  # a province code is no regency
    assert client.get("/jejak/realisasi/?tahun=%C2%B2").status_code == 200  # a page ignores what does not parse
    assert client.get("/jejak/tidak-ada/").status_code == 404
    assert client.post("/jejak/realisasi/").status_code == 405
    response = client.get("/jejak/realisasi/")
    assert response["Cache-Control"] == "public, max-age=60" and response["ETag"]
    assert client.get("/jejak/realisasi/", HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


def _serializers(model, seen=None):
    """The published serializer of ``model`` and every serializer nested in it."""
    seen = seen if seen is not None else {}
    serializer = published_serializer(model)
    seen[model] = serializer
    for field in serializer().fields.values():
        child = getattr(field, "child", field)
        if hasattr(child, "Meta") and child.Meta.model not in seen:
            _serializers(child.Meta.model, seen)
    return seen


def test_one_serializer_publishes_exactly_the_fields_each_model_lists():
    from recipients.models import Member, VerificationStep

    seen = {}
    for model in (BudgetCeiling, Allocation, Application, VerificationStep):
        _serializers(model, seen)
    assert Member not in seen
    for model, serializer in seen.items():
        labels = {f"{name}_label" for name in model.PUBLISHED_FIELDS}
        fields = set(serializer().fields)
        assert set(model.PUBLISHED_FIELDS) <= fields <= set(model.PUBLISHED_FIELDS) | labels, model
        assert not fields & getattr(model, "PERSONAL_FIELDS", set()), model
    assert {"note", "answers", "actor", "evidence"}.isdisjoint(published_serializer(VerificationStep)().fields)
    assert "name" not in published_serializer(RecipientGroup)().fields  # only public_name, which hides KPM


def test_the_money_flow_counts_every_rupiah_once_in_every_column(client, regions):
    """Random allocations across OPD, programs, funding sources and regencies (or the whole
    province): every column of the Sankey adds up to the allocated total on the card."""
    rng = random.Random(20201014)
    banten = Region.objects.get(code="36")
    regencies = list(banten.children.all())
    sources = list(FundingSource.objects.filter(code__in=["apbd-prov", "apbn-dekon", "apbn"]))
    for year in (2020, 2021):
        agencies = [AgencyFactory() for _ in range(rng.randint(2, 6))]
        programs = [ProgramFactory(agency=rng.choice(agencies), fiscal_year=year) for _ in range(rng.randint(3, 9))]
        for source in sources:
            ceiling = budget.ceiling_create(province=banten, fiscal_year=year, funding_source=source,
                                            amount=50_000_000_000, actor=None)
            for _ in range(rng.randint(1, 12)):
                regency = rng.choice([None, *regencies])
                program = rng.choice(programs)
                if Allocation.objects.filter(ceiling=ceiling, program=program, regency=regency).exists():
                    continue
                budget.allocation_create(ceiling=ceiling, program=program, regency=regency,
                                         amount=rng.randint(1, 5_000) * 1_000_000)
    rollup_run()
    for year in (None, 2020, 2021):
        flow = money_flow(banten, year)
        allocated = province_report(banten, year)["totals"]["allocated"]
        assert allocated > 0
        assert column_totals(flow) == [allocated] * len(FLOW_COLUMNS), year
        assert {flow["columns"][link["from"]] + 1 for link in flow["links"]} == {
            flow["columns"][link["to"]] for link in flow["links"]}  # links only join adjacent columns
    page = client.get("/provinsi/36/").content.decode()
    table = page.split('data-testid="money-flow-table"')[1].split("</table>")[0]
    last = [rupiah(v) for row, v in re.findall(r'<tr data-column="(\d)">.*?data-sort="\d+">(Rp[\d.]+)<', table)
            if row == "3"]
    assert sum(last) == province_report(banten)["totals"]["allocated"]


def test_every_public_money_table_shows_absorption_allocated_realized_remaining_sortably(client, demo):
    program = Program.objects.get(name__startswith=MASKS)
    headings = ["Serapan", "Alokasi", "Realisasi", "Sisa"]
    for url, testid in (("/", "province-table"), ("/provinsi/36/?tahun=2020", "program-table"),
                        ("/kabupaten/36.04/", "program-table"), (f"/opd/{program.agency_id}/", "program-table"),
                        (f"/program/{program.pk}/", "program-regencies")):
        table = client.get(url).content.decode().split(f'data-testid="{testid}"')[1].split("</table>")[0]
        head = re.sub(r"<[^>]+>", "|", table.split("</thead>")[0])
        found = [h for h in re.split(r"\|+", head) if h in headings]
        assert found == headings, url
        assert "sortable" in client.get(url).content.decode().split(f'data-testid="{testid}"')[0][-200:], url
        assert re.search(r'data-label="Serapan" data-sort="[\d.-]+"', table), url
    province = client.get("/provinsi/36/?tahun=2020").content.decode()
    for chart in ("chart-by-agency", "chart-by-regency", "chart-by-program", "chart-by-source"):
        table = province.split(f'id="{chart}"')[1].split("</table>")[0]  # the chart's data table
        assert 'class="data-table sortable"' in table and "Serapan" in table and "Sisa" in table, chart


def _scopes():
    """Every kind of scope a visitor can give, one combination of each, from the demo data."""
    banten, serang = Region.objects.get(code="36"), Region.objects.get(code="36.04")
    program = Program.objects.get(name__startswith=MASKS)
    ceiling = BudgetCeiling.objects.filter(province=banten, fiscal_year=2020).first()
    return [{}, {"tahun": 2020}, {"tahun": 2021}, {"provinsi": "36"}, {"provinsi": "36", "tahun": 2020},
            {"kabupaten": serang.code}, {"kabupaten": serang.code, "tahun": 2021}, {"opd": program.agency_id},
            {"program": program.pk}, {"pagu": ceiling.pk}, {"provinsi": "63"}, {"kabupaten": "36.02"},
            {"provinsi": "36", "opd": program.agency_id, "tahun": 2020}]


@pytest.mark.parametrize("figure, ordering", [("realisasi", ("date", "id")), ("kelompok", ("created_at", "id"))])
def test_the_fixed_plans_find_exactly_the_records_of_every_scope_in_order(demo, figure, ordering):
    """reports.trail_keys against the plain queryset (trail.records) for every kind of scope:
    the same rows in the same order from the start and after a cursor, the same capped count,
    and for the decisions the same value handed over and the rollup's approved groups."""
    from django.http import QueryDict
    from django.test import RequestFactory

    from reports import trail, trail_keys

    keys, count = ((trail_keys.keys, trail_keys.count) if figure == "realisasi"
                   else (trail_keys.decision_keys, trail_keys.decision_count))
    seen = 0
    for params in _scopes():
        query = QueryDict(mutable=True)
        query.update(params)
        scope = trail.scope_from(query)
        rows = trail.records(figure, scope)
        plain = list(rows.order_by(*(f"-{o}" for o in ordering)).values_list(*ordering))
        if not trail_keys.is_needed(scope):
            continue
        found = keys(scope)(None, False, 10_000)
        assert found == [pk for _, pk in plain], params
        assert count(scope)() == (len(plain), False), params
        if len(plain) > 2:
            after = plain[1]
            assert keys(scope)(after, False, 10_000) == [pk for _, pk in plain[2:]], params
            assert keys(scope)(plain[-1], True, 10_000) == [pk for _, pk in plain[:-1]][::-1], params
        seen += len(plain)
        # The page itself, through seek_page with those keys.
        page = trail.page(RequestFactory().get("/", params), figure, scope, rows, per_page=2)
        assert [r.pk for r in page.object_list] == [pk for _, pk in plain[:2]], params
        if figure == "kelompok":
            totals = trail_keys.decision_totals(scope)
            assert totals["delivered"] == (rows.aggregate(v=Sum("handover_amount"))["v"] or 0), params
            applications = Application.objects.filter(
                pk__in=rows.values("application"), state__in=(State.APPROVED, State.DELIVERED))
            families = applications.filter(program__target_unit=Program.Unit.FAMILIES).count()
            assert (totals["ikm"], totals["kpm"]) == (applications.count() - families, families), params
    assert seen > 10  # the demo has records in the scopes compared


def test_every_step_carries_its_applications_program_kept_by_the_database(demo):
    """recipients/migrations/0014: filled on insert (services, bulk creates), followed when the
    application's program changes, and not settable by hand."""
    from django.db.models import F

    from recipients.models import VerificationStep

    steps = VerificationStep.objects.all()
    assert steps.count() > 20 and not steps.exclude(program_id=F("application__program_id")).exists()
    application = Application.objects.filter(steps__isnull=False).first()
    other = Program.objects.exclude(pk=application.program_id).first()
    Application.objects.filter(pk=application.pk).update(program=other)
    assert set(application.steps.values_list("program_id", flat=True)) == {other.pk}
    VerificationStep.objects.filter(application=application).update(program=application.program)  # by hand
    assert set(application.steps.values_list("program_id", flat=True)) == {other.pk}

"""Live figures (issue 24): the Banten officer records a realization through the form and nobody
presses anything — a real `celery beat` (ticking every LIVE_ROLLUP_SECONDS, 5 s here) and a real
worker bring it to the public province page, the API and the officer's dashboard. The test polls
for up to 60 s and prints how long it took."""

import time

from playwright.sync_api import expect

from programs.models import Allocation, Program, Realization
from reports.models import RollupRun
from tests.e2e.test_journeys import MASKS_2020


def _api_realized(page, url: str) -> int:
    body = page.request.get(url, headers={"Accept": "application/json"}).json()
    return sum(row["realized_amount"] for row in body["results"])


def test_a_recorded_realization_reaches_every_figure_by_itself(site, celery_worker_thread, celery_beat):
    allocation = Allocation.objects.get(program__name=MASKS_2020)
    program = Program.objects.get(name=MASKS_2020)
    api = f"{site.url}/api/v1/anggaran/?provinsi=36&program={program.pk}"
    public = site.page()
    public.goto(f"{site.url}/provinsi/36/")
    before_page = public.get_by_test_id("total-realized").inner_text()
    before_api = _api_realized(public, api)
    officer = site.page("banten")
    officer.goto(f"{site.url}/dasbor/")
    before_dashboard = officer.get_by_test_id("absorption").inner_text()

    officer.goto(f"{site.url}/kelola/alokasi/{allocation.pk}/")
    officer.fill("#id_amount", "25.000.000")
    officer.fill("#id_description", "Mesin jahit tahap II")
    officer.click("button:has-text('Catat realisasi')")
    recorded = time.monotonic()
    saved = Realization.objects.filter(allocation=allocation, description="Mesin jahit tahap II", amount=25_000_000)
    while not saved.exists() and time.monotonic() - recorded < 15:
        time.sleep(0.2)
    assert saved.exists()

    changed = False
    while time.monotonic() - recorded < 60 and not changed:
        time.sleep(1)
        public.goto(f"{site.url}/provinsi/36/")  # a visitor coming back: the browser's cache may answer
        changed = public.get_by_test_id("total-realized").inner_text() != before_page
    print(f"realization recorded → /provinsi/36/ changed after {time.monotonic() - recorded:.1f} s "
          f"(beat ticking every 5 s)")
    assert changed, "the province page did not change within 60 s"
    assert _api_realized(public, api) == before_api + 25_000_000
    officer.goto(f"{site.url}/dasbor/")
    assert officer.get_by_test_id("absorption").inner_text() != before_dashboard
    assert RollupRun.objects.filter(trigger="live", status=RollupRun.Status.SUCCESS).exists()
    assert not RollupRun.objects.filter(trigger="manual").exists()  # nobody pressed "refresh now"
    officer.goto(f"{site.url}/kelola/rekap/")
    expect(officer.locator("tbody tr").first).to_contain_text("live")
    site.shoot(officer, "24-rollup-status-live")
    site.shoot(public, "24-province-live")


def test_the_decisions_trail_says_where_each_figure_comes_from(site):
    """The trail behind "groups approved" (reports.trail_keys): the rollup's count, the value
    handed over read live, and the approvals and deliveries as public records, at both widths."""
    page = site.page()
    page.goto(f"{site.url}/jejak/kelompok/?provinsi=36")
    summary = page.get_by_test_id("trail-summary")
    expect(summary).to_contain_text("Menurut rekap terakhir")
    expect(summary).to_contain_text("langsung dari catatan")
    from recipients.models import VerificationStep

    newest = (VerificationStep.objects.filter(to_state="approved", application__group__province__code="36")
              .order_by("-created_at", "-id").first())
    expect(page.locator("main")).to_contain_text(newest.sk_number)
    site.shoot(page, "28-decisions-trail")

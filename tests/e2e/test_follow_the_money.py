"""Journey 8, anonymous, at 360 and 1280 px: follow the money from the home page to the group
that received it. / → Banten → the Rp20 miliar ceiling → its 12 OPD → Disperindag's Rp180 juta
program → its realizations and the delivery to a Kab. Serang group with its SK number → Kab.
Serang, whose total holds that delivery. Then sort a table by absorption."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import DESKTOP, PHONE


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_follow_the_money_from_the_home_page_to_a_group(site, viewport):
    page = site.page(viewport=viewport)
    width = viewport["width"]
    page.goto(site.url + "/")
    page.get_by_role("link", name="Banten", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Banten")

    ceiling = page.locator('[data-testid="ceilings"] .card', has_text="APBD provinsi 2020")
    expect(ceiling).to_contain_text("terbagi di 12 OPD")
    expect(ceiling).to_contain_text("Kabar Banten")
    site.shoot(page, f"money-1-province-{width}")
    ceiling.get_by_test_id("ceiling-link").click()

    expect(page.get_by_role("heading", name="Terbagi di 12 OPD")).to_be_visible()
    expect(page.get_by_test_id("trail-agencies").locator("tbody tr")).to_have_count(12)
    expect(page.get_by_test_id("definition")).to_contain_text("Bagian pagu")
    site.shoot(page, f"money-2-ceiling-trail-{width}")
    row = page.get_by_test_id("trail-records").locator("tr", has_text="Disperindag Banten")
    expect(row).to_contain_text("Rp180.000.000")
    row.get_by_role("link", name=re.compile("^Bantuan teknis dan peralatan produksi masker")).click()

    expect(page.get_by_test_id("program-allocated")).to_have_text("Rp180 juta")
    expect(page.get_by_test_id("absorption")).to_have_text("50%")
    page.get_by_test_id("realizations-link").click()

    handover = page.get_by_test_id("handover")
    expect(handover).to_contain_text("Kelompok Masker Kain Ciruas")
    expect(handover.get_by_test_id("sk-number")).to_have_text(re.compile(r"^SK-36/\d{3}/DISPERINDAG/2020$"))
    expect(handover).to_contain_text("3 mesin jahit")
    expect(page.get_by_test_id("trail-records")).to_contain_text("SP2D 0412/LS/DISPERINDAG/XI/2020")
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # cards on a phone, no sideways scroll
    site.shoot(page, f"money-3-realizations-{width}")
    handover.get_by_role("link", name="Kabupaten Serang").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Kabupaten Serang")
    expect(page.get_by_test_id("regency-realized")).to_have_text("Rp18 juta")
    page.get_by_test_id("regency-realized").get_by_role("link").click()
    expect(page.get_by_test_id("handover")).to_contain_text("Kelompok Masker Kain Ciruas")
    site.shoot(page, f"money-4-regency-trail-{width}")


def test_tables_sort_by_absorption_with_the_keyboard(site):
    page = site.page()
    page.goto(site.url + "/provinsi/36/?tahun=2020")
    table = page.get_by_test_id("program-table")
    button = table.get_by_role("button", name=re.compile("^Urutkan menurut Serapan"))
    button.focus()
    page.keyboard.press("Enter")
    expect(table.locator("thead th").nth(1)).to_have_attribute("aria-sort", "descending")
    expect(table.locator("tbody tr").first).to_contain_text("Bantuan teknis dan peralatan produksi masker")
    page.keyboard.press("Enter")
    expect(table.locator("thead th").nth(1)).to_have_attribute("aria-sort", "ascending")
    expect(table.locator("tbody tr").last).to_contain_text("Bantuan teknis dan peralatan produksi masker")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_money_flow_is_drawn_on_a_desktop_and_a_table_on_a_phone(site, viewport):
    page = site.page(viewport=viewport)
    page.goto(site.url + "/provinsi/36/?tahun=2020")
    flow = page.get_by_test_id("money-flow")
    if viewport is PHONE:
        expect(flow.locator("details")).to_have_attribute("open", "")
        expect(flow.get_by_test_id("money-flow-table")).to_be_visible()
        expect(flow.locator(".chart-canvas")).to_be_hidden()
    else:
        chart = "Chart.getChart(document.querySelector('canvas[data-chart=sankey]'))"
        page.wait_for_function(f"() => {chart}")
        assert page.evaluate(f"{chart}.config.type") == "sankey"
    flow.scroll_into_view_if_needed()
    site.shoot(page, f"money-flow-{viewport['width']}")

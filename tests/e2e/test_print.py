"""Printing any page (issue 27's print stylesheet), in Chromium's print mode: no navigation,
controls or canvases; every chart's and map's data table printed open with its column names; the
page's address and "data per …" at the foot of every sheet; numbered A4 sheets."""

import re


def _printed(page):
    page.emulate_media(media="print")
    return page.evaluate("""() => ({
        nav: getComputedStyle(document.querySelector('.main-nav')).display,
        canvases: [...document.querySelectorAll('canvas')].filter(c => c.offsetParent !== null).length,
        footer: getComputedStyle(document.querySelector('.print-footer')).position,
    })""")


def _sheets(pdf: bytes) -> int:
    """The page count of Chromium's PDF (its page tree's /Count)."""
    return max(int(n) for n in re.findall(rb"/Count (\d+)", pdf))


def test_a_public_page_prints_its_figures_as_tables_with_address_and_date(site):
    page = site.page()
    page.goto(site.url + "/provinsi/36/?tahun=2020")
    page.wait_for_selector('canvas[data-series="map-regencies"][data-ready="1"]')
    assert not page.get_by_test_id("print-footer").is_visible()  # on screen: not there
    state = _printed(page)
    assert state == {"nav": "none", "canvases": 0, "footer": "fixed"}
    footer = page.get_by_test_id("print-footer")
    assert footer.is_visible()
    assert "/provinsi/36/?tahun=2020" in footer.inner_text() and "Data per" in footer.inner_text()
    # The map's and the charts' tables, open, with their column names (sort buttons as text).
    table = page.get_by_test_id("map-regencies-table")
    assert table.get_by_role("row", name=re.compile("Kabupaten Serang")).is_visible()
    assert table.locator("thead").get_by_text("Realisasi").is_visible()
    assert page.locator("#fig-chart-by-agency table tbody tr").first.is_visible()
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and _sheets(pdf) > 1


def test_a_staff_list_prints_without_its_controls(site):
    page = site.page("banten")
    page.goto(site.url + "/kelola/alokasi/")
    _printed(page)
    assert not page.locator("form.filters").first.is_visible()
    assert page.locator("table tbody tr").first.is_visible()
    assert "/kelola/alokasi/" in page.get_by_test_id("print-footer").inner_text()
    assert page.pdf(format="A4").startswith(b"%PDF")

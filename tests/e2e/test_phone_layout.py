"""Phone pages that fit (360 px): no page of the journeys scrolls sideways, no staff table has a
cell outside the viewport (money tables are cards), and each link of the province page's contents
list brings its section into view."""

import pytest

from tests.e2e.conftest import PHONE
from tests.e2e.test_accessibility import PUBLIC, _staff_pages

# Cells of visible tables whose right edge passes the viewport (a table scrolling inside its box
# counts: its amounts are off-screen). Tables inside a closed <details> are not visible.
OUTSIDE = """(width) => Array.from(document.querySelectorAll("main table")).filter(t => t.offsetParent !== null)
  .flatMap(t => Array.from(t.querySelectorAll("th, td")).filter(c => c.offsetParent !== null
    && c.getBoundingClientRect().width > 0 && c.getBoundingClientRect().right > width + 1)
    .slice(0, 2).map(c => (t.dataset.testid || t.className) + ": " + c.textContent.trim().slice(0, 40)))"""


def _sideways(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def test_no_public_page_scrolls_sideways_at_360(site):
    page = site.page(viewport=PHONE)
    wide = {}
    for url in PUBLIC:
        page.goto(f"{site.url}{url}")
        if _sideways(page) > 0:
            wide[url] = _sideways(page)
    assert wide == {}


@pytest.mark.parametrize("login", ["serang", "banten", "bpkad", "dpo-banten"])
def test_no_staff_page_scrolls_sideways_or_hides_a_cell_at_360(site, login):
    page = site.page(login, viewport=PHONE)
    wide, outside = {}, {}
    for url in _staff_pages()[login]:
        page.goto(f"{site.url}{url}")
        if _sideways(page) > 0:
            wide[url] = _sideways(page)
        cells = page.evaluate(OUTSIDE, PHONE["width"])
        if cells:
            outside[url] = cells
    assert (wide, outside) == ({}, {})


def test_each_contents_link_of_the_province_page_reaches_its_section(site):
    page = site.page(viewport=PHONE)
    page.goto(f"{site.url}/provinsi/36/")
    assert page.evaluate("document.documentElement.scrollHeight") > 4 * PHONE["height"]
    contents = page.get_by_test_id("page-contents")
    # The contents list is within the first two screens.
    assert contents.bounding_box()["y"] < 2 * PHONE["height"]
    anchors = contents.locator("a[href^='#']")
    targets = anchors.evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert len(targets) >= 8
    for target in targets:
        page.evaluate("window.scrollTo(0, 0)")
        page.locator(f"[data-testid=page-contents] a[href='{target}']").click()
        top = page.locator(target).evaluate("el => el.getBoundingClientRect().top")
        assert 0 <= top < PHONE["height"] / 2, (target, top)
    site.shoot(page, "province-contents")

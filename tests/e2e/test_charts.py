"""Charts that tell the truth, drawn in Chromium at 360 and 1280 px: whole-number axes for
counts, bars on a continuous month axis, "belum ada data" instead of an empty axis, every
label room of its own, and series that differ by more than hue."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE

CHARTS_JS = Path(__file__).resolve().parents[2] / "static" / "js" / "charts.js"


def _chart(page, series_id, expression):
    return page.evaluate(f"""() => {{
        const c = Chart.getChart(document.querySelector('canvas[data-series="{series_id}"]'));
        return {expression};
    }}""")


@pytest.mark.parametrize("viewport", [PHONE, {"width": 1280, "height": 900}])
def test_counts_months_and_labels(site, viewport):
    page = site.page(viewport=viewport)
    page.goto(site.url + "/provinsi/36/?tahun=2020")
    page.wait_for_function("() => typeof Chart !== 'undefined' && Chart.getChart(document.querySelector('canvas'))")
    ticks = _chart(page, "chart-funnel", "c.scales.y.ticks.map(t => t.value)")
    assert ticks and all(float(t).is_integer() for t in ticks), ticks
    assert _chart(page, "chart-by-month", "c.config.type") == "bar"
    assert _chart(page, "chart-by-month", "c.data.labels") == ["2020-11", "2020-12"]
    # Horizontal bars: every label has its row; none is cut to the same "Pemulihan ekonomi…".
    for series in ("chart-by-agency", "chart-by-program"):
        rows = _chart(page, series, "c.data.labels.length")
        height = _chart(page, series, "c.height")
        assert height >= rows * 24, (series, rows, height)
    # Realized bars are hatched, the ceiling an outline: not told apart by colour alone.
    assert _chart(page, "chart-by-agency", "c.data.datasets[1].backgroundColor instanceof CanvasPattern")
    assert _chart(page, "chart-by-source", "c.data.datasets[0].backgroundColor") == "#ffffff"
    labels = _chart(page, "chart-by-program", "c.scales.y.ticks.map(t => [].concat(t.label).join(' '))")
    assert len(set(labels)) == len(labels)
    page.goto(site.url + "/")
    page.wait_for_function("() => typeof Chart !== 'undefined' && Chart.getChart(document.querySelector('canvas'))")
    assert _chart(page, "chart-national", "c.options.indexAxis") == "y"
    assert _chart(page, "chart-national", "c.height") >= 38 * 24
    site.shoot(page, f"charts-national-{viewport['width']}")


def test_an_empty_chart_says_so(site):
    page = site.page()
    page.goto(site.url + "/provinsi/11/?tahun=2020")  # Aceh: a ceiling and an allocation, nothing realized
    box = page.locator("figure", has=page.locator("#chart-by-month"))
    expect(box.locator(".chart-empty")).to_have_text("Belum ada data.")
    expect(box.locator("canvas")).to_have_count(0)
    expect(box.locator("details .table-scroll")).to_have_attribute("tabindex", "0")  # keyboard reaches it


def _luminance(hex_color):
    channels = [int(hex_color[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a, b):
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_allocated_and_realized_pass_3_to_1_against_each_other_and_white():
    colors = dict(re.findall(r'(\w+): "(#[0-9a-f]{6})"', re.search(r"COLORS = \{[^}]*\}", CHARTS_JS.read_text())[0]))
    assert _contrast(colors["allocated"], colors["realized"]) >= 3
    for key in ("allocated", "realized", "ceiling"):
        assert _contrast(colors[key], "#ffffff") >= 3, key

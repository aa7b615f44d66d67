"""The choropleth maps, in Chromium at 360 and 1280 px: a click on a province of the national map
opens its page, a click on a kabupaten/kota of the province map opens its page; the metric
switch recolours the map and rewrites its legend; every region's figure is in the table."""

import pytest

from tests.e2e.conftest import PHONE


def _click_region(page, series_id, code):
    """Click a point of region ``code`` as the chart drew it that lies in no other region (its
    centre may not: Kota Serang lies inside Kabupaten Serang), nearest to its centre."""
    page.wait_for_selector(f'canvas[data-series="{series_id}"][data-ready="1"]')
    x, y = page.evaluate(f"""() => {{
        const canvas = document.querySelector('canvas[data-series="{series_id}"]');
        const chart = Chart.getChart(canvas);
        const i = chart.data.datasets[0].data.findIndex(d => d.feature.properties.code === "{code}");
        const elements = chart.getDatasetMeta(0).data, el = elements[i];
        const b = el.getBounds(), c = el.getCenterPoint();
        let best = null;
        for (let gx = 0; gx <= 30; gx++) for (let gy = 0; gy <= 30; gy++) {{
            const px = b.x + b.width * gx / 30, py = b.y + b.height * gy / 30;
            if (!el.inRange(px, py) || elements.some((o, j) => j !== i && o.inRange(px, py))) continue;
            const d = (px - c.x) ** 2 + (py - c.y) ** 2;
            if (best === null || d < best[2]) best = [px, py, d];
        }}
        const box = canvas.getBoundingClientRect();
        return [box.left + best[0], box.top + best[1]];
    }}""")
    page.mouse.click(x, y)


@pytest.mark.parametrize("viewport", [PHONE, {"width": 1280, "height": 900}])
def test_a_click_on_the_map_opens_the_region(site, viewport):
    page = site.page(viewport=viewport)
    page.goto(site.url + "/?tahun=2020")
    figure = page.get_by_test_id("map-provinces")
    figure.scroll_into_view_if_needed()
    assert page.evaluate("""() => Chart.getChart(document.querySelector('canvas[data-series="map-provinces"]'))
                              .data.datasets[0].data.length""") == 38
    legend = figure.locator(".map-legend")
    assert "80%" in legend.inner_text() and "belum ada alokasi" in legend.inner_text()
    figure.get_by_role("radio", name="Realisasi").check()
    assert "Rp" in legend.inner_text()
    site.shoot(page, f"27-map-national-{viewport['width']}")

    _click_region(page, "map-provinces", "36")
    page.wait_for_url(f"{site.url}/provinsi/36/?tahun=2020")
    regencies = page.get_by_test_id("map-regencies")
    regencies.scroll_into_view_if_needed()
    assert page.evaluate("""() => Chart.getChart(document.querySelector('canvas[data-series="map-regencies"]'))
                              .data.datasets[0].data.length""") == 8
    _click_region(page, "map-regencies", "36.04")
    page.wait_for_url(f"{site.url}/kabupaten/36.04/?tahun=2020")


def test_the_map_table_reaches_every_region_by_keyboard(site):
    page = site.page()
    page.goto(site.url + "/")
    figure = page.get_by_test_id("map-provinces")
    figure.locator("summary").focus()
    page.keyboard.press("Enter")
    link = figure.get_by_role("link", name="Banten")
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{site.url}/provinsi/36/")

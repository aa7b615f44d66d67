"""The map shapes (static/maps, made by `make maps`) and the figures the maps colour: every
region in the database has exactly one shape, the files are small enough for a phone, the
licence travels with them, and each region's figures are the pages' own."""

import json
from pathlib import Path

import pytest
from django.conf import settings

from core.models import Region
from reports.selectors import national_overview, province_report, region_map

MAPS = Path(settings.BASE_DIR) / "static" / "maps"


def _codes(path: Path) -> list[str]:
    topo = json.loads(path.read_text())
    return [g["properties"]["code"] for g in topo["objects"]["wilayah"]["geometries"]]


def test_every_region_has_exactly_one_shape(regions):
    provinces = sorted(Region.objects.provinces().values_list("code", flat=True))
    assert sorted(_codes(MAPS / "provinsi.json")) == provinces
    for code in provinces:
        regencies = sorted(Region.objects.regencies().filter(parent__code=code).values_list("code", flat=True))
        assert sorted(_codes(MAPS / f"kabupaten-{code}.json")) == regencies, code
    assert len(list(MAPS.glob("kabupaten-*.json"))) == len(provinces)


def test_the_shapes_are_small_and_carry_their_licence():
    assert (MAPS / "provinsi.json").stat().st_size < 100 * 1024
    assert max(p.stat().st_size for p in MAPS.glob("kabupaten-*.json")) < 40 * 1024
    assert "MIT License" in (MAPS / "LICENSE").read_text()


@pytest.mark.django_db
def test_the_maps_colour_the_pages_own_figures(client, regions, django_assert_max_num_queries):
    from django.core.management import call_command

    call_command("load_demo", verbosity=0)
    call_command("rollup", verbosity=0)
    overview = {p["province__code"]: p for p in national_overview(2020)["provinces"]}
    rows = region_map(year=2020)
    assert len(rows) == 38
    for row in rows:
        assert (row["allocated"], row["realized"]) == (overview[row["code"]]["allocated"],
                                                        overview[row["code"]]["realized"]), row["code"]
    banten = next(r for r in rows if r["code"] == "36")
    assert banten["allocated"] > 0 and banten["absorption"] == round(banten["realized"] * 100 / banten["allocated"], 1)
    assert banten["groups"] > 0
    assert all(r["absorption"] is None for r in rows if r["allocated"] == 0)

    province = Region.objects.get(code="36")
    by_regency = {r["key"]: r for r in province_report(province, 2020)["by_regency"]}
    regencies = region_map(province, 2020)
    assert [r["code"] for r in regencies] == sorted(province.children.values_list("code", flat=True))
    for row in regencies:
        if row["code"] in by_regency:
            assert row["allocated"] == by_regency[row["code"]]["allocated"]
        else:
            assert row["allocated"] == 0

    page = client.get("/provinsi/36/?tahun=2020")
    assert b'data-map="/static/maps/kabupaten-36.json"' in page.content
    assert b'"url": "/kabupaten/36.04/?tahun=2020"' in page.content
    assert "cahyadsn/wilayah_boundaries" in page.content.decode()

"""Build the map shapes in ``static/maps/`` from the boundary data (run by ``make maps``; the
result is committed, so neither a deployment nor a test runs this).

Input: ``../shared/data/wilayah-boundaries`` (or the directory given), MySQL INSERTs from
cahyadsn/wilayah_boundaries (MIT): code, name, centroid and a JSON (multi)polygon of
[latitude, longitude] points. Output, through mapshaper from npm (simplified, TopoJSON, one
object ``wilayah`` per file, each shape's ``code`` and ``name`` as properties):

- ``static/maps/provinsi.json`` — the 38 provinces;
- ``static/maps/kabupaten-<PP>.json`` — the kabupaten/kota of province ``PP``.

    python tools/build_maps.py [BOUNDARIES_DIR]
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "static" / "maps"
MAPSHAPER = ["npx", "--yes", "mapshaper@0.7.70"]
# How much of each outline to keep (Visvalingam, mapshaper's default), and the coordinate grid:
# a phone draws the country at most ~1,000 px wide, so finer detail is never seen.
SIMPLIFY = {"provinsi": "4%", "kabupaten": "12%"}
QUANTIZATION = "20000"
ROW = re.compile(r"\(\s*'(\d{2}(?:\.\d{2})?)'\s*,\s*'((?:[^']|'')*)'\s*,\s*(-?[\d.eE+-]+)\s*,\s*(-?[\d.eE+-]+)\s*,"
                 r"\s*'(\[[^']*\])'\s*\)")


def rows(directory: Path):
    for path in sorted(directory.glob("*.sql")):
        for code, name, _lat, _lng, shape in ROW.findall(path.read_text(encoding="utf-8")):
            yield code, name.replace("''", "'"), json.loads(shape)


def _depth(value) -> int:
    depth = 0
    while isinstance(value, list):
        value, depth = value[0], depth + 1
    return depth


def _inside(point, ring) -> bool:
    """Ray casting: is ``point`` inside ``ring`` (both [x, y])?"""
    x, y, inside = point[0], point[1], False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
        if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
            inside = not inside
    return inside


def feature(code: str, name: str, shape) -> dict:
    """A GeoJSON feature: the points turned to [longitude, latitude]. A ring listed after a
    polygon's outline is a hole only if it lies inside that outline; the source also lists
    islands that way (Kabupaten Sorong's 107), and those become polygons of their own."""
    polygons = [shape] if _depth(shape) == 3 else shape

    def ring(points):
        return [[round(lng, 6), round(lat, 6)] for lat, lng in points]

    out = []
    for polygon in polygons:
        outline, *rest = [ring(r) for r in polygon]
        holes = [r for r in rest if _inside(r[0], outline)]
        out.append([outline, *holes])
        out += [[r] for r in rest if not _inside(r[0], outline)]
    return {"type": "Feature", "properties": {"code": code, "name": name},
            "geometry": {"type": "MultiPolygon", "coordinates": out}}


def convert(features: list[dict], target: Path, simplify: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "wilayah.json"
        source.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
        subprocess.run([*MAPSHAPER, "-i", str(source), "-simplify", simplify, "keep-shapes", "-clean",
                        "-o", "format=topojson", f"quantization={QUANTIZATION}", str(target)],
                       check=True, capture_output=True)


def main(argv: list[str]) -> int:
    source = Path(argv[0]) if argv else ROOT.parent / "shared" / "data" / "wilayah-boundaries"
    OUT.mkdir(parents=True, exist_ok=True)
    provinces = [feature(c, n, s) for c, n, s in rows(source / "prov")]
    convert(provinces, OUT / "provinsi.json", SIMPLIFY["provinsi"])
    regencies: dict[str, list[dict]] = {}
    for code, name, shape in rows(source / "kab"):
        regencies.setdefault(code[:2], []).append(feature(code, name, shape))
    for province, features in sorted(regencies.items()):
        convert(features, OUT / f"kabupaten-{province}.json", SIMPLIFY["kabupaten"])
    shutil.copyfile(source / "LICENSE", OUT / "LICENSE")
    sizes = {p.name: p.stat().st_size for p in sorted(OUT.glob("*.json"))}
    print(f"{len(provinces)} provinces, {sum(len(f) for f in regencies.values())} kabupaten/kota; "
          f"provinsi.json {sizes['provinsi.json'] / 1024:.0f} KiB, kabupaten files "
          f"{min(v for k, v in sizes.items() if k != 'provinsi.json') / 1024:.0f}–"
          f"{max(v for k, v in sizes.items() if k != 'provinsi.json') / 1024:.0f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Does a page's figure add up from the log? ``--figure https://…/jejak/realisasi/?provinsi=36&tahun=2020``

The trail page of a figure lists the records behind it; the site's API gives the same list
(``/api/v1/jejak/<figure>/?<scope>``) and the figure the pages show (``/api/v1/anggaran/?<scope>``,
summed). The check: every record of the trail has an entry in the verified log, the log's latest
word on its amount is the trail's, and the amounts add up to the page's figure. A ceiling's or a
realization's latest entry carries its amount; an allocation's is its latest revision's new
amount, if any, else its own entry's.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from urllib.parse import parse_qsl, urlencode, urlsplit

# figure → the record type of its entries, and the column of /api/v1/anggaran/ it is shown from.
FIGURES = {"pagu": ("programs.budgetceiling", "ceiling_amount"),
           "alokasi": ("programs.allocation", "allocated_amount"),
           "realisasi": ("programs.realization", "realized_amount")}
REVISION = "programs.allocationrevision"
SCOPE = ("tahun", "provinsi", "kabupaten", "opd", "program", "pagu")


class FigureError(Exception):
    """The figure could not be read (a page that is not a trail, an unreachable site)."""


class Mismatch(Exception):
    """The records or the figure disagree with the log."""


def parse(url: str) -> tuple[str, str, str]:
    """(site, figure, scope query) of a trail page's URL."""
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    if parts.scheme not in ("http", "https") or len(segments) < 2 or segments[-2] != "jejak" \
            or segments[-1] not in FIGURES:
        raise FigureError(f"{url}: not a trail page of pagu, alokasi or realisasi (…/jejak/realisasi/?provinsi=36)")
    prefix = "/".join(segments[:-2])
    site = f"{parts.scheme}://{parts.netloc}" + (f"/{prefix}" if prefix else "")
    scope = [(k, v) for k, v in parse_qsl(parts.query) if k in SCOPE]
    return site, segments[-1], urlencode(sorted(scope))


def _get(url: str) -> dict:
    if not url.startswith(("http://", "https://")):
        raise FigureError(f"{url}: not http(s)")
    try:
        with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 - http(s) only
            return json.load(response)
    except urllib.error.HTTPError as exc:
        raise FigureError(f"{url}: HTTP {exc.code}") from None
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
        raise FigureError(f"{url}: {exc}") from None


def _all(url: str):
    while url:
        page = _get(url)
        yield from page["results"]
        url = page.get("next")


class Expected:
    """The records a trail lists, and the log's latest word on each, gathered while the
    verifier reads the entry bundles (``see`` is called with every entry, in log order)."""

    def __init__(self, figure: str, records: list[dict]):
        self.figure, self.record_type = figure, FIGURES[figure][0]
        self.records = {int(r["id"]): r for r in records}
        self.latest: dict[int, tuple[int, dict]] = {}  # id → (entry index, entry)
        self._needle = f'"record":"{self.record_type}"'.encode()
        self._revision = f'"record":"{REVISION}"'.encode() if figure == "alokasi" else None

    def see(self, index: int, body: bytes) -> None:
        if self._needle in body:
            entry = json.loads(body)
            if entry.get("record") == self.record_type and entry.get("id") in self.records:
                self.latest[entry["id"]] = (index, entry)
        elif self._revision is not None and self._revision in body:
            entry = json.loads(body)
            target = entry.get("fields", {}).get("allocation")
            if entry.get("record") == REVISION and target in self.records:
                revised = {**entry, "fields": {"amount": entry["fields"].get("new_amount")}}
                self.latest[target] = (index, revised)

    def check(self) -> int:
        """The records' total, every one of them in the log with the trail's amount."""
        missing = sorted(set(self.records) - set(self.latest))
        if missing:
            raise Mismatch(f"{len(missing)} record(s) of the trail have no entry in the log: "
                           f"{self.record_type} #{', #'.join(map(str, missing[:10]))}")
        total = 0
        for pk, record in sorted(self.records.items()):
            index, entry = self.latest[pk]
            logged = entry["fields"].get("amount")
            if logged is None or int(logged) != int(record["amount"]):
                raise Mismatch(f"{self.record_type} #{pk}: the trail says {record['amount']}, "
                               f"its latest entry #{index} says {logged}")
            for name, value in entry["fields"].items():
                shown = record.get(name)
                if isinstance(shown, dict):  # a related record: by its id or code, when the API shows one
                    shown = shown.get("id", shown.get("code", value))
                if name in record and not isinstance(shown, list) and shown != value:
                    raise Mismatch(f"{self.record_type} #{pk}: {name} is {shown!r} on the trail, "
                                   f"{value!r} in entry #{index}")
            total += int(logged)
        return total


def records(site: str, figure: str, scope: str) -> list[dict]:
    return list(_all(f"{site}/api/v1/jejak/{figure}/" + (f"?{scope}" if scope else "")))


def page_figure(site: str, figure: str, scope: str) -> int | None:
    """The figure as the site's pages show it for ``scope`` (None for one ceiling: no page figure)."""
    if "pagu=" in scope:
        return None
    column = FIGURES[figure][1]
    return sum(int(row[column] or 0) for row in _all(f"{site}/api/v1/anggaran/" + (f"?{scope}" if scope else "")))

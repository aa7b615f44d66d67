"""What a staff table needs to be downloaded as CSV or XLSX: its columns, the rows its page shows
with the filters (and sort) applied, and who may take it. The machinery that streams a small CSV
or has a worker build a big one or an XLSX is one for every table (``recipients.exports``)."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Table:
    slug: str                     # in the URL and the job: "kelompok", "pagu", "alokasi", "realisasi"
    title: str                    # lazily translated, for the page that starts a job
    header: list[str]
    filtered: Callable            # (user, params) -> (filterset, queryset in the page's order)
    rows: Callable                # (user, queryset, shown: list | None) -> iterator of cell lists
    allowed: Callable             # (user) -> bool
    list_url: str                 # the URL name of the table's page
    personal: bool = False        # full NIKs may go out: each export is a row in the access log
    filename: str = ""            # the download's name without extension (default: the slug)
    count: Callable | None = None  # (queryset) -> rows in the file, when not one per record
    # A document rather than a table (a PDF report, ``reports.documents``): (user, params,
    # progress(done, total)) -> the file's bytes; ``filtered`` and ``rows`` are then unused.
    document: Callable | None = None

    @property
    def download_name(self) -> str:
        return self.filename or self.slug

    @property
    def formats(self) -> tuple[str, ...]:
        return ("pdf",) if self.document else ("csv", "xlsx")

    def row_count(self, queryset) -> int:
        return self.count(queryset) if self.count else queryset.count()


class _Echo:
    def write(self, value):
        return value


def csv_lines(header: list[str], table_rows) -> Iterator[str]:
    """The CSV as text lines: a BOM (so spreadsheet programs read the names as UTF-8), the
    header, then ``table_rows``. The same for a streamed response and a worker's file."""
    writer = csv.writer(_Echo())
    yield "\ufeff"
    yield writer.writerow(header)
    for row in table_rows:
        yield writer.writerow(row)

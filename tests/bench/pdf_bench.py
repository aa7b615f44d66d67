"""PDF reports at national scale, on purpose: `make bench` (or python -m tests.bench.pdf_bench).

Reuses the data set of rollup_bench (run that first). For one province-year (Banten 2020), each
timed BENCH_REPEAT (5) times after one warm-up, uncached, in the same run:

- the province page as HTML (``/provinsi/36/?tahun=2020``) — the floor;
- the same page as one PDF (``/provinsi/36/pdf/?tahun=2020``);
- the realization report of the province for the year as the worker builds it (reads, the
  revisions and reversals listed, WeasyPrint), and for one quarter.

Printed as medians and ratios to the HTML page; the PDF's pages and size beside them. No target:
the report is built by a worker with progress, the summary is cached like every public page.
"""

from __future__ import annotations

import os
import statistics
import sys
import time

REPEAT = int(os.environ.get("BENCH_REPEAT", 5))


def main() -> int:
    from tests.bench.rollup_bench import _bench_database_url, setup_django

    os.environ.setdefault("CACHE_KEY_PREFIX", "ikmrelief-bench-pdf")
    setup_django(_bench_database_url())
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment
    from pypdf import PdfReader

    from accounts.models import User
    from core.cache import forget_process_copies
    from programs.models import Realization
    from recipients.models import RecipientGroup
    from reports import documents

    call_command("migrate", verbosity=0)
    if not RecipientGroup.objects.exists():
        raise SystemExit("no data set: run python -m tests.bench.rollup_bench first")
    setup_test_environment()
    client = Client()
    admin = User.objects.filter(role=User.Role.NATIONAL_ADMIN, is_active=True).first() or User.objects.create(
        username="bench-admin", role=User.Role.NATIONAL_ADMIN)

    def timed(make):
        cache.clear()
        forget_process_copies()
        start = time.perf_counter()
        content = make()
        return (time.perf_counter() - start) * 1000, content

    def page(path):
        def get():
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            return response.content
        return get

    cases = [
        ("HTML /provinsi/36/?tahun=2020 (floor)", page("/provinsi/36/?tahun=2020")),
        ("PDF  /provinsi/36/pdf/?tahun=2020", page("/provinsi/36/pdf/?tahun=2020")),
        ("PDF  realization report, Banten 2020", lambda: documents.realization_pdf(
            admin, {"provinsi": "36", "tahun": 2020})),
        ("PDF  realization report, Banten 2020 Q2", lambda: documents.realization_pdf(
            admin, {"provinsi": "36", "tahun": 2020, "periode": "tw2"})),
    ]
    with connection.cursor() as db:
        db.execute("SHOW server_version")
        version = db.fetchone()[0]
    print(f"== PDF reports: {RecipientGroup.objects.count():,} groups, {Realization.objects.count():,} realizations, "
          f"PostgreSQL {version}, {os.cpu_count()} cores, median of {REPEAT} uncached")
    floor = None
    for name, make in cases:
        timed(make)
        runs = [timed(make) for _ in range(REPEAT)]
        ms = statistics.median(t for t, _ in runs)
        content = runs[-1][1]
        floor = floor or ms
        detail = ""
        if content.startswith(b"%PDF-"):
            import io

            detail = f"  {len(PdfReader(io.BytesIO(content)).pages):4d} pages {len(content) / 1024:8.0f} KiB"
        print(f"{name:48s} {ms:9.1f} ms  {ms / floor:6.1f}× the HTML page{detail}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

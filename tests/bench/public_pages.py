"""Public pages at national scale, on purpose: `make bench` (or python -m tests.bench.public_pages).

Reuses the data set of rollup_bench (run that first). Every public URL family — pages, the trail
behind each figure, search, the API and the open-data downloads — with each filter kind a
visitor can give (none, year, province, province + year, regency, regency + year, OPD, program,
ceiling, a deep cursor), anonymous and **uncached** (Redis and the process copy emptied before
each request, untimed): median of BENCH_REPEAT (5) after one warm-up, with its SQL query count
and its ratio to the floor measured in the same run (``/ping/``). Target: every URL ≤ 300 ms
(issue 28). Exits 1 when one is over.
"""

from __future__ import annotations

import os
import statistics
import sys
import time

REPEAT = int(os.environ.get("BENCH_REPEAT", 5))
TARGET_MS = 300


def urls() -> list[str]:
    from core.models import Region
    from core.pagination import _encode
    from programs.models import Agency, BudgetCeiling, Program, Realization

    banten, serang = Region.objects.get(code="36"), Region.objects.get(code="36.04")
    agency = Agency.objects.filter(province=banten).order_by("id").first()
    program = Program.objects.public().filter(agency=agency).order_by("id").first()
    ceiling = BudgetCeiling.objects.filter(province=banten, fiscal_year=2020).order_by("id").first()
    deep = Realization.objects.order_by("-date", "-id").values_list("date", "id")[250_000]
    cursor = _encode([deep[0], deep[1]])
    scopes = ["", "?tahun=2020", "?provinsi=36", "?provinsi=36&tahun=2020", "?provinsi=36&tahun=2021",
              f"?kabupaten={serang.code}", f"?kabupaten={serang.code}&tahun=2020", f"?opd={agency.pk}",
              f"?program={program.pk}", f"?pagu={ceiling.pk}", f"?provinsi=36&tahun=2020&opd={agency.pk}"]
    out = ["/", "/provinsi/36/", f"/kabupaten/{serang.code}/", f"/program/{program.pk}/", f"/opd/{agency.pk}/",
           "/cari/?q=jahit", "/cari/?q=serang", "/cari/?q=zzqx", "/penerima/", "/penerima/?provinsi=36",
           f"/penerima/?program={program.pk}", f"/penerima/?kabupaten={serang.code}",
           f"/penerima/?kabupaten={serang.code}&tahun=2021", "/penerima/?q=jahit", "/penerima/?q=zzqx",
           "/penerima/?provinsi=36&q=jahit", f"/data/kelompok-penerima.csv?kabupaten={serang.code}",
           "/definisi/", "/data/", "/data/anggaran.csv",
           "/data/datapackage.json", "/api/v1/", "/api/v1/anggaran/", "/api/v1/anggaran/?provinsi=36&tahun=2020",
           "/api/v1/program/", "/api/v1/kelompok/", "/api/v1/kelompok/?provinsi=36", "/api/v1/wilayah/"]
    for figure in ("pagu", "alokasi", "realisasi", "kelompok"):
        out += [f"/jejak/{figure}/{scope}" for scope in scopes]
        out += [f"/api/v1/jejak/{figure}/{scope}" for scope in ("", "?provinsi=36&tahun=2020",
                                                               f"?kabupaten={serang.code}")]
    out += [f"/jejak/realisasi/?after={cursor}", f"/api/v1/jejak/realisasi/?after={cursor}",
            f"/jejak/realisasi/?provinsi=36&tahun=2020&after={cursor}"]
    return out


def main() -> int:
    from tests.bench.rollup_bench import _bench_database_url, setup_django

    os.environ.setdefault("CACHE_KEY_PREFIX", "ikmrelief-bench-public")
    os.environ.setdefault("API_ANON_RATE", "100000/minute")
    setup_django(_bench_database_url())
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    from core.cache import forget_process_copies
    from programs.models import Realization
    from recipients.models import RecipientGroup

    call_command("migrate", verbosity=0)
    if not RecipientGroup.objects.exists():
        raise SystemExit("no data set: run python -m tests.bench.rollup_bench first")
    setup_test_environment()
    client = Client()

    def timed_get(path):
        cache.clear()
        forget_process_copies()
        queries = []

        def count(execute, sql, params, many, context):
            queries.append(sql)
            return execute(sql, params, many, context)

        start = time.perf_counter()
        with connection.execute_wrapper(count):
            response = client.get(path)
            if response.streaming:
                b"".join(response.streaming_content)
        elapsed = (time.perf_counter() - start) * 1000
        assert response.status_code == 200, (path, response.status_code)
        return elapsed, len(queries)

    timed_get("/ping/")
    floor = statistics.median(timed_get("/ping/")[0] for _ in range(REPEAT))
    with connection.cursor() as db:
        db.execute("SHOW server_version")
        version = db.fetchone()[0]
    print(f"== public pages: {RecipientGroup.objects.count():,} groups, {Realization.objects.count():,} "
          f"realizations, PostgreSQL {version}, {os.cpu_count()} cores, median of {REPEAT} uncached; "
          f"floor (/ping/) {floor:.1f} ms")
    results = []
    for path in urls():
        timed_get(path)
        runs = [timed_get(path) for _ in range(REPEAT)]
        ms = statistics.median(t for t, _ in runs)
        results.append((ms, path))
        print(f"{path:62s} {ms:8.1f} ms  {runs[0][1]:3d} queries  {ms / floor:7.1f}× floor"
              f"{'' if ms <= TARGET_MS else '  OVER ' + str(TARGET_MS)}", flush=True)
    worst_ms, worst = max(results)
    print(f"slowest: {worst} {worst_ms:.1f} ms (target ≤ {TARGET_MS} ms): "
          f"{'met' if worst_ms <= TARGET_MS else 'NOT met'}")
    return 0 if worst_ms <= TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())

"""Rollup benchmark at national scale, on purpose: `make bench` (or python -m tests.bench.rollup_bench).

Uses its own database (BENCH_DATABASE_URL, default: DATABASE_URL's server, database
``ikmrelief_bench``), keeps the synthetic data set between runs and regenerates it only
when its size differs from BENCH_GROUPS / BENCH_REALIZATIONS (defaults 1,000,000 /
10,000,000). Prints the figures recorded in BENCHMARKS.md.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from urllib.parse import urlsplit, urlunsplit

GROUPS = int(os.environ.get("BENCH_GROUPS", 1_000_000))
REALIZATIONS = int(os.environ.get("BENCH_REALIZATIONS", 10_000_000))
# Each red-flag pattern planted this many times (reports.flags; flags_bench checks they are found).
ANOMALIES = int(os.environ.get("BENCH_ANOMALIES", 20))


def _bench_database_url() -> str:
    if os.environ.get("BENCH_DATABASE_URL"):
        return os.environ["BENCH_DATABASE_URL"]
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/ikmrelief_bench"))


def _ensure_database(url: str) -> None:
    import psycopg2

    from ikmrelief.env import parse_database_url

    db = parse_database_url("BENCH_DATABASE_URL", url)
    conn = psycopg2.connect(dbname="postgres", user=db["USER"] or None, password=db["PASSWORD"] or None,
                            host=db["HOST"] or None, port=db["PORT"] or None)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]])
        if cur.fetchone() is None:
            cur.execute(f'CREATE DATABASE "{db["NAME"]}"')
    conn.close()


def setup_django(url: str) -> None:
    """Point Django at the bench database ``url`` (created if missing) and set it up."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ikmrelief.settings")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key-bench-only-secret-key")
    _ensure_database(url)
    import django

    django.setup()
    from django.db import connection

    # A bench database is scratch: it may be emptied (flush) although the ledger refuses TRUNCATE.
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER DATABASE {connection.ops.quote_name(connection.settings_dict['NAME'])} "
                       "SET ikmrelief.allow_truncate = 'on'")
    connection.close()


FLOOR = [
    """CREATE TEMP TABLE floor_buckets AS
       SELECT c.fiscal_year, c.province_id, a.regency_id, p.agency_id, a.program_id, c.funding_source_id,
              SUM(a.amount) AS allocated, COALESCE(SUM(r.amount), 0) AS realized
       FROM programs_allocation a JOIN programs_budgetceiling c ON c.id = a.ceiling_id
       JOIN programs_program p ON p.id = a.program_id
       LEFT JOIN (SELECT allocation_id, SUM(amount) AS amount FROM programs_realization GROUP BY allocation_id) r
              ON r.allocation_id = a.id
       GROUP BY 1, 2, 3, 4, 5, 6""",
    """CREATE TEMP TABLE floor_monthly AS
       SELECT allocation_id, date_trunc('month', date) AS month, SUM(amount) FROM programs_realization GROUP BY 1, 2""",
    """CREATE TEMP TABLE floor_applications AS
       SELECT p.fiscal_year, g.regency_id, a.program_id, a.state, COUNT(*), SUM(g.members_count)
       FROM recipients_application a JOIN recipients_recipientgroup g ON g.id = a.group_id
       JOIN programs_program p ON p.id = a.program_id GROUP BY 1, 2, 3, 4""",
]

# The straightforward aggregate over raw rows, bucket by bucket, against the rollup both ways.
MISMATCHES = """
WITH raw AS (
    SELECT c.fiscal_year, c.province_id, a.regency_id, p.agency_id, a.program_id, c.funding_source_id,
           a.amount AS allocated,
           (SELECT COALESCE(SUM(r.amount), 0) FROM programs_realization r WHERE r.allocation_id = a.id) AS realized
    FROM programs_allocation a JOIN programs_budgetceiling c ON c.id = a.ceiling_id
    JOIN programs_program p ON p.id = a.program_id
), rolled AS (
    SELECT fiscal_year, province_id, regency_id, agency_id, program_id, funding_source_id,
           allocated_amount, realized_amount
    FROM programs_budgetrollup WHERE program_id IS NOT NULL
)
SELECT (SELECT COUNT(*) FROM (SELECT * FROM raw EXCEPT SELECT * FROM rolled) x)
     + (SELECT COUNT(*) FROM (SELECT * FROM rolled EXCEPT SELECT * FROM raw) y)
     + (SELECT COUNT(*) FROM (
          SELECT fiscal_year, province_id, funding_source_id, amount FROM programs_budgetceiling
          EXCEPT SELECT fiscal_year, province_id, funding_source_id, ceiling_amount FROM programs_budgetrollup
          WHERE program_id IS NULL) z)
     + (SELECT COUNT(*) FROM (
          SELECT p.fiscal_year, g.regency_id, a.program_id, a.state, COUNT(*)::int
          FROM recipients_application a JOIN recipients_recipientgroup g ON g.id = a.group_id
          JOIN programs_program p ON p.id = a.program_id GROUP BY 1, 2, 3, 4
          EXCEPT SELECT fiscal_year, regency_id, program_id, state, groups FROM recipients_applicationrollup) w)
     + (SELECT COUNT(*) FROM (
          SELECT date_trunc('month', r.date)::date, SUM(r.amount) FROM programs_realization r GROUP BY 1
          EXCEPT SELECT month, SUM(amount) FROM programs_realizationmonthly GROUP BY 1) v)
"""


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def ensure_national() -> str:
    """The national data set in the bench database, generated when missing or of another size:
    how long generating took, or "reused"."""
    from django.core.management import call_command
    from django.db import connection

    from programs.models import FundingSource, Realization
    from programs.reference import funding_sources_load
    from recipients.models import Member, RecipientGroup

    call_command("migrate", verbosity=0)
    generated = "reused"
    # Each run adds ~1,000 realizations of its own (the incremental measurement): those are fine.
    # A set made before the red flags (no members, no planted anomalies) is made again.
    if not REALIZATIONS <= Realization.objects.count() <= REALIZATIONS + 100_000 or \
            not GROUPS <= RecipientGroup.objects.count() <= GROUPS + 1000 or \
            (ANOMALIES and not Member.objects.filter(name="Anomali R01").exists()):
        call_command("flush", interactive=False, verbosity=0)
        funding_sources_load(FundingSource)
        call_command("load_regions", verbosity=0)
        load_s, _ = timed(lambda: call_command("generate_national", groups=GROUPS, realizations=REALIZATIONS,
                                               seed=1, anomalies=ANOMALIES))
        generated = f"{load_s:.0f} s"
        # A settled database, as autovacuum leaves one: hint bits set and the visibility map
        # current, so that an index-only scan is measured as it runs in production (issue 28).
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    return generated


def main() -> int:
    setup_django(_bench_database_url())
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    from core.cache import forget_process_copies
    from reports.rollup import rollup_run

    generated = ensure_national()
    rollup_run()  # warm caches the same way for both measurements

    def floor():
        with connection.cursor() as cursor:
            for sql in FLOOR:
                cursor.execute(sql)
            for table in ("floor_buckets", "floor_monthly", "floor_applications"):
                cursor.execute(f"DROP TABLE {table}")

    floor_runs = [timed(floor)[0] for _ in range(3)]
    breakdowns: list[list[tuple[str, float]]] = []

    def stepped_run():
        """A full run, with the time of each of its steps (``rollup_run``'s ``on_step``)."""
        marks: list[tuple[str, float]] = [("lock", time.perf_counter())]
        run = rollup_run(on_step=lambda name: marks.append((name, time.perf_counter())))
        marks.append(("end", time.perf_counter()))
        breakdowns.append([(name, later - at) for (name, at), (_, later) in zip(marks, marks[1:], strict=False)])
        return run

    rollup_runs = [timed(stepped_run) for _ in range(3)]
    floor_s = statistics.median(floor_runs)
    rollup_s = statistics.median(t for t, _ in rollup_runs)
    run = rollup_runs[-1][1]
    with connection.cursor() as cursor:
        cursor.execute(MISMATCHES)
        mismatches = cursor.fetchone()[0]
        cursor.execute("SHOW server_version")
        server_version = cursor.fetchone()[0]

    # A reader during a run: the province page's bucket query, on its own connection, again and
    # again while a full run builds its tables and swaps them in.
    import threading

    from django.db import connections

    done = threading.Event()
    waits = []

    def reader():
        other = connections.create_connection("default")
        try:
            with other.cursor() as cur:
                while not done.is_set():
                    start = time.perf_counter()
                    cur.execute("SELECT SUM(realized_amount) FROM programs_budgetrollup WHERE province_id = "
                                "(SELECT id FROM core_region WHERE code = '36')")
                    cur.fetchone()
                    waits.append(time.perf_counter() - start)
                    time.sleep(0.005)
        finally:
            other.close()

    thread = threading.Thread(target=reader)
    thread.start()
    during_s, _ = timed(rollup_run)
    done.set()
    thread.join()
    reader_max_ms = max(waits) * 1000
    reader_p99_ms = statistics.quantiles(waits, n=100)[98] * 1000 if len(waits) >= 100 else reader_max_ms

    setup_test_environment()
    client = Client()
    cache.clear()
    forget_process_copies()
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        assert client.get("/provinsi/36/").status_code == 200

    # A cache miss each time (the cache key ignores unknown parameters, so it is cleared, untimed).
    uncached_ms = []
    for _ in range(20):
        cache.clear()
        forget_process_copies()
        uncached_ms.append(timed(lambda: client.get("/provinsi/36/"))[0] * 1000)
    cached_ms = [timed(lambda: client.get("/provinsi/36/"))[0] * 1000 for _ in range(50)]

    # Incremental: 1,000 new realizations and 100 moved applications through the services, then
    # "refresh now" (an incremental run), against a full run on the same data; the full run checks
    # the kept state (mismatches) and both must leave the same tables.
    import datetime as dt
    import random

    from programs import services as budget
    from programs.models import Allocation
    from recipients import services as recipients
    from recipients.models import Application, State
    from reports.models import RollupRun

    rng = random.Random(14)
    allocations = list(Allocation.objects.select_related("ceiling").order_by("id"))
    made = 0
    while made < 1000:
        allocation = rng.choice(allocations)
        allocation.refresh_from_db()
        if allocation.headroom > 1000:
            budget.realization_create(allocation=allocation, date=dt.date(allocation.ceiling.fiscal_year, 12, 1),
                                      amount=rng.randrange(1, 1000), description="bench")
            made += 1
    for application in Application.objects.filter(state=State.PROPOSED).order_by("?")[:100]:
        recipients.application_advance(application=application, to_state=State.DOC_CHECKED, actor=None)
    incremental_s, inc_run = timed(lambda: rollup_run(mode=RollupRun.Mode.INCREMENTAL))

    def derived():
        with connection.cursor() as cur:
            cur.execute("SELECT md5(string_agg(t::text, ',' ORDER BY t::text)) FROM (SELECT fiscal_year, province_id, "
                        "regency_id, agency_id, program_id, funding_source_id, ceiling_amount, allocated_amount, "
                        "realized_amount, allocation_count, realization_count FROM programs_budgetrollup) t")
            return cur.fetchone()[0]

    after_incremental = derived()
    check_s, check_run = timed(rollup_run)
    same_after_full = derived() == after_incremental
    # "Refresh now" → the figure on the public page: a new realization in Banten, the incremental
    # run the button queues (run here in place of the worker), the uncached province page.
    from django.test import Client as PageClient

    from reports.rollup import request_rollup

    page = PageClient()
    before_etag = page.get("/provinsi/36/")["ETag"]
    banten = next(a for a in allocations if a.ceiling.province.code == "36" and a.headroom > 10**6)
    start = time.perf_counter()
    budget.realization_create(allocation=banten, date=dt.date(banten.ceiling.fiscal_year, 12, 2), amount=777_777,
                              description="refresh now")
    refresh_run, _queued = request_rollup(user=None)
    rollup_run(run=refresh_run)
    fresh = page.get("/provinsi/36/")
    refresh_s = time.perf_counter() - start
    assert fresh["ETag"] != before_etag and fresh.status_code == 200

    print(f"== rollup benchmark: {GROUPS:,} groups, {REALIZATIONS:,} realizations, {os.cpu_count()} cores")
    print(f"data set                          {generated}")
    print(f"floor: CREATE TABLE AS … GROUP BY {floor_s:8.2f} s  (median of {len(floor_runs)})")
    print(f"rollup (lock, scan, build, swap)  {rollup_s:8.2f} s  ({rollup_s / floor_s:.2f}× the floor; runs: "
          + ", ".join(f"{t:.2f} s = {t / floor_s:.2f}×" for t, _ in rollup_runs) + ")")
    print("floor runs                        " + ", ".join(f"{t:.2f} s" for t in floor_runs))
    print("full run by step (each run)       " + " | ".join(
        ", ".join(f"{name} {seconds:.2f}" for name, seconds in steps if seconds >= 0.01) for steps in breakdowns))
    print(f"PostgreSQL                        {server_version}")
    print(f"rollup rows                       {run.bucket_rows:,} buckets, {run.monthly_rows:,} monthly")
    print(f"mismatches vs raw aggregate       {mismatches}")
    print(f"province page /provinsi/36/       {len(queries)} queries; uncached median "
          f"{statistics.median(uncached_ms):.1f} ms; cached median {statistics.median(cached_ms):.2f} ms")
    print(f"incremental after 1,000 realizations + 100 moved applications {incremental_s:6.2f} s "
          f"({inc_run.changes} changes) = {rollup_s / incremental_s:.0f}× faster than full")
    print(f"full run after it: {check_s:.2f} s, mismatches with the incremental state {check_run.mismatches}, "
          f"buckets identical: {same_after_full}")
    print(f"refresh now → figure on the public page  {refresh_s:6.2f} s (realization, incremental run, page)")
    print(f"a reader during a run ({during_s:.1f} s)    {len(waits)} queries; longest wait {reader_max_ms:.1f} ms, "
          f"p99 {reader_p99_ms:.1f} ms")
    worst_ratio = max(t for t, _ in rollup_runs) / floor_s
    ok = (run.status == "success" and mismatches == 0 and worst_ratio <= 1.3 and rollup_s < 60
          and reader_max_ms <= 50 and rollup_s >= 20 * incremental_s and check_run.mismatches == 0
          and same_after_full and refresh_s <= 3)
    print("targets (each of three runs ≤ 1.3× floor, < 60 s, 0 mismatches, a reader waits ≤ 50 ms, "
          "incremental ≥ 20× faster and equal, refresh ≤ 3 s):", "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

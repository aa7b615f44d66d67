"""Rollup benchmark at national scale: run on purpose with `make bench`; prints figures.

BENCH_GROUPS / BENCH_REALIZATIONS (defaults 1,000,000 / 10,000,000) size the synthetic data
set. Figures and the machine go into BENCHMARKS.md.
"""

import os
import statistics
import time

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from programs.rollup import rollup_run

pytestmark = [pytest.mark.bench, pytest.mark.django_db(transaction=True)]

GROUPS = int(os.environ.get("BENCH_GROUPS", 1_000_000))
REALIZATIONS = int(os.environ.get("BENCH_REALIZATIONS", 10_000_000))

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

# The straightforward aggregate over raw rows, bucket by bucket (no pre-aggregation), compared
# with the rollup both ways: any row in one and not the other is a mismatch.
MISMATCHES = """
WITH raw AS (
    SELECT c.fiscal_year, c.province_id, a.regency_id, p.agency_id, a.program_id, c.funding_source_id,
           (SELECT SUM(a2.amount) FROM programs_allocation a2 WHERE a2.id = a.id) AS allocated,
           (SELECT COALESCE(SUM(r.amount), 0) FROM programs_realization r WHERE r.allocation_id = a.id) AS realized
    FROM programs_allocation a JOIN programs_budgetceiling c ON c.id = a.ceiling_id
    JOIN programs_program p ON p.id = a.program_id
), rolled AS (
    SELECT fiscal_year, province_id, regency_id, agency_id, program_id, funding_source_id,
           allocated_amount AS allocated, realized_amount AS realized
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
"""


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def test_rollup_at_national_scale(regions, capsys):
    load_s, _ = timed(lambda: call_command("generate_national", groups=GROUPS, realizations=REALIZATIONS, seed=1))
    rollup_run()  # warm the caches the same way for both measurements

    def floor():
        with connection.cursor() as cursor:
            for sql in FLOOR:
                cursor.execute(sql)
            for table in ("floor_buckets", "floor_monthly", "floor_applications"):
                cursor.execute(f"DROP TABLE {table}")

    floor_s = min(timed(floor)[0] for _ in range(2))
    rollup_s, run = min((timed(rollup_run) for _ in range(2)), key=lambda r: r[0])
    with connection.cursor() as cursor:
        cursor.execute(MISMATCHES)
        mismatches = cursor.fetchone()[0]

    client = Client()
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        client.get("/provinsi/36/")

    def uncached():
        cache.clear()
        return client.get("/provinsi/36/")

    page_times = [timed(uncached)[0] for _ in range(20)]

    with capsys.disabled():
        print(f"\n== rollup benchmark: {GROUPS:,} groups, {REALIZATIONS:,} realizations, {os.cpu_count()} cores")
        print(f"generate_national (COPY)      {load_s:8.1f} s")
        print(f"floor: CREATE TABLE AS … GROUP BY {floor_s:8.2f} s")
        print(f"rollup (lock, scan, swap)     {rollup_s:8.2f} s   ratio {rollup_s / floor_s:.2f}× the floor")
        print(f"rollup rows                   {run.bucket_rows:,} buckets, {run.monthly_rows:,} monthly")
        print(f"mismatches vs raw aggregate   {mismatches}")
        median_ms = statistics.median(page_times) * 1000
        print(f"province page /provinsi/36/   {len(queries)} queries, median {median_ms:.1f} ms, "
              f"max {max(page_times) * 1000:.1f} ms (uncached)")
    assert run.status == "success"
    assert mismatches == 0
    assert rollup_s <= 1.5 * floor_s + 0.5

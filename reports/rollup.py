"""The budget rollup: raw rows in, the totals every chart and public page reads out.

Two kinds of run, each one PostgreSQL transaction under a transaction-level advisory lock (a
second run finds it taken and is skipped; a run whose worker died loses it with its connection,
and ``rollup_reap`` re-queues it):

- **Full** (nightly): the only scan of the ten million realizations. It takes the change log,
  applies it to the kept state, then builds every table anew beside the live one — the realized
  cells (``reports_realizedcell``: per allocation, regency reached and month), the budget
  buckets and months from those cells, the application counts — indexed in bulk
  (``_build_next``); counts where the kept state differed from what it just recomputed
  (``RollupRun.mismatches``); and swaps all of them in by rename in one short step just before
  the commit (``_swap_all``).
- **Incremental** ("refresh now"): applies the change log — which database triggers write in
  the same transaction as every change (``reports/migrations/0003_incremental_rollup.py``) —
  to the kept cells and application counts, and rebuilds the buckets and months from the cells
  (tens of thousands of rows, not millions).

Readers keep seeing the previous totals until the commit (MVCC) and wait only for the swap (a
few milliseconds: BENCHMARKS.md). A run that dies at any point — an exception, a killed worker,
a lost connection — rolls back whole, change log included, leaving the previous rollup in place.
Re-running on the same data yields the same rows (idempotent). One module (past 400 lines on
purpose): the statements of a run and the swap that publishes them must be read together.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable

from django.core.cache import cache
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.models import Notification, User
from accounts.notifications import notify
from core.jobs import ROLLUP_LOCK_CLASS, backend_pid, dispatch, owner_label, reap, resend
from reports.models import RollupChange, RollupRun

log = logging.getLogger(__name__)

RUN_LOCK = (ROLLUP_LOCK_CLASS, 1)  # held by the transaction of the run that is computing
REQUEST_LOCK = (ROLLUP_LOCK_CLASS, 2)  # serialises "refresh now" presses
AS_OF_CACHE_KEY = "rollup:as_of"
STALE_AFTER = dt.timedelta(hours=24)

# Realized money per allocation, month and the regency it reached: a handover to a group (and
# the reversal of one) counts toward the group's regency wherever the allocation was made; any
# other realization toward the allocation's own regency (or the whole province). These cells
# (``reports_realizedcell``) are the only sum over the raw realizations; ``{where}`` (a condition
# on ``r``) narrows it to the allocations an incremental run rechecks.
#
# Shaped so the ten million rows meet no join (issue 28): every realization is summed per
# allocation and month where its allocation was made — the same GROUP BY as the floor — and the
# handed-over money (``HANDED``: found from the handover steps, a few hundred thousand rows at
# most) is then moved, row by row, from the allocation's regency to the group's: −1 there, +1
# here. A cell whose every row moved away ends with n = 0 and is dropped. "Illustrative" is
# kept as a count so that it can be moved too. The month is truncated as a timestamp without
# time zone (the same first day of the month; no time-zone conversion per row).
CELL_COLUMNS = "allocation_id, regency_id, month, amount, n, illustrative"
MONTH = "date_trunc('month', r.date::timestamp)::date"
_HANDOVERS = """(SELECT s.realization_id, g.regency_id
    FROM recipients_verificationstep s
    JOIN recipients_application ap ON ap.id = s.application_id
    JOIN recipients_recipientgroup g ON g.id = ap.group_id
    WHERE s.realization_id IS NOT NULL) h"""
# (allocation, made_in, reached, month, amount, illustrative) of each handover realization and
# each reversal of one: two equality joins (a handover is no reversal; a reversal reverses one).
HANDED = f"""
SELECT r.allocation_id, a.regency_id AS made_in, COALESCE(h.regency_id, a.regency_id) AS reached,
       {MONTH} AS month, r.amount, r.is_illustrative AS illustrative
FROM {_HANDOVERS} JOIN programs_realization r ON r.id = h.realization_id AND r.reverses_id IS NULL
JOIN programs_allocation a ON a.id = r.allocation_id
WHERE {{where}}
UNION ALL
SELECT r.allocation_id, a.regency_id, COALESCE(h.regency_id, a.regency_id), {MONTH}, r.amount, r.is_illustrative
FROM {_HANDOVERS} JOIN programs_realization r ON r.reverses_id = h.realization_id
JOIN programs_allocation a ON a.id = r.allocation_id
WHERE {{where}}
"""
CELLS = f"""
SELECT x.allocation_id, x.regency_id, x.month,
       SUM(x.amount)::bigint AS amount, SUM(x.n)::bigint AS n, SUM(x.illustrative) > 0 AS illustrative
FROM (
    SELECT m.allocation_id, a.regency_id, m.month, m.amount, m.n, m.illustrative
    FROM (SELECT r.allocation_id, {MONTH} AS month, SUM(r.amount) AS amount, COUNT(*) AS n,
                 COUNT(*) FILTER (WHERE r.is_illustrative) AS illustrative
          FROM programs_realization r WHERE {{where}} GROUP BY 1, 2) m
    JOIN programs_allocation a ON a.id = m.allocation_id
    UNION ALL
    SELECT h.allocation_id, v.regency_id, h.month, v.sign * h.amount, v.sign,
           CASE WHEN h.illustrative THEN v.sign ELSE 0 END
    FROM {{handed}} h CROSS JOIN LATERAL (VALUES (h.made_in, -1), (h.reached, 1)) v(regency_id, sign)
) x
GROUP BY x.allocation_id, x.regency_id, x.month
HAVING SUM(x.n) <> 0
"""
# One statement, for an incremental run's few rechecked allocations ("{where}" left to fill).
REALIZED = CELLS.format(where="{where}", handed=f"({HANDED})")

BUCKET_COLUMNS = (
    "fiscal_year, province_id, regency_id, agency_id, program_id, funding_source_id, "
    "ceiling_amount, allocated_amount, realized_amount, allocation_count, realization_count, is_illustrative"
)
# A ceiling is its own bucket; allocated money sits in the allocation's regency (or the whole
# province), realized money in the regency it reached: each amount is counted exactly once.
# Built from the cells ({cells}) and the few thousand allocations and ceilings, on every run.
BUCKETS = """
SELECT c.fiscal_year, c.province_id, NULL, NULL, NULL, c.funding_source_id, c.amount, 0, 0, 0, 0, c.is_illustrative
FROM programs_budgetceiling c
UNION ALL
SELECT x.fiscal_year, x.province_id, x.regency_id, x.agency_id, x.program_id, x.funding_source_id,
       0, SUM(x.allocated), SUM(x.realized), SUM(x.allocations), SUM(x.realizations), bool_or(x.illustrative)
FROM (
    SELECT c.fiscal_year, c.province_id, a.regency_id, p.agency_id, a.program_id, c.funding_source_id,
           a.amount AS allocated, 0 AS realized, 1 AS allocations, 0 AS realizations,
           a.is_illustrative AS illustrative
    FROM programs_allocation a
    JOIN programs_budgetceiling c ON c.id = a.ceiling_id
    JOIN programs_program p ON p.id = a.program_id
    UNION ALL
    SELECT c.fiscal_year, c.province_id, r.regency_id, p.agency_id, a.program_id, c.funding_source_id,
           0, r.amount, 0, r.n, r.illustrative
    FROM {cells} r
    JOIN programs_allocation a ON a.id = r.allocation_id
    JOIN programs_budgetceiling c ON c.id = a.ceiling_id
    JOIN programs_program p ON p.id = a.program_id
) x
GROUP BY x.fiscal_year, x.province_id, x.regency_id, x.agency_id, x.program_id, x.funding_source_id
"""

MONTHLY_COLUMNS = "province_id, regency_id, program_id, month, amount"
MONTHLY = """
SELECT c.province_id, r.regency_id, a.program_id, r.month, SUM(r.amount)
FROM {cells} r
JOIN programs_allocation a ON a.id = r.allocation_id
JOIN programs_budgetceiling c ON c.id = a.ceiling_id
GROUP BY c.province_id, r.regency_id, a.program_id, r.month
"""

# Groups and beneficiaries per verification state.
APPLICATION_COLUMNS = "fiscal_year, province_id, regency_id, program_id, state, groups, beneficiaries"
APPLICATIONS = """
SELECT p.fiscal_year, g.province_id, g.regency_id, a.program_id, a.state, COUNT(*), SUM(g.members_count)
FROM recipients_application a
JOIN recipients_recipientgroup g ON g.id = a.group_id
JOIN programs_program p ON p.id = a.program_id
GROUP BY p.fiscal_year, g.province_id, g.regency_id, a.program_id, a.state
"""

# The incremental state: kept between runs, changed in place by the log, checked by every full run.
KEPT = {"reports_realizedcell": CELL_COLUMNS, "programs_realizationmonthly": MONTHLY_COLUMNS,
        "recipients_applicationrollup": APPLICATION_COLUMNS}

# The change log since the last run, taken in the run's snapshot (REPEATABLE READ): exactly the
# changes the run's reads see. Anything committed later stays in the log for the next run.
TAKE_CHANGES = """
DROP TABLE IF EXISTS rollup_changes;
CREATE TEMP TABLE rollup_changes ON COMMIT DROP AS SELECT * FROM reports_rollupchange LIMIT 0;
WITH taken AS (DELETE FROM reports_rollupchange RETURNING *) INSERT INTO rollup_changes SELECT * FROM taken;
ANALYZE rollup_changes
"""

# The logged changes applied to the kept state in place: new realizations added to their cells
# and months (except for allocations to recheck); rechecked allocations' cells taken out of their
# months, recomputed from their raw rows, and put back; ±1 group per application move. A month
# or an application cell left with nothing in it is gone, as a full run would have it.
RECHECKED = "(SELECT allocation_id FROM rollup_changes WHERE kind = 'recheck' AND allocation_id IS NOT NULL)"
MONTH_OF_CELLS = """
    INSERT INTO programs_realizationmonthly AS m (province_id, regency_id, program_id, month, amount)
    SELECT c.province_id, x.regency_id, a.program_id, x.month, {sign} SUM(x.amount)
    FROM {cells} x JOIN programs_allocation a ON a.id = x.allocation_id
    JOIN programs_budgetceiling c ON c.id = a.ceiling_id
    {where}
    GROUP BY c.province_id, x.regency_id, a.program_id, x.month
    ON CONFLICT (province_id, regency_id, program_id, month) DO UPDATE SET amount = m.amount + EXCLUDED.amount"""
NEW_REALIZED = f"""(SELECT allocation_id, regency_id, month, amount FROM rollup_changes
                   WHERE kind = 'realized' AND allocation_id NOT IN {RECHECKED})"""
APPLY_CHANGES = [
    MONTH_OF_CELLS.format(sign="-", cells="reports_realizedcell", where=f"WHERE x.allocation_id IN {RECHECKED}"),
    MONTH_OF_CELLS.format(sign="", cells=NEW_REALIZED, where=""),
    f"""INSERT INTO reports_realizedcell AS cell ({CELL_COLUMNS})
        SELECT allocation_id, regency_id, month, SUM(amount), COUNT(*), bool_or(illustrative)
        FROM rollup_changes WHERE kind = 'realized' AND allocation_id NOT IN {RECHECKED}
        GROUP BY allocation_id, regency_id, month
        ON CONFLICT (allocation_id, regency_id, month) DO UPDATE SET amount = cell.amount + EXCLUDED.amount,
            n = cell.n + EXCLUDED.n, illustrative = cell.illustrative OR EXCLUDED.illustrative""",
    f"DELETE FROM reports_realizedcell WHERE allocation_id IN {RECHECKED}",
    f"INSERT INTO reports_realizedcell ({CELL_COLUMNS}) "
    + REALIZED.format(where=f"r.allocation_id IN {RECHECKED}"),
    MONTH_OF_CELLS.format(sign="", cells="reports_realizedcell", where=f"WHERE x.allocation_id IN {RECHECKED}"),
    f"""DELETE FROM programs_realizationmonthly m USING programs_budgetceiling c, programs_allocation a
        WHERE a.id IN {RECHECKED} AND c.id = a.ceiling_id AND m.province_id = c.province_id
          AND m.program_id = a.program_id AND NOT EXISTS (
            SELECT 1 FROM reports_realizedcell x JOIN programs_allocation xa ON xa.id = x.allocation_id
            JOIN programs_budgetceiling xc ON xc.id = xa.ceiling_id
            WHERE xc.province_id = m.province_id AND xa.program_id = m.program_id
              AND x.regency_id IS NOT DISTINCT FROM m.regency_id AND x.month = m.month)""",
    f"""INSERT INTO recipients_applicationrollup AS t ({APPLICATION_COLUMNS})
        SELECT fiscal_year, province_id, regency_id, program_id, state, SUM(groups), SUM(beneficiaries)
        FROM rollup_changes WHERE kind = 'applications'
        GROUP BY fiscal_year, province_id, regency_id, program_id, state
        ON CONFLICT (fiscal_year, province_id, regency_id, program_id, state) DO UPDATE
        SET groups = t.groups + EXCLUDED.groups, beneficiaries = t.beneficiaries + EXCLUDED.beneficiaries""",
    "DELETE FROM recipients_applicationrollup WHERE groups = 0",
]

# A full run's one scan of the raw realizations, into a temporary table: CREATE TABLE AS may use
# parallel workers, where INSERT … SELECT never does (7× slower at ten million rows).
# JIT is off for the run: compiling the scan's expressions took over a second of a five-second
# statement. (More work_mem is no help: the planner then hashes on one core instead of sorting on
# three, twice as slow.)
#
# The scan reads every realization, so its plan is fixed rather than costed (issue 28): with an
# index on (allocation_id, …) the planner sometimes preferred a nested loop over the allocations
# with an index scan each and an incremental sort — one core, 62× the table's pages in random
# reads (60 s instead of 10). So the handed-over rows are found first (``HANDED``: from the
# steps, through the primary key and the unique ``reverses`` index, which is what an index is
# for), and the scan of every row runs with index, nested-loop and incremental-sort paths off:
# a parallel sequential scan and one aggregate, on PostgreSQL 15 and 18 alike, whatever the
# statistics say.
SCAN_REALIZED = f"""
DROP TABLE IF EXISTS rollup_handed;
DROP TABLE IF EXISTS rollup_cells;
SET LOCAL jit = off;
CREATE TEMP TABLE rollup_handed ON COMMIT DROP AS {HANDED.format(where="TRUE")};
SET LOCAL enable_indexscan = off;
SET LOCAL enable_indexonlyscan = off;
SET LOCAL enable_bitmapscan = off;
SET LOCAL enable_incremental_sort = off;
SET LOCAL enable_nestloop = off;
CREATE TEMP TABLE rollup_cells ON COMMIT DROP AS {CELLS.format(where="TRUE", handed="rollup_handed")};
RESET enable_indexscan;
RESET enable_indexonlyscan;
RESET enable_bitmapscan;
RESET enable_incremental_sort;
RESET enable_nestloop;
ANALYZE rollup_cells
"""
# (label, table, columns, SELECT) of a full run, in order, after SCAN_REALIZED.
TABLES: list[tuple[str, str, str, str]] = [
    ("cells", "reports_realizedcell", CELL_COLUMNS, f"SELECT {CELL_COLUMNS} FROM rollup_cells"),
    ("buckets", "programs_budgetrollup", BUCKET_COLUMNS, BUCKETS.format(cells="rollup_cells")),
    ("monthly", "programs_realizationmonthly", MONTHLY_COLUMNS, MONTHLY.format(cells="rollup_cells")),
    ("applications", "recipients_applicationrollup", APPLICATION_COLUMNS, APPLICATIONS),
]
# An incremental run rebuilds only the budget buckets (a few thousand rows, from the kept cells,
# the allocations and the ceilings, whose changes it therefore needs no log for).
DERIVED: list[tuple[str, str, str, str]] = [
    ("buckets", "programs_budgetrollup", BUCKET_COLUMNS, BUCKETS.format(cells="reports_realizedcell")),
]


def _build_next(cursor, table: str, columns: str, select: str) -> tuple[int, list, list]:
    """Build ``{table}__next`` from ``select``, beside the live table, which nobody waits for.

    The rows go into a fresh table without indexes (the cheapest load); its constraints and
    indexes are then built in bulk under temporary names. Returns (rows, constraints, indexes)
    for ``_swap_all``. Reading the live table's definition takes only a share lock, which
    readers do not conflict with."""
    nxt = f"{table}__next"
    cursor.execute(f"DROP TABLE IF EXISTS {nxt}")
    cursor.execute(f"CREATE TABLE {nxt} (LIKE {table} INCLUDING DEFAULTS INCLUDING IDENTITY)")
    cursor.execute(f"INSERT INTO {nxt} ({columns}) {select}")
    rows = cursor.rowcount
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype IN ('p', 'u', 'c')",
        [table],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = %s "
        "AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
        [table, table],
    )
    indexes = cursor.fetchall()
    for name, definition in constraints:
        cursor.execute(f'ALTER TABLE {nxt} ADD CONSTRAINT "{name}__next" {definition}')
    for name, definition in indexes:
        head, _, tail = definition.partition(" ON ")
        cursor.execute(f'{head.replace(name, name + "__next", 1)} ON {tail.replace(table, nxt, 1)}')
    cursor.execute(f"ANALYZE {nxt}")
    return rows, constraints, indexes


def _swap_all(cursor, built: dict[str, tuple[list, list]]) -> None:
    """Put every ``__next`` table in its live table's place, all in one short step at the end of
    the run: the only moment readers wait (the ACCESS EXCLUSIVE lock a DROP takes, from here to
    the commit a few statements later), and they then see every new table at once.

    Why not generations keyed by run with a pointer to flip: readers would have to find the
    current generation on every query (a join or a second query on every public page, and in
    the API's querysets), and old generations would need a sweeper. A rename keeps the tables'
    names, so every reader stays a plain query on a plain model."""
    for table, (constraints, indexes) in built.items():
        cursor.execute(f"DROP TABLE {table}")
        cursor.execute(f"ALTER TABLE {table}__next RENAME TO {table}")
        for name, _definition in constraints:
            cursor.execute(f'ALTER TABLE {table} RENAME CONSTRAINT "{name}__next" TO "{name}"')
        for name, _definition in indexes:
            cursor.execute(f'ALTER INDEX "{name}__next" RENAME TO "{name}"')
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        sequence = cursor.fetchone()[0]
        if sequence and sequence.split(".")[-1].strip('"') != f"{table}_id_seq":
            cursor.execute(f'ALTER SEQUENCE {sequence} RENAME TO "{table}_id_seq"')


def _claim(run: RollupRun) -> bool:
    """queued → running in one UPDATE, so a message delivered twice runs the run once."""
    now = timezone.now()
    claimed = RollupRun.objects.filter(pk=run.pk, status=RollupRun.Status.QUEUED).update(
        status=RollupRun.Status.RUNNING, started_at=now, heartbeat_at=now, owner=owner_label(),
        backend_pid=backend_pid(), error="",
    )
    run.refresh_from_db()
    return bool(claimed)


def rollup_run(
    *, run: RollupRun | None = None, trigger: str = "command", mode: str | None = None,
    on_step: Callable[[str], None] | None = None,
) -> RollupRun:
    """Compute the rollup. Returns the run, marked success, skipped or failed.

    - **full** (the default; nightly): takes the change log, applies it to the kept state,
      rebuilds every table from the raw rows, counts where the kept state differed
      (``mismatches``: 0 when every change was logged), and swaps everything in at the end;
    - **incremental** ("refresh now"): applies the change log to the kept cells and application
      counts, then rebuilds the budget buckets and months from the cells. A change the log cannot
      express makes it a full run.

    One REPEATABLE READ transaction (when not nested), so the log it takes and the rows it
    reads are the same snapshot. A run that another worker already claimed (or that ended) is
    returned untouched. ``on_step(name)`` is called before each step inside the transaction
    ("changes", "realized", "cells", "buckets", "monthly", "applications", "swap", "commit"); an
    exception it raises aborts the run like any other failure. Cost: BENCHMARKS.md.
    """
    if run is None:
        run = RollupRun.objects.create(trigger=trigger, mode=mode or RollupRun.Mode.FULL)
    if not _claim(run):
        return run

    def step(name):
        if on_step:
            on_step(name)

    try:
        isolate = not connection.in_atomic_block
        with transaction.atomic(), connection.cursor() as cursor:
            if isolate:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", RUN_LOCK)
            if not cursor.fetchone()[0]:
                RollupRun.objects.filter(pk=run.pk).update(
                    status=RollupRun.Status.SKIPPED, finished_at=timezone.now()
                )
                run.refresh_from_db()
                return run
            step("changes")
            cursor.execute(TAKE_CHANGES)
            cursor.execute("SELECT COUNT(*), COUNT(*) FILTER (WHERE kind = 'full') FROM rollup_changes")
            changes, needs_full = cursor.fetchone()
            for sql in APPLY_CHANGES:
                cursor.execute(sql)
            full = run.mode == RollupRun.Mode.FULL or needs_full
            if full:
                step("realized")
                cursor.execute(SCAN_REALIZED)
            counts, built = {}, {}
            for label, table, columns, select in (TABLES if full else DERIVED):
                step(label)
                counts[label], *built[table] = _build_next(cursor, table, columns, select)
            # A change the log marked "full" was never applied to the kept state: nothing to check.
            mismatches = _mismatches(cursor) if full and not needs_full else None
            if not full:
                cursor.execute("SELECT COUNT(*) FROM programs_realizationmonthly")
                counts["monthly"] = cursor.fetchone()[0]
            cursor.execute("SELECT COALESCE(SUM(n), 0) FROM reports_realizedcell" + ("__next" if full else ""))
            realization_rows = cursor.fetchone()[0]
            step("swap")
            _swap_all(cursor, built)
            step("commit")
    except Exception as exc:
        log.exception("rollup %s failed", run.pk)
        RollupRun.objects.filter(pk=run.pk).update(
            status=RollupRun.Status.FAILED, finished_at=timezone.now(), error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        run.refresh_from_db()
        _notify_failure(run)
        raise
    if mismatches:
        log.warning("rollup %s: the incremental state differed from the full rollup in %s rows", run.pk, mismatches)
    RollupRun.objects.filter(pk=run.pk).update(
        status=RollupRun.Status.SUCCESS,
        finished_at=timezone.now(),
        bucket_rows=counts["buckets"],
        monthly_rows=counts["monthly"],
        realization_rows=realization_rows,
        mode=RollupRun.Mode.FULL if full else RollupRun.Mode.INCREMENTAL,
        changes=changes,
        mismatches=mismatches,
    )
    run.refresh_from_db()
    # Public pages key their cache on this value, so a new rollup is a new cache generation.
    cache.set(AS_OF_CACHE_KEY, run.started_at, None)
    forget_as_of()
    return run


def _mismatches(cursor) -> int:
    """Rows of the kept state (cells, application counts, with the log just applied) that differ
    from the full recomputation in ``__next``, counted both ways (one wrong cell is 2: as kept and
    as recomputed). 0 means the incremental runs were exact."""
    total = 0
    for table, columns in KEPT.items():
        live, full = f"SELECT {columns} FROM {table}", f"SELECT {columns} FROM {table}__next"
        cursor.execute(f"SELECT (SELECT COUNT(*) FROM ({live} EXCEPT {full}) a)"
                       f" + (SELECT COUNT(*) FROM ({full} EXCEPT {live}) b)")
        total += cursor.fetchone()[0]
    return total


def _notify_failure(run: RollupRun) -> None:
    """Whoever pressed "refresh now", or every national admin for the nightly run. A live run's
    failure notifies nobody: the next change queues another, the status page shows it, and the
    nightly run's failure is the one that reaches the admins."""
    if run.trigger == LIVE_TRIGGER:
        return
    users = [run.requested_by] if run.requested_by_id else list(
        User.objects.filter(is_active=True, role=User.Role.NATIONAL_ADMIN))
    notify(users=users, kind=Notification.Kind.ROLLUP_FAILED,
           message=gettext_noop("Rekap anggaran gagal (%(trigger)s): angka publik masih dari rekap sebelumnya."),
           params={"trigger": run.trigger}, url=reverse("reports:rollup-status"))


# Reasons the reaper writes; translated where they are shown (the status page).
WORKER_LOST = gettext_noop("Worker berhenti di tengah rekap; rekap diantrekan ulang.")
# The task, by name: reports.tasks imports this module, not the other way round.
RUN_TASK = "reports.tasks.run_rollup"
NEVER_PICKED_UP = gettext_noop("Tidak ada worker yang menjalankan rekap ini; periksa worker Celery, lalu hitung ulang.")


def rollup_reap(now: dt.datetime | None = None) -> dict:
    """Recover runs nobody is working on, with ``core.jobs.reap``. Safe to run anywhere, any time
    (~4 queries + 1 per run).

    - running, last seen over ``JOB_GRACE_SECONDS`` ago, and its backend holds no rollup lock:
      the worker died. Back to queued (or failed after ``JOB_MAX_ATTEMPTS``), then
    - queued with no message sent (Redis was down) or sent over ``JOB_RESEND_SECONDS`` ago
      and never claimed (Redis restarted without the message): sent again, then failed.
    """
    now = now or timezone.now()
    died = reap(RollupRun.objects.filter(status=RollupRun.Status.RUNNING), ROLLUP_LOCK_CLASS, now=now,
                since="started_at", worked_on=_computing, send=_requeue, fail=lambda run: _fail(run, WORKER_LOST))
    lost = reap(RollupRun.objects.filter(status=RollupRun.Status.QUEUED), ROLLUP_LOCK_CLASS, now=now,
                since="queued_at", worked_on=_computing, send=_send, fail=lambda run: _fail(run, NEVER_PICKED_UP))
    return {"requeued": died["resent"], "resent": lost["resent"], "failed": died["failed"] + lost["failed"]}


def _computing(run: RollupRun, holders: dict[int, int]) -> bool:
    """Whether ``run``'s own backend holds the run lock (one lock serves every run)."""
    return run.backend_pid is not None and holders.get(RUN_LOCK[1]) == run.backend_pid


def _requeue(run: RollupRun) -> bool:
    return bool(RollupRun.objects.filter(pk=run.pk, status=RollupRun.Status.RUNNING).update(
        status=RollupRun.Status.QUEUED, dispatched_at=None, error=WORKER_LOST, backend_pid=None,
    ))


def _fail(run: RollupRun, reason: str) -> None:
    RollupRun.objects.filter(pk=run.pk, status__in=[RollupRun.Status.QUEUED, RollupRun.Status.RUNNING]).update(
        status=RollupRun.Status.FAILED, finished_at=timezone.now(), error=reason,
    )


def _send(run: RollupRun) -> bool:
    return resend(RUN_TASK, RollupRun, run.pk, run_id=run.pk, trigger=run.trigger)


def last_success() -> RollupRun | None:
    return RollupRun.objects.filter(status=RollupRun.Status.SUCCESS).order_by("-finished_at").first()


# Every public request reads the as-of stamp (its cache generation): each process keeps it this
# long, saving a Redis round trip per request; another process's new rollup shows within it.
AS_OF_MEMO_SECONDS = 1.0
_as_of_memo: dict = {"at": -AS_OF_MEMO_SECONDS, "value": None}


def rollup_as_of():
    """When the figures on screen were computed (start of the last successful run); cached in
    Redis, and for ``AS_OF_MEMO_SECONDS`` in the process."""
    now = time.monotonic()
    if now - _as_of_memo["at"] < AS_OF_MEMO_SECONDS and _as_of_memo["value"] is not None:
        return _as_of_memo["value"]
    as_of = _rollup_as_of()
    _as_of_memo.update(at=now, value=as_of)
    return as_of


def forget_as_of() -> None:
    _as_of_memo.update(at=-AS_OF_MEMO_SECONDS, value=None)


def _rollup_as_of():
    as_of = cache.get(AS_OF_CACHE_KEY)
    if as_of is None:
        run = last_success()
        as_of = run.started_at if run else None
        if as_of:
            cache.set(AS_OF_CACHE_KEY, as_of, None)
    return as_of


def rollup_is_stale(now: dt.datetime | None = None) -> bool:
    run = last_success()
    return run is None or (now or timezone.now()) - run.started_at > STALE_AFTER


def rollup_in_progress() -> RollupRun | None:
    return RollupRun.objects.filter(status__in=[RollupRun.Status.QUEUED, RollupRun.Status.RUNNING]).first()


def request_rollup(*, user, trigger: str = "manual") -> tuple[RollupRun, bool]:
    """Queue one incremental run ("refresh now"); returns (run, queued). One at a time: while a
    run is queued or running, that run is returned instead of a new one."""
    rollup_reap()  # a run whose worker died does not block the button
    with transaction.atomic():
        # Serialise concurrent presses of the button.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", REQUEST_LOCK)
        current = rollup_in_progress()
        if current is not None:
            return current, False
        run = RollupRun.objects.create(trigger=trigger, requested_by=user, mode=RollupRun.Mode.INCREMENTAL)
        dispatch(RUN_TASK, RollupRun, run.pk, run_id=run.pk, trigger=trigger)
    return run, True


# Live figures (issue 24): the trigger of the runs the change log queues by itself.
LIVE_TRIGGER = "live"


def queue_if_changed() -> RollupRun | None:
    """Bring the figures up to the last committed change, nobody pressing anything: when the
    change log — written by database triggers in the same transaction as every change that moves
    a figure, whatever wrote it (a form, an import, the API, the admin) — holds anything and no
    run is queued or running, queue one incremental run. Beat asks every ``LIVE_ROLLUP_SECONDS``,
    so a burst of writes costs one run per tick at most, and a change committed during a run is
    taken by the next. Returns the run queued, or None (nothing changed, or one is on its way).
    Two queries when idle."""
    if not RollupChange.objects.exists() or rollup_in_progress() is not None:
        return None
    run, queued = request_rollup(user=None, trigger=LIVE_TRIGGER)
    return run if queued else None

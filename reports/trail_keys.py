"""The realization trail at national scale: statements whose plan does not depend on the
planner's estimates.

Ten million realizations, newest first, filtered by a year, a province, an OPD, a program, a
ceiling or a regency. No single index serves every combination, and the obvious plan — walk the
``(date, id)`` index backwards until 25 rows match — is a trap when the matches are not spread
evenly: every 2021 row sorts before the first 2020 one, so ``?provinsi=36&tahun=2020`` walked five
million rows (30 s, issue 28). Every scope filter but the regency is a property of the
*allocation*, and a scope holds at most a few thousand allocations. So a page is found in two
steps that the statement's shape fixes (``LATERAL … LIMIT`` can only run as a nested loop):

1. the allocations in scope (small tables);
2. for each, its newest ``n + 1`` realizations after the cursor, from the index
   ``(allocation_id, date, id)``; the newest ``n + 1`` of those are the page.

A regency's figure counts a handover where the group is and anything else where its allocation
was made (``trail._reached``, as the rollup does): its page is the union of the regency's own
allocations' realizations that are no handover (step 2, with an anti-join per row) and the
handovers to groups in the regency (a few thousand at most, found from the groups' side).

Counts are capped like every long list (``core.pagination.COUNT_CAP``) and found the same way;
the total of a scope without a regency is the allocations' running totals (``realized_total``),
never a SUM over millions of rows.
"""

from __future__ import annotations

from django.db import connection

from core.pagination import COUNT_CAP
from programs.models import Agency, Allocation, BudgetCeiling, Program, Realization
from recipients.models import Application, RecipientGroup, VerificationStep
from reports.models import ApplicationRollup

R = Realization._meta.db_table
A = Allocation._meta.db_table
C = BudgetCeiling._meta.db_table
P = Program._meta.db_table
S = VerificationStep._meta.db_table
AP = Application._meta.db_table
G = RecipientGroup._meta.db_table
AG = Agency._meta.db_table
AR = ApplicationRollup._meta.db_table


def is_needed(scope) -> bool:
    """Whether the scope filters at all (unfiltered, the ``(date, id)`` index serves every page)."""
    return any((scope.year, scope.province, scope.regency, scope.agency, scope.program, scope.ceiling))


def _allocations(scope, *, with_regency: bool) -> tuple[str, list]:
    """The ids of the allocations in scope, public programs only."""
    where, params = ["p.status <> %s"], [Program.Status.DRAFT]
    for condition, value in (("c.fiscal_year = %s", scope.year),
                             ("c.province_id = %s", scope.province and scope.province.pk),
                             ("p.agency_id = %s", scope.agency and scope.agency.pk),
                             ("a.program_id = %s", scope.program and scope.program.pk),
                             ("a.ceiling_id = %s", scope.ceiling and scope.ceiling.pk),
                             ("a.regency_id = %s", with_regency and scope.regency and scope.regency.pk)):
        if value:
            where.append(condition)
            params.append(value)
    return (f"SELECT a.id FROM {A} a JOIN {C} c ON c.id = a.ceiling_id JOIN {P} p ON p.id = a.program_id "
            f"WHERE {' AND '.join(where)}", params)


# A realization that is a handover, or the reversal of one: counted where the group is.
_NOT_HANDOVER = (f"NOT EXISTS (SELECT 1 FROM {S} s WHERE s.realization_id = r.id) AND "
                 f"(r.reverses_id IS NULL OR NOT EXISTS (SELECT 1 FROM {S} s WHERE s.realization_id = r.reverses_id))")


def _cursor(cursor, backward: bool, alias: str = "r", column: str = "date") -> tuple[str, list]:
    """The condition "after ``cursor`` = (value, id)" on ``alias.column, alias.id``."""
    if cursor is None:
        return "", []
    value, pk = cursor
    op = ">" if backward else "<"
    key = f"{alias}.{column}"
    # ``key <= x`` is an index condition on its own; the row comparison settles ties.
    return f" AND {key} {op}= %s AND ({key} {op} %s OR {alias}.id {op} %s)", [value, value, pk]


def _handovers_in(scope) -> tuple[str, list]:
    """The ids of the handover realizations (and their reversals) to groups in the scope's regency."""
    handovers = (f"SELECT s.realization_id AS id FROM {S} s JOIN {AP} ap ON ap.id = s.application_id "
                 f"JOIN {G} g ON g.id = ap.group_id WHERE g.regency_id = %s AND s.realization_id IS NOT NULL")
    return (f"SELECT h.id FROM ({handovers}) h UNION ALL "
            f"SELECT rv.id FROM ({handovers}) h CROSS JOIN LATERAL "
            f"(SELECT rv.id FROM {R} rv WHERE rv.reverses_id = h.id) rv", [scope.regency.pk, scope.regency.pk])


def _parts(scope, *, cursor=None, backward: bool = False, limit: int | None = None, amounts: bool = False
           ) -> tuple[str, list]:
    """The union (SQL, parameters) of the scope's realizations as (id, date[, amount]): after
    ``cursor`` in the page's direction, at most ``limit`` from each allocation when given.
    Without ``amounts`` each allocation's rows can be read from the index alone."""
    cursor_sql, cursor_params = _cursor(cursor, backward)
    columns = "r.id, r.date, r.amount" if amounts else "r.id, r.date"
    per_allocation, limit_params = (f" {_order(backward)} LIMIT %s", [limit]) if limit is not None else ("", [])
    allocations, a_params = _allocations(scope, with_regency=True)
    extra = f" AND {_NOT_HANDOVER}" if scope.regency is not None else ""
    sql = (f"(SELECT {columns} FROM ({allocations}) a CROSS JOIN LATERAL "
           f"(SELECT {columns} FROM {R} r WHERE r.allocation_id = a.id{cursor_sql}{extra}"
           f"{per_allocation}) r)")
    params = [*a_params, *cursor_params, *limit_params]
    if scope.regency is not None:
        anywhere, any_params = _allocations(scope, with_regency=False)
        reached, h_params = _handovers_in(scope)
        sql += (f" UNION ALL (SELECT {columns} FROM ({reached}) x JOIN {R} r ON r.id = x.id "
                f"WHERE r.allocation_id IN ({anywhere}){cursor_sql})")
        params += [*h_params, *any_params, *cursor_params]
    return sql, params


def _order(backward: bool, alias: str = "r", column: str = "date") -> str:
    direction = "ASC" if backward else "DESC"
    return f"ORDER BY {alias}.{column} {direction}, {alias}.id {direction}"


def keys(scope):
    """``keys(cursor, backward, limit)`` for ``core.pagination.seek_page`` over ``("-date", "-id")``."""

    def find(cursor, backward: bool, limit: int) -> list[int]:
        sql, params = _parts(scope, cursor=cursor, backward=backward, limit=limit)
        with connection.cursor() as db:
            db.execute(f"SELECT r.id FROM ({sql}) r {_order(backward)} LIMIT %s", [*params, limit])
            return [row[0] for row in db.fetchall()]

    return find


def count(scope):
    """``count()`` for ``seek_page``: (rows up to ``COUNT_CAP``, whether there are more)."""

    def counted() -> tuple[int, bool]:
        sql, params = _parts(scope, limit=COUNT_CAP + 1)
        with connection.cursor() as db:
            db.execute(f"SELECT COUNT(*) FROM (SELECT 1 FROM ({sql}) r LIMIT %s) n", [*params, COUNT_CAP + 1])
            n = db.fetchone()[0]
        return min(n, COUNT_CAP), n > COUNT_CAP

    return counted


def total(scope) -> int:
    """The scope's realized total, live. Without a regency: the allocations' running totals.
    With one: the sum over its allocations' realizations that are no handover (each allocation
    scanned through its index) and the handovers to its groups."""
    with connection.cursor() as db:
        if scope.regency is None:
            allocations, params = _allocations(scope, with_regency=False)
            db.execute(f"SELECT COALESCE(SUM(realized_total), 0) FROM {A} WHERE id IN ({allocations})", params)
        else:
            sql, params = _parts(scope, amounts=True)
            db.execute(f"SELECT COALESCE(SUM(r.amount), 0) FROM ({sql}) r", params)
        return db.fetchone()[0]


# --- The decisions trail (approvals and deliveries) -------------------------------------------------
#
# A few hundred thousand public steps, newest first, filtered by the program's year, OPD, program
# or ceiling and the group's province or regency. The same two steps as above, one range per
# *program* (each step carries its application's program: recipients/migrations/0014):
#
# - no regency: the programs in scope, then each one's newest public steps from the partial index
#   (program, created_at, id), the group's province checked per row. A province's programs are
#   those that may run there (their OPD's province, or an allocation in one of its ceilings: the
#   rule an application is proposed under, ``recipients.services.applications._check_proposal``),
#   so no program is walked in vain;
# - a regency: from the groups' side (its groups, their applications, their steps), a few
#   thousand rows at most.

# reports.publication.PUBLIC_STATES, spelled as the partial indexes' condition is (so they serve).
_PUBLIC_SQL = "s.to_state IN ('approved', 'delivered')"


def _programs(scope) -> tuple[str, list]:
    """The ids of the public programs in scope (year, OPD, program, ceiling, province)."""
    where, params = ["p.status <> %s"], [Program.Status.DRAFT]
    for condition, value in (("p.fiscal_year = %s", scope.year),
                             ("p.agency_id = %s", scope.agency and scope.agency.pk),
                             ("p.id = %s", scope.program and scope.program.pk)):
        if value:
            where.append(condition)
            params.append(value)
    if scope.ceiling is not None:
        where.append(f"EXISTS (SELECT 1 FROM {A} a WHERE a.program_id = p.id AND a.ceiling_id = %s)")
        params.append(scope.ceiling.pk)
    if scope.province is not None:
        where.append(f"(p.agency_id IN (SELECT id FROM {AG} WHERE province_id = %s) OR EXISTS "
                     f"(SELECT 1 FROM {A} a JOIN {C} c ON c.id = a.ceiling_id "
                     f"WHERE a.program_id = p.id AND c.province_id = %s))")
        params += [scope.province.pk, scope.province.pk]
    return f"SELECT p.id FROM {P} p WHERE {' AND '.join(where)}", params


def _decision_rows(scope, *, columns: str = "s.id, s.created_at", cursor=None, backward: bool = False,
                   limit: int | None = None, ordered: bool = True, delivered: bool = False) -> tuple[str, list]:
    """(SQL, parameters) of the public steps in scope as ``columns``: in the page's order after
    ``cursor`` (``ordered``; otherwise in any order, to count or sum), at most ``limit``;
    deliveries only when ``delivered``."""
    cursor_sql, cursor_params = _cursor(cursor, backward, alias="s", column="created_at")
    programs, p_params = _programs(scope)
    order = _order(backward, alias="s", column="created_at") if ordered else ""
    limit_sql, limit_params = (" LIMIT %s", [limit]) if limit is not None else ("", [])
    public = "s.to_state = 'delivered' AND " + _PUBLIC_SQL if delivered else _PUBLIC_SQL
    if scope.regency is not None:
        # The regency's applications first (a materialized CTE is computed once, before the
        # rest), then each one's public steps: never a walk of every step in time order.
        sql = (f"WITH ap AS MATERIALIZED (SELECT ap.id FROM {G} g JOIN {AP} ap ON ap.group_id = g.id "
               f"WHERE g.regency_id = %s AND ap.program_id IN ({programs})) "
               f"SELECT {columns} FROM ap CROSS JOIN LATERAL (SELECT s.* FROM {S} s "
               f"WHERE s.application_id = ap.id AND {public}{cursor_sql}) s {order}{limit_sql}")
        return sql, [scope.regency.pk, *p_params, *cursor_params, *limit_params]
    province_sql, province_params = "", []
    if scope.province is not None:
        province_sql = (f" AND EXISTS (SELECT 1 FROM {AP} ap JOIN {G} g ON g.id = ap.group_id "
                        f"WHERE ap.id = s.application_id AND g.province_id = %s)")
        province_params = [scope.province.pk]
    # OFFSET 0 keeps a sum's per-program subquery from being flattened into a scan of every step.
    fence = limit_sql or " OFFSET 0"
    sql = (f"SELECT {columns} FROM ({programs}) p CROSS JOIN LATERAL "
           f"(SELECT s.* FROM {S} s WHERE s.program_id = p.id AND {public}{cursor_sql}"
           f"{province_sql} {order}{fence}) s {order}{limit_sql}")
    return sql, [*p_params, *cursor_params, *province_params, *limit_params, *limit_params]


def decision_keys(scope):
    """``keys(cursor, backward, limit)`` for ``seek_page`` over ``("-created_at", "-id")``."""

    def find(cursor, backward: bool, limit: int) -> list[int]:
        sql, params = _decision_rows(scope, cursor=cursor, backward=backward, limit=limit)
        with connection.cursor() as db:
            db.execute(sql, params)
            return [row[0] for row in db.fetchall()]

    return find


def decision_count(scope):
    """``count()`` for ``seek_page``: (public steps in scope up to ``COUNT_CAP``, whether more)."""

    def counted() -> tuple[int, bool]:
        sql, params = _decision_rows(scope, limit=COUNT_CAP + 1, ordered=False)
        with connection.cursor() as db:
            db.execute(f"SELECT COUNT(*) FROM ({sql}) n", params)
            n = db.fetchone()[0]
        return min(n, COUNT_CAP), n > COUNT_CAP

    return counted


def decision_totals(scope) -> dict:
    """The groups approved (IKM groups and KPM families) as the page's figure counts them — the
    rollup's applications in the approved and delivered states; a program's target unit says
    which (``_check_proposal`` keeps the two in step) — and the value handed over, live: the sum
    over the scope's deliveries, each program's through its own index range. Two queries."""
    where, params = ["ar.state IN ('approved', 'delivered')"], []
    programs, p_params = _programs(scope)
    where.append(f"ar.program_id IN ({programs})")
    params += p_params
    for condition, value in (("ar.province_id = %s", scope.province and scope.province.pk),
                             ("ar.regency_id = %s", scope.regency and scope.regency.pk)):
        if value:
            where.append(condition)
            params.append(value)
    delivered, d_params = _decision_rows(scope, columns="COALESCE(SUM(s.handover_amount), 0)", ordered=False,
                                         delivered=True)
    with connection.cursor() as db:
        db.execute(f"SELECT COALESCE(SUM(ar.groups) FILTER (WHERE p.target_unit <> %s), 0), "
                   f"COALESCE(SUM(ar.groups) FILTER (WHERE p.target_unit = %s), 0) "
                   f"FROM {AR} ar JOIN {P} p ON p.id = ar.program_id WHERE {' AND '.join(where)}",
                   [Program.Unit.FAMILIES, Program.Unit.FAMILIES, *params])
        ikm, kpm = db.fetchone()
        db.execute(delivered, d_params)
        return {"ikm": ikm, "kpm": kpm, "delivered": db.fetchone()[0]}

"""A deterministic synthetic national data set for benchmarks and load tests.

    python manage.py generate_national --groups 1000000 --realizations 10000000 --seed 1

38 provinces × 3 agencies × 2 years × 2 programs, one allocation per program and regency,
N groups (one application each, with its verification steps) and M realizations, loaded
with COPY. Totals on ceilings and allocations are set consistently afterwards, so every
invariant holds. History triggers are disabled for the load (synthetic rows are not audit
material). Refuses to run on a database holding non-synthetic data unless --force.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import random
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from core.models import Region
from programs.demo import DEMO_AGENCY_NAMES
from programs.models import Agency, BudgetCeiling, FundingSource, Program
from programs.signals import bulk_loaded

PREFIX = "[Sintetis] "
SYNTHETIC_SOURCES = [("sintetis-prov", f"{PREFIX}APBD provinsi", "province"),
                     ("sintetis-dekon", f"{PREFIX}APBN dekonsentrasi", "national")]
LOADED = ("programs_realization", "recipients_recipientgroup", "recipients_application")
SECTORS = ["masks", "garments", "metal", "food", "crafts", "health", "trade", "other"]
# State mix of applications and the steps each state implies.
STATES = [("proposed", 30), ("doc_checked", 20), ("field_checked", 15), ("approved", 15), ("delivered", 12),
          ("returned", 5), ("rejected", 3)]
PATH = {"proposed": [], "doc_checked": ["doc_checked"], "field_checked": ["doc_checked", "field_checked"],
        "approved": ["doc_checked", "field_checked", "approved"],
        "delivered": ["doc_checked", "field_checked", "approved", "delivered"],
        "returned": ["returned"], "rejected": ["doc_checked", "rejected"]}


class LineStream(io.RawIOBase):
    """A file-like object over a generator of text lines, for COPY … FROM STDIN.

    Lines are joined 10,000 at a time, so each byte is copied a constant number of times."""

    def __init__(self, lines):
        self._lines = lines
        self._chunk = memoryview(b"")

    def readable(self):
        return True

    def readinto(self, target):
        if not self._chunk:
            batch = list(itertools.islice(self._lines, 10_000))
            if not batch:
                return 0
            self._chunk = memoryview("".join(batch).encode())
        n = min(len(target), len(self._chunk))
        target[:n] = self._chunk[:n]
        self._chunk = self._chunk[n:]
        return n


def copy(cursor, table: str, columns: list[str], lines) -> None:
    stream = io.BufferedReader(LineStream(lines), buffer_size=1 << 20)
    cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", stream)


class Command(BaseCommand):
    help = "Membuat data sintetis nasional yang deterministik untuk benchmark (COPY)."

    def add_arguments(self, parser):
        parser.add_argument("--groups", type=int, default=10_000)
        parser.add_argument("--realizations", type=int, default=100_000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--force", action="store_true", help="also on a database with real data")

    def handle(self, *args, groups, realizations, seed, force, **options):
        if Region.objects.regencies().count() != 514:
            raise CommandError("Wilayah belum dimuat: jalankan load_regions dahulu.")
        real = Agency.objects.exclude(name__startswith=PREFIX).exclude(name__in=DEMO_AGENCY_NAMES)
        if not force and real.exists():
            raise CommandError("Basis data ini berisi data non-sintetis (selain data demo); gunakan --force bila "
                               "memang disengaja.")
        started = time.monotonic()
        rng = random.Random(seed)
        with transaction.atomic(), connection.cursor() as cursor:
            allocations = self._budgets(rng)
            self.stdout.write(f"anggaran: {len(allocations)} alokasi ({time.monotonic() - started:.1f} dtk)")
            raw = cursor.cursor  # psycopg2 cursor for COPY
            # Foreign keys are dropped for the load and added back after it: adding one checks the
            # whole table in one join, where a deferred key queues a check for every row copied.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred check may be pending on an altered table
            foreign_keys = self._drop_foreign_keys(cursor)
            for table in LOADED:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            self._realizations(raw, rng, allocations, realizations)
            self.stdout.write(f"realisasi: {realizations} ({time.monotonic() - started:.1f} dtk)")
            self._groups(raw, rng, allocations, groups, seed)
            self.stdout.write(f"kelompok: {groups} ({time.monotonic() - started:.1f} dtk)")
            for table in LOADED:
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
            for table, name, definition in foreign_keys:
                cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
            self.stdout.write(f"kunci asing diperiksa ({time.monotonic() - started:.1f} dtk)")
            self._totals(cursor)
            bulk_loaded.send(sender=self.__class__)  # the triggers were off: the rollup's log missed it
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        self.stdout.write(f"Selesai dalam {time.monotonic() - started:.1f} dtk.")

    def _drop_foreign_keys(self, cursor) -> list[tuple[str, str, str]]:
        """(table, name, definition) of every foreign key on the loaded tables, dropped."""
        cursor.execute("SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
                       "WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s)", [list(LOADED)])
        keys = cursor.fetchall()
        for table, name, _definition in keys:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        return keys

    def _budgets(self, rng) -> list[tuple[int, int, int, int]]:
        """(allocation id, program id, regency id, year) for every allocation. The synthetic
        ceilings use funding sources of their own, so they never share a bucket (or its
        headroom) with the demo data from the articles, whichever is loaded first."""
        sources = {
            code: FundingSource.objects.get_or_create(code=code, defaults={"name": name, "level": level})[0]
            for code, name, level in SYNTHETIC_SOURCES
        }
        kinds = [k for k, _ in Program.Kind.choices]
        allocations = []
        for province in Region.objects.provinces().order_by("code"):
            regencies = list(province.children.order_by("code"))
            agencies = [
                Agency.objects.create(name=f"{PREFIX}{label} {province.name}", short_name=f"{label} {province.code}",
                                      kind=kind, level=Agency.Level.PROVINCE, province=province, is_illustrative=True)
                for label, kind in (("Disperindag", "disperindag"), ("Dinsos", "dinsos"), ("Dinkop", "dinkop"))
            ]
            for year in (2020, 2021):
                ceilings = [
                    BudgetCeiling.objects.create(province=province, fiscal_year=year, funding_source=sources[code],
                                                 amount=0, is_illustrative=True, note=PREFIX.strip())
                    for code, _name, _level in SYNTHETIC_SOURCES
                ]
                for agency in agencies:
                    for n in range(2):
                        program = Program.objects.create(
                            agency=agency, fiscal_year=year, name=f"{PREFIX}Program {n + 1} {agency.short_name}",
                            kind=rng.choice(kinds), target_count=rng.randrange(10, 500), is_illustrative=True,
                            criteria=["Sangat terdampak Covid-19"],
                        )
                        ceiling = ceilings[n % 2]
                        rows = [(ceiling.pk, program.pk, r.pk) for r in regencies]
                        with connection.cursor() as cursor:
                            cursor.execute(
                                "INSERT INTO programs_allocation (ceiling_id, program_id, regency_id, amount, "
                                "realized_total, note, version, is_illustrative, created_at, updated_at) "
                                "SELECT c, p, r, 0, 0, '', 1, true, now(), now() "
                                "FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[]) AS t(c, p, r) RETURNING id",
                                [[x[0] for x in rows], [x[1] for x in rows], [x[2] for x in rows]],
                            )
                            ids = [row[0] for row in cursor.fetchall()]
                        allocations += [(i, program.pk, r.pk, year) for i, r in zip(ids, regencies, strict=True)]
        return allocations

    def _realizations(self, raw, rng, allocations, count: int) -> None:
        now = dt.datetime.now(dt.UTC).isoformat()

        def lines():
            for i in range(count):
                alloc_id, _, _, year = allocations[rng.randrange(len(allocations))]
                day = dt.date(year, 1 + rng.randrange(12), 1 + rng.randrange(28))
                yield f"{alloc_id}\t{day}\t{rng.randrange(100_000, 5_000_000)}\tRealisasi sintetis {i}\t{now}\n"

        copy(raw, "programs_realization", ["allocation_id", "date", "amount", "description", "created_at"], lines())

    def _groups(self, raw, rng, allocations, count: int, seed: int) -> None:
        now = dt.datetime.now(dt.UTC).isoformat()
        by_regency: dict[int, list[int]] = {}
        for _, program_id, regency_id, _ in allocations:
            by_regency.setdefault(regency_id, []).append(program_id)
        regency_ids = sorted(by_regency)
        # User triggers are off for the load, the group_province one too: the province is written here.
        province_of = dict(Region.objects.regencies().values_list("id", "parent_id"))
        weights = [s for _, s in STATES]
        plan = []  # (group number, regency, program, state)

        def group_lines():
            for i in range(count):
                regency_id = regency_ids[rng.randrange(len(regency_ids))]
                program_id = rng.choice(by_regency[regency_id])
                state = rng.choices(STATES, weights)[0][0]
                plan.append((regency_id, program_id, state))
                name = f"Kelompok sintetis {seed}-{i}"
                yield (f"{name}\t{name.lower()}\tikm\t{regency_id}\t{province_of[regency_id]}\t\t\t"
                       f"{rng.choice(SECTORS)}\tKetua {i}\t\t\t\t{rng.randrange(3, 30)}\t{now}\n")

        copy(raw, "recipients_recipientgroup",
             ["name", "normalized_name", "kind", "regency_id", "province_id", "kecamatan", "desa", "sector",
              "leader_name", "leader_nik", "contact_phone", "nib", "members_count", "created_at"], group_lines())
        raw.execute("SELECT id FROM recipients_recipientgroup WHERE name LIKE %s ORDER BY id",
                    [f"Kelompok sintetis {seed}-%"])
        group_ids = [row[0] for row in raw.fetchall()]

        def application_lines():
            for group_id, (_, program_id, state) in zip(group_ids, plan, strict=True):
                sk = f"SK-SINTETIS-{group_id}" if state in ("approved", "delivered") else ""
                yield f"{group_id}\t{program_id}\t{state}\t{sk}\tfalse\t1\t{now}\t{now}\n"

        copy(raw, "recipients_application",
             ["group_id", "program_id", "state", "sk_number", "has_duplicate", "version", "created_at", "updated_at"],
             application_lines())
        raw.execute("SELECT id, state FROM recipients_application WHERE group_id >= %s ORDER BY id", [group_ids[0]])
        applications = raw.fetchall()

        def step_lines():
            for app_id, state in applications:
                previous = "proposed"
                yield f"{app_id}\tproposed\tproposed\t{now}\t\t{{}}\t\t\t{{}}\n"
                for to in PATH[state]:
                    sk = f"SK-SINTETIS-{app_id}" if to == "approved" else ""
                    yield f"{app_id}\t{previous}\t{to}\t{now}\t\t{{}}\t{sk}\t\t{{}}\n"
                    previous = to

        copy(raw, "recipients_verificationstep",
             ["application_id", "from_state", "to_state", "created_at", "note", "answers", "sk_number",
              "handover_items", "missing_documents"], step_lines())

    def _totals(self, cursor) -> None:
        """Make every running total true and every amount cover it (the invariants hold).

        The loaded tables are analysed first; the sums are taken per allocation from the
        realizations alone and written back by primary-key lookups, a plan that does not depend
        on statistics. (The former UPDATE … FROM (allocations LEFT JOIN realizations GROUP BY)
        ran for over half an hour on a fresh test database with 3,000 realizations.)"""
        for table in LOADED:
            cursor.execute(f"ANALYZE {table}")
        cursor.execute("""
            CREATE TEMP TABLE generate_national_sums ON COMMIT DROP AS
            SELECT allocation_id AS id, SUM(amount) AS total FROM programs_realization GROUP BY allocation_id
        """)
        cursor.execute("ALTER TABLE generate_national_sums ADD PRIMARY KEY (id)")
        cursor.execute("ANALYZE generate_national_sums")
        cursor.execute("""
            UPDATE programs_allocation a
            SET amount = COALESCE((SELECT s.total FROM generate_national_sums s WHERE s.id = a.id), 0) + 50000000,
                realized_total = COALESCE((SELECT s.total FROM generate_national_sums s WHERE s.id = a.id), 0)
            WHERE a.is_illustrative AND a.amount = 0
        """)
        cursor.execute("ANALYZE programs_allocation")
        cursor.execute("""
            UPDATE programs_budgetceiling c SET amount = s.total + 1000000000, allocated_total = s.total
            FROM (SELECT ceiling_id, SUM(amount) AS total FROM programs_allocation GROUP BY ceiling_id) s
            WHERE s.ceiling_id = c.id AND c.note = %s
        """, [PREFIX.strip()])

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
LOADED = ("programs_realization", "recipients_recipientgroup", "recipients_application", "recipients_member")
SECTORS = ["masks", "garments", "metal", "food", "crafts", "health", "trade", "other"]
# State mix of applications and the steps each state implies.
STATES = [("proposed", 30), ("doc_checked", 20), ("field_checked", 15), ("approved", 15), ("delivered", 12),
          ("returned", 5), ("rejected", 3)]
PATH = {"proposed": [], "doc_checked": ["doc_checked"], "field_checked": ["doc_checked", "field_checked"],
        "approved": ["doc_checked", "field_checked", "approved"],
        "delivered": ["doc_checked", "field_checked", "approved", "delivered"],
        "returned": ["returned"], "rejected": ["doc_checked", "rejected"]}


def synthetic_nik(regency_code: str, i: int) -> str:
    """A structurally valid NIK for synthetic group ``i``: its regency, kecamatan 01, a birth
    date that exists, a serial; unique over the first 33 million groups."""
    serial, k = i % 9999 + 1, i // 9999
    day, month, year = 1 + k % 28, 1 + (k // 28) % 12, (60 + k // 336) % 100
    return f"{regency_code.replace('.', '')}01{day:02d}{month:02d}{year:02d}{serial:04d}"


# Each pattern of reports.flags planted n times into the synthetic rows, every planted record
# marked ("Anomali R01" in a name, a description, a note or an SK number) so that a benchmark can
# check that each one is found. Chosen deterministically (by id), each plant from its own slice of
# the applications so no two plants touch the same group. Runs before the totals are made true.
ANOMALIES = {
    # The first n approved groups of 2020 share their leader's NIK with the last n, as a member.
    "R01": """
        WITH a AS (SELECT x.group_id, x.program_id, row_number() OVER (ORDER BY x.id) AS rn
                   FROM recipients_application x JOIN programs_program p ON p.id = x.program_id
                   WHERE x.state = 'approved' AND p.fiscal_year = 2020 ORDER BY x.id LIMIT %(n)s),
             b AS (SELECT x.group_id, x.program_id, row_number() OVER (ORDER BY x.id DESC) AS rn
                   FROM recipients_application x JOIN programs_program p ON p.id = x.program_id
                   WHERE x.state = 'approved' AND p.fiscal_year = 2020 ORDER BY x.id DESC LIMIT %(n)s)
        INSERT INTO recipients_member (group_id, name, nik, role)
        SELECT b.group_id, 'Anomali R01', g.leader_nik, 'member'
        FROM a JOIN b USING (rn) JOIN recipients_recipientgroup g ON g.id = a.group_id
        WHERE a.program_id <> b.program_id""",
    # A leader's NIK with day 32: no such birth date.
    "R02": """
        UPDATE recipients_member m SET nik = substr(m.nik, 1, 6) || '32' || substr(m.nik, 9), name = 'Anomali R02'
        WHERE m.id IN (SELECT m2.id FROM recipients_member m2 JOIN recipients_application x ON x.group_id = m2.group_id
                       WHERE x.state = 'proposed' ORDER BY x.id LIMIT %(n)s)""",
    # A leader's NIK from a Kalimantan Selatan regency in a group of another province.
    "R03": """
        UPDATE recipients_member m SET nik = '6306' || substr(m.nik, 5), name = 'Anomali R03'
        WHERE m.id IN (SELECT m2.id FROM recipients_member m2 JOIN recipients_application x ON x.group_id = m2.group_id
                       JOIN recipients_recipientgroup g ON g.id = m2.group_id
                       JOIN core_region r ON r.id = g.province_id
                       WHERE x.state = 'proposed' AND r.code <> '63' ORDER BY x.id OFFSET %(n)s LIMIT %(n)s)""",
    # A handover dated five days before its decree.
    "R04": """
        UPDATE recipients_verificationstep d SET handover_date = make_date(p.fiscal_year, 6, 10), note = 'Anomali R04'
        FROM recipients_application x JOIN programs_program p ON p.id = x.program_id
        WHERE d.application_id = x.id AND d.to_state = 'delivered'
          AND x.id IN (SELECT id FROM recipients_application WHERE state = 'delivered' ORDER BY id LIMIT %(n)s)""",
    # A realization dated in January of the next year.
    "R05": """
        UPDATE programs_realization SET date = make_date(extract(year FROM date)::int + 1, 1, 5),
                                        description = 'Anomali R05'
        WHERE id IN (SELECT id FROM programs_realization ORDER BY id LIMIT %(n)s)""",
    # Approved an hour after the proposal.
    "R06": """
        UPDATE recipients_application a SET created_at = s.created_at - interval '1 hour',
                                            sk_number = 'ANOMALI-R06-' || a.id
        FROM recipients_verificationstep s
        WHERE s.application_id = a.id AND s.to_state = 'approved'
          AND a.id IN (SELECT id FROM recipients_application WHERE state = 'approved' ORDER BY id
                       OFFSET 2 * %(n)s LIMIT %(n)s)""",
    # Proposed and every step made by one account.
    "R07": """
        WITH chosen AS (SELECT id FROM recipients_application WHERE state = 'approved' ORDER BY id
                        OFFSET 3 * %(n)s LIMIT %(n)s),
             steps AS (UPDATE recipients_verificationstep SET actor_id = %(user)s
                       WHERE application_id IN (SELECT id FROM chosen))
        UPDATE recipients_application SET created_by_id = %(user)s, sk_number = 'ANOMALI-R07-' || id
        WHERE id IN (SELECT id FROM chosen)""",
    # A group under another name with another group's phone.
    "R08": """
        WITH c AS (SELECT id, contact_phone, row_number() OVER (ORDER BY app) AS rn FROM (
                       SELECT g.id, g.contact_phone, x.id AS app
                       FROM recipients_application x JOIN recipients_recipientgroup g ON g.id = x.group_id
                       WHERE x.state = 'proposed' ORDER BY x.id OFFSET 2 * %(n)s LIMIT %(n)s) s),
             d AS (SELECT id, row_number() OVER (ORDER BY app) AS rn FROM (
                       SELECT g.id, x.id AS app
                       FROM recipients_application x JOIN recipients_recipientgroup g ON g.id = x.group_id
                       WHERE x.state = 'proposed' ORDER BY x.id OFFSET 3 * %(n)s LIMIT %(n)s) s)
        UPDATE recipients_recipientgroup g SET contact_phone = c.contact_phone,
               name = 'Kelompok anomali R08-' || g.id, normalized_name = 'kelompok anomali r08-' || g.id
        FROM c JOIN d USING (rn) WHERE g.id = d.id""",
    # December twice the rest of an OPD's year, in the first n provinces.
    "R09": """
        WITH target AS (
            SELECT DISTINCT ON (c.province_id) c.province_id, p.agency_id, al.id AS allocation_id
            FROM programs_allocation al JOIN programs_budgetceiling c ON c.id = al.ceiling_id
            JOIN programs_program p ON p.id = al.program_id
            WHERE c.fiscal_year = 2020 AND p.name LIKE '[Sintetis]%%'
              AND c.province_id IN (SELECT id FROM core_region WHERE level = 1 ORDER BY code LIMIT %(n)s)
            ORDER BY c.province_id, al.id),
        totals AS (
            SELECT t.allocation_id, sum(r.amount) AS total FROM target t
            JOIN programs_allocation al ON al.program_id IN (SELECT id FROM programs_program
                                                              WHERE agency_id = t.agency_id AND fiscal_year = 2020)
            JOIN programs_budgetceiling c ON c.id = al.ceiling_id AND c.province_id = t.province_id
            JOIN programs_realization r ON r.allocation_id = al.id
            GROUP BY t.allocation_id)
        INSERT INTO programs_realization (allocation_id, date, amount, description, document_number, created_at)
        SELECT allocation_id, '2020-12-15', 2 * total, 'Anomali R09', '', now() FROM totals""",
    # One delivered group of a program receives Rp50 juta where the others receive Rp1-10 juta.
    "R10": """
        UPDATE recipients_verificationstep d SET handover_amount = 50000000, note = 'Anomali R10'
        WHERE d.id IN (
            SELECT DISTINCT ON (x.program_id) s.id FROM recipients_verificationstep s
            JOIN recipients_application x ON x.id = s.application_id
            WHERE s.to_state = 'delivered' AND x.program_id IN (
                SELECT program_id FROM recipients_application WHERE state = 'delivered'
                GROUP BY program_id HAVING count(*) >= 6 ORDER BY program_id LIMIT %(n)s)
            ORDER BY x.program_id, s.id DESC)""",
    # A group approved in 2020 approved again by the 2021 program of the same name and OPD.
    "R11": """
        INSERT INTO recipients_application (group_id, program_id, state, sk_number, has_duplicate, version,
                                            created_at, updated_at)
        SELECT x.group_id, p21.id, 'approved', 'ANOMALI-R11-' || x.id, false, 1, now(), now()
        FROM recipients_application x JOIN programs_program p20 ON p20.id = x.program_id
        JOIN programs_program p21 ON p21.agency_id = p20.agency_id AND p21.name = p20.name
                                  AND p21.fiscal_year = p20.fiscal_year + 1
        WHERE x.id IN (SELECT a.id FROM recipients_application a JOIN programs_program p ON p.id = a.program_id
                       WHERE a.state = 'approved' AND p.fiscal_year = 2020 ORDER BY a.id
                       OFFSET 4 * %(n)s LIMIT %(n)s)""",
    # A goods allocation whose handovers all predate its first realization: money without goods.
    "R12": """
        WITH chosen AS (
            SELECT al.id, al.program_id, al.regency_id, (SELECT min(date) FROM programs_realization r
                                                         WHERE r.allocation_id = al.id) AS first_date
            FROM programs_allocation al JOIN programs_program p ON p.id = al.program_id
            WHERE p.kind IN ('equipment', 'capital') AND p.name LIKE '[Sintetis]%%'
              AND EXISTS (SELECT 1 FROM programs_realization r WHERE r.allocation_id = al.id)
            ORDER BY al.id LIMIT %(n)s),
        marked AS (UPDATE programs_allocation SET note = 'Anomali R12' WHERE id IN (SELECT id FROM chosen))
        UPDATE recipients_verificationstep d SET handover_date = chosen.first_date - 1
        FROM chosen, recipients_application x, recipients_recipientgroup g
        WHERE d.application_id = x.id AND x.group_id = g.id AND d.to_state = 'delivered'
          AND x.program_id = chosen.program_id AND g.regency_id = chosen.regency_id""",
}


def plant_anomalies(cursor, n: int) -> dict[str, int]:
    """Plant every pattern of ``ANOMALIES`` n times; {code: rows written}."""
    cursor.execute("""
        INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name, email, is_staff,
                                   is_active, date_joined, role, district_office, notification_email, nip, position,
                                   signing_place)
        VALUES ('!', false, 'anomali-sintetis', '', '', '', false, false, now(), '', '', 'none', '', '', '')
        ON CONFLICT DO NOTHING""")
    cursor.execute("SELECT id FROM accounts_user WHERE username = 'anomali-sintetis'")
    user = cursor.fetchone()[0]
    planted = {}
    for code, sql in ANOMALIES.items():
        cursor.execute(sql, {"n": n, "user": user})
        planted[code] = cursor.rowcount
    return planted


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
        parser.add_argument("--anomalies", type=int, default=0, metavar="N",
                            help="plant N cases of each red-flag pattern (reports.flags), marked 'Anomali R..'")

    def handle(self, *args, groups, realizations, seed, force, anomalies=0, **options):
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
            if anomalies:
                planted = plant_anomalies(cursor, anomalies)
                self.stdout.write(f"anomali ditanam: {planted} ({time.monotonic() - started:.1f} dtk)")
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
        code_of = dict(Region.objects.regencies().values_list("id", "code"))
        weights = [s for _, s in STATES]
        plan = []  # (group number, regency, program, state)

        def group_lines():
            for i in range(count):
                regency_id = regency_ids[rng.randrange(len(regency_ids))]
                program_id = rng.choice(by_regency[regency_id])
                state = rng.choices(STATES, weights)[0][0]
                plan.append((regency_id, program_id, state))
                name = f"Kelompok sintetis {seed}-{i}"
                # A leader NIK of the region, a real birth date and a serial, unique per group; a
                # phone of its own: clean data on which the red flags should find nothing.
                yield (f"{name}\t{name.lower()}\tikm\t{regency_id}\t{province_of[regency_id]}\t\t\t"
                       f"{rng.choice(SECTORS)}\tKetua {i}\t{synthetic_nik(code_of[regency_id], i)}\t0813{i:08d}\t\t"
                       f"{rng.randrange(3, 30)}\t{now}\n")

        copy(raw, "recipients_recipientgroup",
             ["name", "normalized_name", "kind", "regency_id", "province_id", "kecamatan", "desa", "sector",
              "leader_name", "leader_nik", "contact_phone", "nib", "members_count", "created_at"], group_lines())
        raw.execute("SELECT id FROM recipients_recipientgroup WHERE name LIKE %s ORDER BY id",
                    [f"Kelompok sintetis {seed}-%"])
        group_ids = [row[0] for row in raw.fetchall()]
        copy(raw, "recipients_member", ["group_id", "name", "nik", "role"],
             (f"{group_id}\tKetua {i}\t{synthetic_nik(code_of[regency_id], i)}\tleader\n"
              for i, (group_id, (regency_id, _, _)) in enumerate(zip(group_ids, plan, strict=True))))
        proposed = (dt.datetime.now(dt.UTC) - dt.timedelta(days=30)).isoformat()  # a month before any step

        def application_lines():
            for group_id, (_, program_id, state) in zip(group_ids, plan, strict=True):
                sk = f"SK-SINTETIS-{group_id}" if state in ("approved", "delivered") else ""
                yield f"{group_id}\t{program_id}\t{state}\t{sk}\tfalse\t1\t{proposed}\t{now}\n"

        copy(raw, "recipients_application",
             ["group_id", "program_id", "state", "sk_number", "has_duplicate", "version", "created_at", "updated_at"],
             application_lines())
        raw.execute("SELECT id, state, program_id FROM recipients_application WHERE group_id >= %s ORDER BY id",
                    [group_ids[0]])
        applications = raw.fetchall()
        year_of = {program_id: year for _, program_id, _, year in allocations}

        def step_lines():
            for app_id, state, program_id in applications:
                previous, year = "proposed", year_of[program_id]
                yield f"{app_id}\tproposed\tproposed\t{now}\t\t{{}}\t\t\t{{}}\t\\N\t\\N\t\\N\n"
                for to in PATH[state]:
                    sk = f"SK-SINTETIS-{app_id}" if to == "approved" else ""
                    # The decree in June; a delivery after it, in the second half of its year.
                    sk_date = f"{year}-06-15" if to == "approved" else "\\N"
                    handover = (f"{dt.date(year, 7, 1) + dt.timedelta(days=rng.randrange(180))}\t"
                                f"{rng.randrange(1_000_000, 10_000_000)}" if to == "delivered" else "\\N\t\\N")
                    items = "Paket bantuan sintetis" if to == "delivered" else ""
                    yield f"{app_id}\t{previous}\t{to}\t{now}\t\t{{}}\t{sk}\t{items}\t{{}}\t{sk_date}\t{handover}\n"
                    previous = to

        copy(raw, "recipients_verificationstep",
             ["application_id", "from_state", "to_state", "created_at", "note", "answers", "sk_number",
              "handover_items", "missing_documents", "sk_date", "handover_date", "handover_amount"], step_lines())

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

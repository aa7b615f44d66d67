"""Red flags: the patterns audits of Covid-19 aid found, as coded indicators over the whole
country, each a set-based statement (``Indicator.sql``) that returns one row per case.

``compute`` runs every indicator in one transaction: a row whose (indicator, key) is new raises
a case (``reports.models.Flag``), a known one is refreshed, a closed one found again is reopened,
and an open case whose pattern is gone is closed with that reason — never silently. Decided
cases (explained, referred, dismissed) are left as the auditor decided them.

Every row names its records by id (``evidence``) and never carries a name or a NIK: a NIK is a
key only as its md5, and shown in full only on a case's page to an auditor (``reports.cases``).
Thresholds are settings (``FLAG_*``), shown beside each flag and on ``/definisi/``.

Each statement returns: key, province_id, provinces, agencies, fiscal_year, information,
evidence (jsonb), measure (jsonb).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext_lazy as _

from core.money import rupiah

log = logging.getLogger(__name__)

# --- What several indicators read, made once per computation (temporary tables) -------------------
#
# Each is one pass over its table (or over an index, in order); the indicators then read these
# small tables instead of scanning again. Where a million rows would be hashed, the values that
# matter (a NIK in two groups, a NIK that cannot be real) are found first and the rest of the work
# touches only them.

# The OPDs a group has applied to (any application not rejected): who answers a case about it.
# ``{groups}`` is an array of group ids; read only for the few groups a case names.
AGENCIES_OF = """(SELECT array_agg(DISTINCT ap.agency_id) FROM (
    SELECT p.agency_id FROM recipients_application a JOIN programs_program p ON p.id = a.program_id
    WHERE a.group_id = ANY({groups}) AND a.state <> 'rejected') ap)"""
PROPOSED = ("EXISTS (SELECT 1 FROM recipients_application a WHERE a.group_id = {group} "
            "AND a.state <> 'rejected')")


def _birth_ok(nik: str) -> str:
    """SQL: the NIK's birth date (DDMMYY at 7–12, day + 40 for women) is a day of the calendar;
    null unless it is 16 digits."""
    part = "substr({nik}, {at}, 2)::int".format
    dd, mm, yy = part(nik=nik, at=7), part(nik=nik, at=9), part(nik=nik, at=11)
    return (f"CASE WHEN {nik} ~ '^[0-9]{{16}}$' THEN {mm} BETWEEN 1 AND 12 "
            f"AND (CASE WHEN {dd} > 40 THEN {dd} - 40 ELSE {dd} END) BETWEEN 1 AND "
            f"CASE WHEN {mm} = 2 THEN CASE WHEN mod({yy}, 4) = 0 THEN 29 ELSE 28 END "
            f"WHEN {mm} IN (4, 6, 9, 11) THEN 30 ELSE 31 END END")


# A NIK worth a second look: another length than 16, a prefix that is no kabupaten/kota's code,
# a DDMM that is no day of a leap year (day + 40 for women), 29 February of a YY that is no
# multiple of 4, or another province's code. The two lists (514 codes, 732 days) are joined by
# hash, small enough to stay in the processor's cache, so each row costs two lookups, in the
# parallel workers; the whole-pattern regular expression, which costs more than both at a million
# rows, is read only for the suspects. A NIK column's CHECK constraint (recipients.models) admits
# only 16 digits, so a NIK of another length is the only other way to be wrong.
_DAYS = """SELECT to_char(d, 'DDMM') FROM generate_series('2000-01-01'::timestamp, '2000-12-31', '1 day') d
    UNION ALL
    SELECT (extract(day FROM d)::int + 40)::text || to_char(d, 'MM')
    FROM generate_series('2000-01-01'::timestamp, '2000-12-31', '1 day') d"""


def _suspects(nik: str, province_id: str) -> str:
    """SQL: the joins and the condition that keep the suspect NIKs of a group in ``province_id``;
    ``reg.id`` is the NIK's kabupaten/kota (null when its prefix is none)."""
    return (f"LEFT JOIN (SELECT replace(code, '.', ''), parent_id, id FROM core_region WHERE level = 2) "
            f"reg(prefix, province_id, id) ON reg.prefix = substr({nik}, 1, 4) "
            f"LEFT JOIN ({_DAYS}) born(ddmm) ON born.ddmm = substr({nik}, 7, 4) "
            f"WHERE (reg.prefix IS NULL OR reg.province_id <> {province_id} OR octet_length({nik}) <> 16 "
            f"OR born.ddmm IS NULL "
            f"OR CASE WHEN born.ddmm IN ('2902', '6902') THEN substr({nik}, 11, 2) !~ '^[0-9][0-9]$' "
            f"OR mod(substr({nik}, 11, 2)::int, 4) <> 0 END)")


PREPARED = {
    # Applications whose money or goods were decided: approved, or already handed over.
    "flag_aided": """
        SELECT a.id AS application_id, a.group_id, a.program_id, p.agency_id, p.fiscal_year
        FROM recipients_application a
        JOIN programs_program p ON p.id = a.program_id
        WHERE a.state IN ('approved', 'delivered')""",
    # Every handover (delivered step) with its application's program and group and the group's
    # region: R04, R10 and R12 read these instead of joining the steps to a million applications
    # and groups each.
    "flag_handovers": """
        SELECT d.id, d.application_id, d.created_at, d.handover_date, d.handover_amount, d.realization_id,
               d.program_id AS step_program_id, a.program_id, a.group_id, g.province_id, g.regency_id
        FROM recipients_verificationstep d
        JOIN recipients_application a ON a.id = d.application_id
        JOIN recipients_recipientgroup g ON g.id = a.group_id
        WHERE d.to_state = 'delivered'""",
    # The values more than one group uses, each read in order from its index (no hash of a
    # million rows): a leader NIK, a phone or a NIB two groups give; a member's NIK in two
    # groups; a leader's NIK that is a member's in another group (a merge of the two indexes);
    # and the NIK of a leader who is no member of the group ("lonely": judged by itself below).
    "flag_repeated": """
        SELECT 'leader' AS what, leader_nik AS value FROM recipients_recipientgroup
        WHERE leader_nik <> '' GROUP BY leader_nik HAVING count(*) > 1
        UNION ALL
        SELECT 'phone', contact_phone FROM recipients_recipientgroup
        WHERE contact_phone <> '' GROUP BY contact_phone HAVING count(*) > 1
        UNION ALL
        SELECT 'nib', nib FROM recipients_recipientgroup WHERE nib <> '' GROUP BY nib HAVING count(*) > 1
        UNION ALL
        SELECT 'nik', nik FROM recipients_member GROUP BY nik HAVING count(*) > 1
        UNION ALL
        SELECT 'nik', m.nik FROM recipients_member m
        JOIN recipients_recipientgroup g ON g.leader_nik = m.nik AND g.leader_nik <> ''
        WHERE m.group_id <> g.id
        UNION ALL  -- a leader who is not a member of the group (the other merge of the two indexes)
        SELECT 'lonely', g.leader_nik FROM recipients_recipientgroup g
        WHERE g.leader_nik <> ''
          AND NOT EXISTS (SELECT 1 FROM recipients_member m WHERE m.nik = g.leader_nik AND m.group_id = g.id)""",
    # R01's candidates: the groups that can hold an identity aided twice in a year — one that uses
    # a value more than one group uses, or one with two aided applications of its own in a year.
    # (A table of its own, analysed: a few dozen rows the planner then reaches through indexes.)
    "flag_candidates": """
        SELECT m.group_id FROM recipients_member m
        WHERE m.nik IN (SELECT value FROM flag_repeated WHERE what IN ('nik', 'leader'))
        UNION
        SELECT g.id FROM recipients_recipientgroup g
        WHERE g.leader_nik <> '' AND g.leader_nik IN (SELECT value FROM flag_repeated WHERE what IN ('nik', 'leader'))
        UNION
        SELECT g.id FROM recipients_recipientgroup g
        WHERE g.nib <> '' AND g.nib IN (SELECT value FROM flag_repeated WHERE what = 'nib')
        UNION
        SELECT group_id FROM flag_aided GROUP BY group_id, fiscal_year HAVING count(*) > 1""",
    # Every NIK of a proposed group (its members, and a leader who is not also a member) that is
    # suspect (``_suspect``), judged in its parts: region (PPKKCC), birth date, province.
    "flag_people": f"""
        SELECT * FROM (  -- (OFFSET 0: the lookups below run once a suspect, not joined to every row)
            SELECT s.key, s.member_id, s.group_id, s.province_id, prov.code AS province_code,
                   s.nik ~ '^[0-9]{{16}}$' AS digits, substr(s.nik, 1, 2) AS nik_province, s.regency_id,
                   coalesce({_birth_ok("s.nik")}, false) AS birth_ok,
                   {AGENCIES_OF.format(groups="ARRAY[s.group_id]")} AS agencies,
                   am.group_id IS NOT NULL AS also_member
            FROM (
                SELECT 'm' || m.id AS key, m.id AS member_id, m.nik, m.group_id, g.province_id, reg.id AS regency_id
                FROM recipients_member m JOIN recipients_recipientgroup g ON g.id = m.group_id
                {_suspects("m.nik", "g.province_id")}
                UNION ALL
                SELECT 'l' || g.id, NULL, g.leader_nik, g.id, g.province_id, reg.id
                FROM recipients_recipientgroup g
                {_suspects("g.leader_nik", "g.province_id")}
                  AND g.leader_nik <> '' AND g.leader_nik IN (SELECT value FROM flag_repeated WHERE what = 'lonely')
            ) s
            JOIN core_region prov ON prov.id = s.province_id
            LEFT JOIN LATERAL (  -- a leader who is also a member of the group (the unique index, once a suspect)
                SELECT m.group_id FROM recipients_member m WHERE m.group_id = s.group_id AND m.nik = s.nik LIMIT 1
            ) am ON s.member_id IS NULL
            OFFSET 0
        ) judged
        -- a proposed group's (an application not rejected); a leader who is also a member is judged as one
        WHERE agencies IS NOT NULL AND NOT also_member""",
    # Every realization in one pass, summed per allocation and month — the floor's shape: plain
    # aggregates, no join, no filter (a third key, "older than FLAG_NO_HANDOVER_DAYS", made the
    # pass 60 % slower; the one month that the limit cuts is read apart, below). A reversal carries
    # its original's date (programs.services.realization_reverse) and nets it to zero;
    # ``n - reversals`` counts the originals.
    "flag_realized_months": """
        SELECT r.allocation_id, date_trunc('month', r.date::timestamp) AS month,
               sum(r.amount) AS amount, count(*) AS n, count(r.reverses_id) AS reversals, min(r.date) AS first
        FROM programs_realization r
        GROUP BY 1, 2""",
    # Per allocation: its fiscal year's total and December, how many are dated outside that year,
    # and the old money that no handover records: the months before the one FLAG_NO_HANDOVER_DAYS
    # falls in, and that month's older days (through the date index: one month's rows). The
    # handover realizations, few, are found from their steps and taken out; where one is among the
    # oldest, the first date is read again through the allocation's index.
    "flag_realized": """
        WITH handed AS (
            SELECT r.allocation_id, sum(r.amount) AS amount, count(*) AS n
            FROM recipients_verificationstep s JOIN programs_realization r ON r.id = s.realization_id
            WHERE s.realization_id IS NOT NULL AND r.date < %(old_before)s AND r.reverses_id IS NULL
            GROUP BY r.allocation_id
        ),
        cut AS (
            SELECT r.allocation_id, sum(r.amount) AS amount, count(*) - count(r.reverses_id) AS originals,
                   min(r.date) AS first
            FROM programs_realization r
            WHERE r.date >= date_trunc('month', %(old_before)s::timestamp)::date AND r.date < %(old_before)s
            GROUP BY r.allocation_id
        ),
        months AS (
            SELECT m.*, extract(year FROM m.month) = p.fiscal_year AS in_year,
                   extract(month FROM m.month) = 12 AS december,
                   m.month < date_trunc('month', %(old_before)s::timestamp) AS old
            FROM flag_realized_months m
            JOIN programs_allocation al ON al.id = m.allocation_id
            JOIN programs_program p ON p.id = al.program_id
        ),
        per_allocation AS (
            SELECT m.allocation_id,
                   sum(m.amount) FILTER (WHERE m.in_year) AS year_total,
                   sum(m.amount) FILTER (WHERE m.in_year AND m.december) AS december,
                   sum(m.n - m.reversals) FILTER (WHERE NOT m.in_year) AS outside,
                   coalesce(sum(m.amount) FILTER (WHERE m.old), 0) + coalesce(min(c.amount), 0) AS old_amount,
                   coalesce(sum(m.n - m.reversals) FILTER (WHERE m.old), 0) + coalesce(min(c.originals), 0)
                       AS old_count,
                   least(min(m.first) FILTER (WHERE m.old), min(c.first)) AS first_old
            FROM months m LEFT JOIN cut c ON c.allocation_id = m.allocation_id
            GROUP BY m.allocation_id
        )
        SELECT a.allocation_id, a.year_total, a.december, coalesce(a.outside, 0) AS outside,
               a.old_amount - coalesce(h.amount, 0) AS old_amount, a.old_count - coalesce(h.n, 0) AS old_count,
               CASE WHEN h.allocation_id IS NULL THEN a.first_old ELSE (
                   SELECT min(r.date) FROM programs_realization r
                   WHERE r.allocation_id = a.allocation_id AND r.date < %(old_before)s AND r.reverses_id IS NULL
                     AND NOT EXISTS (SELECT 1 FROM recipients_verificationstep s WHERE s.realization_id = r.id))
               END AS first_old
        FROM per_allocation a LEFT JOIN handed h ON h.allocation_id = a.allocation_id""",
}


# Statements whose plan is fixed, not costed (as the rollup's scan, issue 28):
# - the scan of every realization: with the index on (allocation_id, …) the planner chose, for ten
#   million rows, an index scan per allocation and an incremental sort — 40 s of random reads where
#   a parallel sequential scan and one hashed aggregate take a few.
# - the repeated values: read in index order and counted as they stream by, never hashed (a hash of
#   a million NIKs spills to disk at the default work_mem, 2–3 s instead of 0.2).
# - the suspect NIKs: hash joins in the parallel workers (the planner, misled by its estimate of the
#   two small lists, otherwise sorted a million rows for merge joins, or kept the scan on one core).
# - R01's candidates: a few dozen values looked up in their (partial) indexes.
PLANS = {
    "flag_realized_months": ("enable_indexscan = off", "enable_indexonlyscan = off", "enable_bitmapscan = off",
                             "enable_incremental_sort = off", "enable_nestloop = off"),
    "flag_people": ("enable_mergejoin = off", "parallel_setup_cost = 0", "parallel_tuple_cost = 0"),
    "flag_candidates": ("enable_seqscan = off", "enable_mergejoin = off"),
    "flag_repeated": ("enable_seqscan = off", "enable_hashagg = off", "enable_hashjoin = off", "enable_nestloop = off"),
}


@dataclass(frozen=True)
class Indicator:
    code: str
    title: str
    definition: str  # with %(threshold)s-style placeholders filled from ``thresholds``
    sql: str
    thresholds: tuple[str, ...] = ()  # setting names
    information: bool = False
    needs: tuple[str, ...] = ()  # the PREPARED tables it reads
    plan: tuple[str, ...] = ()  # planner settings for its statement (as PLANS)

    def text(self) -> str:
        return str(self.definition) % {name.lower(): getattr(settings, name) for name in self.thresholds}


R01 = Indicator(
    "R01", _("NIK atau NIB yang sama dibantu lebih dari satu program"),
    _("NIK yang sama (ketua atau anggota) atau NIB yang sama ada di kelompok yang dibantu (disetujui atau sudah "
      "diserahkan) oleh dua program atau lebih, atau sebagai kelompok IKM dan KPM, dalam satu tahun anggaran — "
      "di kabupaten/kota atau provinsi mana pun. NIK yang sama di satu program saja tidak ditandai."),
    """
    WITH ids AS (  -- each NIK of a candidate group once: its members, and a leader who is not also one
        SELECT 'nik' AS what, m.nik AS value, m.group_id, g.kind, g.province_id
        FROM recipients_member m JOIN recipients_recipientgroup g ON g.id = m.group_id
        WHERE m.group_id IN (SELECT group_id FROM flag_candidates)
        UNION ALL
        SELECT 'nik', g.leader_nik, g.id, g.kind, g.province_id
        FROM flag_candidates c JOIN recipients_recipientgroup g ON g.id = c.group_id
        LEFT JOIN LATERAL (  -- (LATERAL … LIMIT 1: a lookup a candidate, never an anti-join of all groups)
            SELECT 1 AS one FROM recipients_member m WHERE m.group_id = g.id AND m.nik = g.leader_nik LIMIT 1
        ) also_member ON true
        WHERE g.leader_nik <> '' AND also_member.one IS NULL
        UNION ALL
        SELECT 'nib', g.nib, g.id, g.kind, g.province_id FROM recipients_recipientgroup g
        WHERE g.nib <> '' AND g.id IN (SELECT group_id FROM flag_candidates)
    )
    , aided AS (
        SELECT i.what, i.value, i.kind, i.province_id, x.* FROM ids i JOIN flag_aided x ON x.group_id = i.group_id
    ),
    repeated AS (  -- one hashed pass: an identity in more than one aided application of a year
        SELECT what, value, fiscal_year FROM aided GROUP BY what, value, fiscal_year HAVING count(*) > 1
    )
    SELECT x.what || ':' || x.fiscal_year || ':' || md5(x.value) AS key,
           min(x.province_id) AS province_id, array_agg(DISTINCT x.province_id) AS provinces,
           array_agg(DISTINCT x.agency_id) AS agencies, x.fiscal_year, false AS information,
           jsonb_build_object('groups', array_agg(DISTINCT x.group_id),
                              'applications', array_agg(DISTINCT x.application_id)) AS evidence,
           jsonb_build_object('what', x.what, 'programs', count(DISTINCT x.program_id),
                              'agencies', count(DISTINCT x.agency_id), 'kinds', count(DISTINCT x.kind)) AS measure
    FROM aided x JOIN repeated USING (what, value, fiscal_year)
    GROUP BY x.what, x.value, x.fiscal_year
    HAVING count(DISTINCT x.program_id) > 1 OR count(DISTINCT x.kind) > 1
    """, needs=("flag_aided", "flag_repeated", "flag_candidates"),
    # The candidates are a few groups among a million: reached through the member, leader and group
    # indexes (the partial ones: hence ``<> ''``), never by scanning or merging a whole index.
    plan=("enable_seqscan = off", "enable_mergejoin = off"))

R02 = Indicator(
    "R02", _("NIK yang tidak mungkin benar"),
    _("NIK ketua atau anggota kelompok yang diusulkan tidak terdiri dari 16 angka, atau enam angka pertamanya "
      "tidak memuat kode kabupaten/kota Kemendagri, atau tanggal lahirnya (angka ke-7 s.d. 12; tanggal + 40 untuk "
      "perempuan) tidak ada di kalender."),
    """
    SELECT key, province_id, ARRAY[province_id] AS provinces, agencies, NULL::int AS fiscal_year,
           false AS information,
           jsonb_build_object('groups', ARRAY[group_id],
                              'members', CASE WHEN member_id IS NULL THEN '{}'::bigint[] ELSE ARRAY[member_id] END)
               AS evidence,
           jsonb_build_object('reasons', array_remove(ARRAY[
               CASE WHEN NOT digits THEN 'digits' END,
               CASE WHEN digits AND regency_id IS NULL THEN 'region' END,
               CASE WHEN digits AND NOT birth_ok THEN 'birth' END], NULL)) AS measure
    FROM flag_people
    WHERE NOT digits OR regency_id IS NULL OR NOT birth_ok
    """, needs=("flag_repeated", "flag_people"))

R03 = Indicator(
    "R03", _("NIK dari provinsi lain"),
    _("Kode wilayah NIK (dua angka pertama) menunjuk provinsi lain daripada provinsi kelompok. Hanya informasi: "
      "orang pindah domisili tanpa mengganti KTP."),
    """
    SELECT key, province_id, ARRAY[province_id] AS provinces, agencies, NULL::int AS fiscal_year,
           true AS information,
           jsonb_build_object('groups', ARRAY[group_id],
                              'members', CASE WHEN member_id IS NULL THEN '{}'::bigint[] ELSE ARRAY[member_id] END)
               AS evidence,
           jsonb_build_object('nik_province', nik_province, 'group_province', province_code) AS measure
    FROM flag_people
    WHERE digits AND regency_id IS NOT NULL AND nik_province <> province_code
    """, information=True, needs=("flag_repeated", "flag_people"))

R04 = Indicator(
    "R04", _("Serah terima sebelum SK persetujuan"),
    _("Bantuan tercatat diserahkan pada tanggal sebelum tanggal SK persetujuan usulannya (atau, bila tanggal SK "
      "tidak diisi, sebelum persetujuan dicatat)."),
    """
    SELECT 's' || d.id AS key, d.province_id, ARRAY[d.province_id] AS provinces, ARRAY[p.agency_id] AS agencies,
           p.fiscal_year::int, false AS information,
           jsonb_build_object('applications', ARRAY[d.application_id], 'groups', ARRAY[d.group_id],
                              'steps', ARRAY[ap.id, d.id],
                              'realizations', CASE WHEN d.realization_id IS NULL THEN '{}'::bigint[]
                                                   ELSE ARRAY[d.realization_id] END) AS evidence,
           jsonb_build_object('handover_date', d.handover_date, 'sk_date', ap.sk_on) AS measure
    FROM flag_handovers d
    JOIN programs_program p ON p.id = d.program_id
    JOIN LATERAL (
        SELECT s.id, coalesce(s.sk_date, (s.created_at AT TIME ZONE %(tz)s)::date) AS sk_on
        FROM recipients_verificationstep s
        WHERE s.application_id = d.application_id AND s.to_state = 'approved' AND s.created_at <= d.created_at
        ORDER BY s.created_at DESC, s.id DESC LIMIT 1
    ) ap ON true
    WHERE d.handover_date IS NOT NULL AND d.handover_date < ap.sk_on
    """, needs=("flag_handovers",))

R05 = Indicator(
    "R05", _("Realisasi di luar tahun anggarannya"),
    _("Realisasi bertanggal di luar tahun anggaran program alokasinya (uang keluar sebelum tahun anggaran dimulai "
      "atau setelah tahun itu berakhir)."),
    """
    SELECT 'r' || r.id AS key, c.province_id, ARRAY[c.province_id] AS provinces, ARRAY[p.agency_id] AS agencies,
           p.fiscal_year::int, false AS information,
           jsonb_build_object('realizations', ARRAY[r.id], 'allocations', ARRAY[al.id]) AS evidence,
           jsonb_build_object('date', r.date, 'fiscal_year', p.fiscal_year, 'amount', r.amount) AS measure
    FROM flag_realized fr
    JOIN programs_allocation al ON al.id = fr.allocation_id
    JOIN programs_budgetceiling c ON c.id = al.ceiling_id
    JOIN programs_program p ON p.id = al.program_id
    JOIN programs_realization r ON r.allocation_id = al.id  -- only the allocations that have one
    WHERE fr.outside > 0 AND extract(year FROM r.date) <> p.fiscal_year AND r.reverses_id IS NULL
      AND NOT EXISTS (SELECT 1 FROM programs_realization x WHERE x.reverses_id = r.id)
    """, needs=("flag_realized_months", "flag_realized"))

R06 = Indicator(
    "R06", _("Persetujuan terlalu cepat"),
    _("Usulan disetujui kurang dari %(flag_fast_approval_hours)s jam setelah diusulkan."),
    """
    SELECT 'a' || a.id AS key, g.province_id, ARRAY[g.province_id] AS provinces, ARRAY[p.agency_id] AS agencies,
           p.fiscal_year::int, false AS information,
           jsonb_build_object('applications', ARRAY[a.id], 'groups', ARRAY[g.id], 'steps', ARRAY[ap.id]) AS evidence,
           jsonb_build_object('hours', round(extract(epoch FROM ap.created_at - a.created_at)::numeric / 3600, 1),
                              'threshold', %(flag_fast_approval_hours)s) AS measure
    FROM recipients_verificationstep ap
    JOIN recipients_application a ON a.id = ap.application_id
    JOIN programs_program p ON p.id = a.program_id
    JOIN recipients_recipientgroup g ON g.id = a.group_id
    WHERE ap.to_state = 'approved'
      AND ap.created_at - a.created_at < make_interval(hours => %(flag_fast_approval_hours)s)
    """, thresholds=("FLAG_FAST_APPROVAL_HOURS",))

R07 = Indicator(
    "R07", _("Semua langkah oleh satu akun"),
    _("Satu akun mengusulkan, memeriksa dokumen, memeriksa lapangan dan menyetujui usulan yang sama."),
    """
    SELECT 'a' || a.id AS key, g.province_id, ARRAY[g.province_id] AS provinces, ARRAY[p.agency_id] AS agencies,
           p.fiscal_year::int, false AS information,
           jsonb_build_object('applications', ARRAY[a.id], 'groups', ARRAY[g.id],
                              'steps', array_agg(s.id ORDER BY s.id)) AS evidence,
           jsonb_build_object('steps', count(*) + 1) AS measure
    FROM recipients_application a
    JOIN recipients_verificationstep s ON s.application_id = a.id
         AND s.to_state IN ('doc_checked', 'field_checked', 'approved')
    JOIN programs_program p ON p.id = a.program_id
    JOIN recipients_recipientgroup g ON g.id = a.group_id
    WHERE a.created_by_id IS NOT NULL AND a.state IN ('approved', 'delivered')
    GROUP BY a.id, g.province_id, p.agency_id, p.fiscal_year, g.id
    HAVING count(DISTINCT s.to_state) = 3 AND bool_and(s.actor_id IS NOT NULL AND s.actor_id = a.created_by_id)
    """)

R08 = Indicator(
    "R08", _("Kelompok berbeda nama dengan ketua, telepon atau NIB yang sama"),
    _("Dua kelompok atau lebih yang diusulkan dengan nama berbeda memakai NIK ketua, nomor telepon atau NIB yang "
      "sama."),
    """
    WITH shared AS (  -- the few groups that use a value more than one group uses, and whether each is proposed
                      -- (an application not rejected; OFFSET 0: looked up once a group, not joined to them all)
        SELECT s.*, {proposed} AS proposed FROM (
            SELECT 'leader' AS what, g.leader_nik AS value, g.id, g.normalized_name, g.province_id
            FROM recipients_recipientgroup g
            WHERE g.leader_nik <> '' AND g.leader_nik IN (SELECT value FROM flag_repeated WHERE what = 'leader')
            UNION ALL
            SELECT 'phone', g.contact_phone, g.id, g.normalized_name, g.province_id
            FROM recipients_recipientgroup g
            WHERE g.contact_phone <> '' AND g.contact_phone IN (SELECT value FROM flag_repeated WHERE what = 'phone')
            UNION ALL
            SELECT 'nib', g.nib, g.id, g.normalized_name, g.province_id
            FROM recipients_recipientgroup g
            WHERE g.nib <> '' AND g.nib IN (SELECT value FROM flag_repeated WHERE what = 'nib')
        ) s OFFSET 0
    ),
    found AS (  -- among the proposed ones, more than one name
        SELECT s.what, s.value, min(s.province_id) AS province_id, array_agg(DISTINCT s.province_id) AS provinces,
               array_agg(s.id ORDER BY s.id) AS groups, count(DISTINCT s.normalized_name) AS names
        FROM shared s WHERE s.proposed
        GROUP BY s.what, s.value
        HAVING count(DISTINCT s.normalized_name) > 1
    )
    SELECT f.what || ':' || md5(f.value) AS key, f.province_id, f.provinces, {agencies} AS agencies,
           NULL::int AS fiscal_year, false AS information,
           jsonb_build_object('groups', f.groups) AS evidence,
           jsonb_build_object('what', f.what, 'names', f.names) AS measure
    FROM found f
    """.format(proposed=PROPOSED.format(group="s.id"), agencies=AGENCIES_OF.format(groups="f.groups")),
    needs=("flag_repeated",))

R09 = Indicator(
    "R09", _("Lonjakan realisasi akhir tahun"),
    _("Realisasi Desember sebuah OPD di atas Q3 + 1,5 × IQR realisasi Desember OPD-OPD provinsinya tahun itu, "
      "atau lebih dari %(flag_december_share_percent)s%% realisasi OPD itu setahun."),
    """
    WITH per_agency AS (
        SELECT c.province_id, p.fiscal_year::int AS fiscal_year, p.agency_id,
               sum(fr.december) AS december, sum(fr.year_total) AS year_total,
               array_agg(fr.allocation_id ORDER BY fr.allocation_id) AS allocations
        FROM flag_realized fr
        JOIN programs_allocation al ON al.id = fr.allocation_id
        JOIN programs_budgetceiling c ON c.id = al.ceiling_id
        JOIN programs_program p ON p.id = al.program_id
        GROUP BY c.province_id, p.fiscal_year, p.agency_id
    ),
    fences AS (
        SELECT province_id, fiscal_year, count(*) AS agencies,
               percentile_cont(0.75) WITHIN GROUP (ORDER BY coalesce(december, 0))
               + 1.5 * (percentile_cont(0.75) WITHIN GROUP (ORDER BY coalesce(december, 0))
                        - percentile_cont(0.25) WITHIN GROUP (ORDER BY coalesce(december, 0))) AS fence
        FROM per_agency GROUP BY province_id, fiscal_year
    )
    SELECT a.province_id || ':' || a.fiscal_year || ':' || a.agency_id AS key, a.province_id,
           ARRAY[a.province_id] AS provinces, ARRAY[a.agency_id] AS agencies, a.fiscal_year, false AS information,
           jsonb_build_object('allocations', a.allocations, 'agency', a.agency_id) AS evidence,
           jsonb_build_object('december', a.december, 'year_total', a.year_total,
                              'share', round(100.0 * a.december / nullif(a.year_total, 0), 1),
                              'fence', round(f.fence::numeric), 'agencies', f.agencies,
                              'threshold', %(flag_december_share_percent)s) AS measure
    FROM per_agency a JOIN fences f USING (province_id, fiscal_year)
    WHERE a.december > 0
      AND ((f.agencies >= 4 AND a.december > f.fence)
           OR 100.0 * a.december / nullif(a.year_total, 0) > %(flag_december_share_percent)s)
    """, thresholds=("FLAG_DECEMBER_SHARE_PERCENT",), needs=("flag_realized_months", "flag_realized"))

R10 = Indicator(
    "R10", _("Penyerahan terpusat pada satu kelompok"),
    _("Nilai yang diserahkan kepada satu kelompok di atas Q3 + 1,5 × IQR kelompok-kelompok program itu (program "
      "dengan sedikitnya %(flag_concentration_min_groups)s kelompok penerima)."),
    """
    WITH per_group AS (
        SELECT d.program_id, d.group_id, d.province_id, p.agency_id, p.fiscal_year::int AS fiscal_year,
               sum(d.handover_amount) AS amount, array_agg(d.id) AS steps
        FROM flag_handovers d JOIN programs_program p ON p.id = d.program_id
        WHERE d.handover_amount IS NOT NULL
        GROUP BY d.program_id, d.group_id, d.province_id, p.agency_id, p.fiscal_year
    ),
    fences AS (
        SELECT program_id, count(*) AS groups, sum(amount) AS total,
               percentile_cont(0.75) WITHIN GROUP (ORDER BY amount)
               + 1.5 * (percentile_cont(0.75) WITHIN GROUP (ORDER BY amount)
                        - percentile_cont(0.25) WITHIN GROUP (ORDER BY amount)) AS fence
        FROM per_group GROUP BY program_id
    )
    SELECT 'p' || x.program_id || ':g' || x.group_id AS key, x.province_id, ARRAY[x.province_id] AS provinces,
           ARRAY[x.agency_id] AS agencies, x.fiscal_year, false AS information,
           jsonb_build_object('groups', ARRAY[x.group_id], 'steps', x.steps, 'programs', ARRAY[x.program_id])
               AS evidence,
           jsonb_build_object('amount', x.amount, 'share', round(100.0 * x.amount / f.total, 1),
                              'fence', round(f.fence::numeric), 'groups', f.groups) AS measure
    FROM per_group x JOIN fences f USING (program_id)
    WHERE f.groups >= %(flag_concentration_min_groups)s AND x.amount > f.fence
    """, thresholds=("FLAG_CONCENTRATION_MIN_GROUPS",), needs=("flag_handovers",))

R11 = Indicator(
    "R11", _("Kelompok yang sama dibantu program yang sama dua tahun berturut-turut"),
    _("Kelompok yang sama disetujui oleh program yang sama (OPD dan nama program sama) pada dua tahun anggaran "
      "berturut-turut."),
    """
    SELECT 'g' || x.group_id || ':p' || x.program_id || ':p' || y.program_id AS key, g.province_id,
           ARRAY[g.province_id] AS provinces, ARRAY[x.agency_id] AS agencies, y.fiscal_year::int,
           false AS information,
           jsonb_build_object('groups', ARRAY[x.group_id], 'applications', ARRAY[x.application_id, y.application_id],
                              'programs', ARRAY[x.program_id, y.program_id]) AS evidence,
           jsonb_build_object('years', ARRAY[x.fiscal_year, y.fiscal_year]) AS measure
    FROM flag_aided x
    JOIN flag_aided y ON y.group_id = x.group_id AND y.agency_id = x.agency_id AND y.fiscal_year = x.fiscal_year + 1
    JOIN programs_program px ON px.id = x.program_id
    JOIN programs_program py ON py.id = y.program_id AND py.name = px.name
    JOIN recipients_recipientgroup g ON g.id = x.group_id
    """, needs=("flag_aided",))

R12 = Indicator(
    "R12", _("Uang keluar tanpa serah terima barang"),
    _("Alokasi program bantuan barang (peralatan, modal berupa barang) dengan realisasi lebih dari "
      "%(flag_no_handover_days)s hari lalu, tanpa satu pun serah terima program itu di wilayah alokasinya sejak "
      "tanggal realisasi pertama itu."),
    """
    SELECT 'al' || al.id AS key, c.province_id, ARRAY[c.province_id] AS provinces, ARRAY[p.agency_id] AS agencies,
           p.fiscal_year::int, false AS information,
           jsonb_build_object('allocations', ARRAY[al.id]) AS evidence,
           jsonb_build_object('amount', o.old_amount, 'first_date', o.first_old, 'realizations', o.old_count,
                              'days', %(flag_no_handover_days)s) AS measure
    FROM flag_realized o
    JOIN programs_allocation al ON al.id = o.allocation_id
    JOIN programs_budgetceiling c ON c.id = al.ceiling_id
    JOIN programs_program p ON p.id = al.program_id AND p.kind IN ('equipment', 'capital')
    WHERE o.old_amount > 0 AND o.first_old IS NOT NULL
      AND NOT EXISTS (
        SELECT 1 FROM flag_handovers h
        WHERE h.step_program_id = al.program_id AND h.handover_date >= o.first_old
          AND h.province_id = c.province_id AND (al.regency_id IS NULL OR h.regency_id = al.regency_id))
    """, thresholds=("FLAG_NO_HANDOVER_DAYS",), needs=("flag_realized_months", "flag_realized", "flag_handovers"))

INDICATORS = (R01, R02, R03, R04, R05, R06, R07, R08, R09, R10, R11, R12)
BY_CODE = {i.code: i for i in INDICATORS}


def indicator(code: str) -> Indicator | None:
    return BY_CODE.get(code)


# --- The computation -------------------------------------------------------------------------------

LOCK = 0x1F1A6  # pg_advisory_xact_lock key: one computation at a time
# The tables the indicators read: a write to any of them may raise or close a case.
SOURCES = ("recipients_member", "recipients_recipientgroup", "recipients_application", "recipients_verificationstep",
           "programs_realization", "programs_allocation", "programs_program")
VERSION_KEY = "reports:flags:data-version"


def data_version() -> int:
    """A number that grows with every row written to ``SOURCES``: PostgreSQL's own counters of
    inserted, updated and deleted tuples (flushed by each session within about a second of its
    commit; lost with a statistics reset, which only means one computation more). One query."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_user_tables "
                       "WHERE relname = ANY(%s)", [list(SOURCES)])
        return int(cursor.fetchone()[0])


def compute_if_changed() -> dict | None:
    """The live path (beat, every FLAGS_LIVE_SECONDS): run ``compute`` when the records have
    changed since the last computation, none when another is running; None when nothing ran."""
    version = data_version()
    if cache.get(VERSION_KEY) == version:
        return None
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [LOCK])
        if not cursor.fetchone()[0]:
            return None  # a computation is running; the next tick looks again
        return compute()


def _create(cursor, name: str, sql: str, params: dict, plan: tuple[str, ...]) -> int:
    """CREATE TEMP TABLE ``name`` AS ``sql`` under its planner settings (``plan``, for this
    statement only); the number of rows."""
    cursor.execute(f"DROP TABLE IF EXISTS {name}")
    if plan:
        cursor.execute("; ".join(f"SET LOCAL {setting}" for setting in plan))
    cursor.execute(f"CREATE TEMP TABLE {name} ON COMMIT DROP AS {sql}", params)
    rows = cursor.rowcount
    if plan:
        cursor.execute("; ".join(f"RESET {setting.split()[0]}" for setting in plan))
    return rows


@transaction.atomic
def compute(*, today: dt.date | None = None, codes=None) -> dict[str, dict[str, int]]:
    """Run the indicators (all, or ``codes``) and bring the cases in line with what they find.
    Returns {code: {"found", "raised", "reopened", "closed", "seconds"}}. Statements per indicator: 4."""
    now = timezone.now()
    today = today or timezone.localdate()
    version = data_version()  # read first: a write during the run makes the next tick run again
    counts = {}
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK])
        cursor.execute("SET LOCAL jit = off")  # compiling the scans' expressions costs more than it saves
        chosen = [ind for ind in INDICATORS if not codes or ind.code in codes]
        params = {"today": today, "tz": settings.TIME_ZONE,
                  "old_before": today - dt.timedelta(days=settings.FLAG_NO_HANDOVER_DAYS),
                  **{name.lower(): getattr(settings, name) for ind in INDICATORS for name in ind.thresholds}}
        needed = {name for ind in chosen for name in ind.needs}
        made = {}
        for name, sql in PREPARED.items():
            if name in needed:
                started = time.perf_counter()
                _create(cursor, name, sql, params, PLANS.get(name, ()))
                cursor.execute(f"ANALYZE {name}")
                made[name] = round(time.perf_counter() - started, 2)
        log.info("red flags: shared tables made (seconds): %s", made)
        for ind in chosen:
            started = time.perf_counter()
            found = _create(cursor, "flag_found", ind.sql, params, ind.plan)
            cursor.execute(
                """
                WITH up AS (
                    INSERT INTO reports_flag (indicator, key, province_id, provinces, agencies, fiscal_year,
                                              information, evidence, measure, state, raised_at, seen_at, version)
                    SELECT %(code)s, key, province_id, provinces, agencies, fiscal_year, information, evidence,
                           measure, 'open', %(now)s, %(now)s, 1
                    FROM flag_found
                    ON CONFLICT (indicator, key) DO UPDATE SET
                        seen_at = EXCLUDED.seen_at, evidence = EXCLUDED.evidence, measure = EXCLUDED.measure,
                        province_id = EXCLUDED.province_id, provinces = EXCLUDED.provinces,
                        agencies = EXCLUDED.agencies, fiscal_year = EXCLUDED.fiscal_year,
                        state = CASE WHEN reports_flag.state = 'closed' THEN 'open' ELSE reports_flag.state END,
                        version = reports_flag.version
                                  + CASE WHEN reports_flag.state = 'closed' THEN 1 ELSE 0 END
                    RETURNING id, (xmax = 0) AS inserted, version
                ),
                previous AS (SELECT id FROM reports_flag WHERE indicator = %(code)s AND state = 'closed')
                INSERT INTO reports_flagevent (flag_id, kind, from_state, to_state, text, created_at)
                SELECT up.id, CASE WHEN up.inserted THEN 'raised' ELSE 'reopened' END,
                       CASE WHEN up.inserted THEN '' ELSE 'closed' END, 'open', '', %(now)s
                FROM up WHERE up.inserted OR up.id IN (SELECT id FROM previous)
                RETURNING kind
                """, {"code": ind.code, "now": now})
            kinds = [row[0] for row in cursor.fetchall()]
            cursor.execute(
                """
                WITH gone AS (
                    SELECT id, state FROM reports_flag
                    WHERE indicator = %(code)s AND state IN ('open', 'review') AND seen_at < %(now)s
                    FOR UPDATE
                ),
                closed AS (
                    UPDATE reports_flag f SET state = 'closed', decided_at = %(now)s, version = f.version + 1
                    FROM gone WHERE f.id = gone.id RETURNING f.id, gone.state
                )
                INSERT INTO reports_flagevent (flag_id, kind, from_state, to_state, text, created_at)
                SELECT id, 'closed', state, 'closed', '', %(now)s FROM closed
                """, {"code": ind.code, "now": now})
            counts[ind.code] = {"found": found, "raised": kinds.count("raised"), "reopened": kinds.count("reopened"),
                                "closed": cursor.rowcount, "seconds": round(time.perf_counter() - started, 3)}
    transaction.on_commit(lambda: cache.set(VERSION_KEY, version, None))
    return counts


# --- What a case measured, as a sentence -------------------------------------------------------------


def _day(value) -> str:
    """An ISO date of a measure as people write it: 10 Desember 2020."""
    try:
        return date_format(dt.date.fromisoformat(str(value)), "j F Y")
    except ValueError:
        return str(value or "–")


def _num(value) -> str:
    """A measured decimal in the reader's locale: 52,6 in Indonesian."""
    return number_format(value if value is not None else 0, decimal_pos=1, use_l10n=True)


def _rp(value) -> str:
    return rupiah(int(value or 0))


def describe(flag) -> str:
    """The numbers the rule compared for this case, in the reader's language."""
    m, code = flag.measure or {}, flag.indicator
    if code == "R01":
        what = _("NIK") if m.get("what") == "nik" else _("NIB")
        return _("%(what)s yang sama di %(programs)s program, %(agencies)s OPD, %(kinds)s jenis penerima.") % {
            "what": what, "programs": m.get("programs"), "agencies": m.get("agencies"), "kinds": m.get("kinds")}
    if code == "R02":
        names = {"digits": _("bukan 16 angka"), "region": _("kode wilayah tidak dikenal"),
                 "birth": _("tanggal lahir tidak ada")}
        return "; ".join(str(names.get(r, r)) for r in m.get("reasons", []))
    if code == "R03":
        return _("Kode provinsi NIK %(nik)s, provinsi kelompok %(group)s.") % {
            "nik": m.get("nik_province"), "group": m.get("group_province")}
    if code == "R04":
        return _("Serah terima %(handover)s, SK %(sk)s.") % {
            "handover": _day(m.get("handover_date")), "sk": _day(m.get("sk_date"))}
    if code == "R05":
        return _("Realisasi %(amount)s bertanggal %(date)s untuk tahun anggaran %(year)s.") % {
            "amount": _rp(m.get("amount")), "date": _day(m.get("date")), "year": m.get("fiscal_year")}
    if code == "R06":
        return _("Disetujui %(hours)s jam setelah diusulkan (batas %(threshold)s jam).") % {
            "hours": _num(m.get("hours")), "threshold": m.get("threshold")}
    if code == "R07":
        return _("%(steps)s langkah oleh satu akun.") % m
    if code == "R08":
        what = {"leader": _("NIK ketua"), "phone": _("telepon"), "nib": _("NIB")}.get(m.get("what"), "")
        return _("%(what)s yang sama dipakai %(names)s nama kelompok berbeda.") % {
            "what": what, "names": m.get("names")}
    if code == "R09":
        text = _("Desember %(december)s dari %(total)s setahun (%(share)s%%; batas %(threshold)s%%).") % {
            "december": _rp(m.get("december")), "total": _rp(m.get("year_total")), "share": _num(m.get("share")),
            "threshold": m.get("threshold")}
        if (m.get("agencies") or 0) < 4:
            return text + " " + _("Pencilan antar-OPD tidak dihitung: kurang dari 4 OPD provinsi ini berealisasi.")
        return text + " " + _("Batas pencilan provinsi %(fence)s dari %(agencies)s OPD.") % {
            "fence": _rp(m.get("fence")), "agencies": m.get("agencies")}
    if code == "R10":
        return _("%(amount)s diserahkan kepada satu kelompok (%(share)s%% program); batas pencilan %(fence)s dari "
                  "%(groups)s kelompok.") % {"amount": _rp(m.get("amount")), "share": _num(m.get("share")),
                                            "fence": _rp(m.get("fence")), "groups": m.get("groups")}
    if code == "R11":
        return _("Tahun %(years)s.") % {"years": " & ".join(str(y) for y in m.get("years", []))}
    if code == "R12":
        return _("%(amount)s dalam %(n)s realisasi sejak %(date)s, tanpa serah terima (batas %(days)s hari).") % {
            "amount": _rp(m.get("amount")), "n": m.get("realizations"), "date": _day(m.get("first_date")),
            "days": m.get("days")}
    return ""

"""Which of the anomalies ``generate_national --anomalies`` planted (each marked "Anomali R..")
the red flags found: shared by the test and the benchmark."""

# code: SQL returning (planted, found) — each planted record, and whether a case of that
# indicator (in any state but closed) names it.
CHECKS = {
    "R01": """SELECT count(*), count(*) FILTER (WHERE EXISTS (
                  SELECT 1 FROM reports_flag f WHERE f.indicator = 'R01' AND f.state <> 'closed'
                  AND f.evidence->'groups' @> to_jsonb(m.group_id)))
              FROM recipients_member m WHERE m.name = 'Anomali R01'""",
    "R02": """SELECT count(*), count(f.id) FROM recipients_member m
              LEFT JOIN reports_flag f ON f.indicator = 'R02' AND f.key = 'm' || m.id AND f.state <> 'closed'
              WHERE m.name = 'Anomali R02'""",
    "R03": """SELECT count(*), count(f.id) FROM recipients_member m
              LEFT JOIN reports_flag f ON f.indicator = 'R03' AND f.key = 'm' || m.id AND f.state <> 'closed'
              WHERE m.name = 'Anomali R03'""",
    "R04": """SELECT count(*), count(f.id) FROM recipients_verificationstep s
              LEFT JOIN reports_flag f ON f.indicator = 'R04' AND f.key = 's' || s.id AND f.state <> 'closed'
              WHERE s.note = 'Anomali R04'""",
    "R05": """SELECT count(*), count(f.id) FROM programs_realization r
              LEFT JOIN reports_flag f ON f.indicator = 'R05' AND f.key = 'r' || r.id AND f.state <> 'closed'
              WHERE r.description = 'Anomali R05'""",
    "R06": """SELECT count(*), count(f.id) FROM recipients_application a
              LEFT JOIN reports_flag f ON f.indicator = 'R06' AND f.key = 'a' || a.id AND f.state <> 'closed'
              WHERE a.sk_number LIKE 'ANOMALI-R06-%'""",
    "R07": """SELECT count(*), count(f.id) FROM recipients_application a
              LEFT JOIN reports_flag f ON f.indicator = 'R07' AND f.key = 'a' || a.id AND f.state <> 'closed'
              WHERE a.sk_number LIKE 'ANOMALI-R07-%'""",
    "R08": """SELECT count(*), count(*) FILTER (WHERE EXISTS (
                  SELECT 1 FROM reports_flag f WHERE f.indicator = 'R08' AND f.state <> 'closed'
                  AND f.key = 'phone:' || md5(g.contact_phone) AND f.evidence->'groups' @> to_jsonb(g.id)))
              FROM recipients_recipientgroup g WHERE g.name LIKE 'Kelompok anomali R08-%'""",
    "R09": """SELECT count(*), count(f.id) FROM programs_realization r
              JOIN programs_allocation al ON al.id = r.allocation_id
              JOIN programs_budgetceiling c ON c.id = al.ceiling_id JOIN programs_program p ON p.id = al.program_id
              LEFT JOIN reports_flag f ON f.indicator = 'R09' AND f.state <> 'closed'
                   AND f.key = c.province_id || ':' || p.fiscal_year || ':' || p.agency_id
              WHERE r.description = 'Anomali R09'""",
    "R10": """SELECT count(*), count(f.id) FROM recipients_verificationstep s
              JOIN recipients_application a ON a.id = s.application_id
              LEFT JOIN reports_flag f ON f.indicator = 'R10' AND f.state <> 'closed'
                   AND f.key = 'p' || a.program_id || ':g' || a.group_id
              WHERE s.note = 'Anomali R10'""",
    "R11": """SELECT count(*), count(*) FILTER (WHERE EXISTS (
                  SELECT 1 FROM reports_flag f WHERE f.indicator = 'R11' AND f.state <> 'closed'
                  AND f.evidence->'applications' @> to_jsonb(a.id)))
              FROM recipients_application a WHERE a.sk_number LIKE 'ANOMALI-R11-%'""",
    "R12": """SELECT count(*), count(f.id) FROM programs_allocation al
              LEFT JOIN reports_flag f ON f.indicator = 'R12' AND f.key = 'al' || al.id AND f.state <> 'closed'
              WHERE al.note = 'Anomali R12'""",
}

# Every record a plant marked, to tell planted cases from the other flags of the same run: each
# big table read once for its marked rows (MATERIALIZED), then matched against the few flags.
PLANTED_FLAGS = """
    WITH members AS MATERIALIZED (SELECT id, group_id FROM recipients_member WHERE name LIKE 'Anomali R0%%'),
    applications AS MATERIALIZED (SELECT id FROM recipients_application WHERE sk_number LIKE 'ANOMALI-R%%'),
    steps AS MATERIALIZED (SELECT id FROM recipients_verificationstep WHERE note LIKE 'Anomali R%%'),
    realizations AS MATERIALIZED (SELECT id, allocation_id FROM programs_realization
                                  WHERE description LIKE 'Anomali R%%'),
    allocations AS MATERIALIZED (SELECT id FROM programs_allocation WHERE note = 'Anomali R12'),
    groups AS MATERIALIZED (SELECT id FROM recipients_recipientgroup WHERE name LIKE 'Kelompok anomali R08-%%')
    SELECT count(*) FROM reports_flag f WHERE f.state <> 'closed' AND (
        EXISTS (SELECT 1 FROM members m WHERE f.key = 'm' || m.id OR f.evidence->'groups' @> to_jsonb(m.group_id))
        OR EXISTS (SELECT 1 FROM applications a
                   WHERE f.key = 'a' || a.id OR f.evidence->'applications' @> to_jsonb(a.id))
        OR EXISTS (SELECT 1 FROM steps s WHERE f.key = 's' || s.id OR f.evidence->'steps' @> to_jsonb(s.id))
        OR EXISTS (SELECT 1 FROM realizations r
                   WHERE f.key = 'r' || r.id OR f.evidence->'allocations' @> to_jsonb(r.allocation_id))
        OR EXISTS (SELECT 1 FROM allocations al WHERE f.key = 'al' || al.id)
        OR EXISTS (SELECT 1 FROM groups g WHERE f.evidence->'groups' @> to_jsonb(g.id)))
"""


def planted_and_found(cursor) -> dict[str, tuple[int, int]]:
    out = {}
    for code, sql in CHECKS.items():
        cursor.execute(sql.replace("%", "%%"), [])
        out[code] = cursor.fetchone()
    return out


def other_flags(cursor) -> dict[str, int]:
    """Flags (not closed) per indicator that no plant explains: what clean synthetic data raises."""
    cursor.execute(f"""SELECT f.indicator, count(*) FROM reports_flag f WHERE f.state <> 'closed'
                       AND f.id NOT IN (SELECT id FROM ({PLANTED_FLAGS.replace('count(*)', 'f.id', 1)}) x)
                       GROUP BY f.indicator ORDER BY f.indicator""", [])
    return dict(cursor.fetchall())

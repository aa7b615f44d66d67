"""The nightly check of the database against the public ledger: the published state of every
record is recomputed from the current rows (``ledger.entries.published_fields``, what an entry
logs) and compared with what the log's latest entry for that record says. A row changed behind
the application's back (plain SQL), a logged record deleted, or a published record that never
entered the log is a problem, named with its record and the entry it contradicts; the latest
audit is shown on the national admin's dashboard and on the rollup page.

Memory stays flat at national scale: each kind of record is read in id order beside its entries
in (record, index) order (the ``ledger_entry_record`` index), and merged.
"""

from __future__ import annotations

import json
from collections import defaultdict

from django.db.models import Q
from django.utils import timezone

from ledger import entries as kinds
from ledger.entries import published_fields
from ledger.models import Audit, Entry
from programs.models import Allocation, AllocationRevision, BudgetCeiling, Realization
from recipients.models import Application, RecipientGroup, State, VerificationStep

CHUNK = 5000
KEPT = 100  # problems kept on the audit row (all are counted)


def _tables():
    """(record type, the current rows that must be in the log, how a logged state is brought up to
    date before comparing)."""
    return [
        ("programs.budgetceiling", BudgetCeiling.objects.all()),
        ("programs.allocation", Allocation.objects.all()),
        ("programs.allocationrevision", AllocationRevision.objects.all()),
        ("programs.realization", Realization.objects.select_related("handover__application__group",
                                                                    "reverses__handover")),
        ("recipients.application", Application.objects.filter(state__in=[State.APPROVED, State.DELIVERED])),
        ("recipients.verificationstep", VerificationStep.objects.filter(to_state=State.DELIVERED)),
        ("recipients.recipientgroup", RecipientGroup.objects.filter(
            Q(pk__in=Entry.objects.filter(record_type="recipients.recipientgroup").values("record_id"))
            | ~Q(name_withheld_reason=""))),
    ]


def _logged(record_type: str):
    """(record id, entry index, logged fields) of each record's latest entry, by record id."""
    rows = (Entry.objects.filter(record_type=record_type).order_by("record_id", "index")
            .values_list("record_id", "index", "body").iterator(chunk_size=CHUNK))
    current = None
    for record_id, index, body in rows:
        if current is not None and current[0] != record_id:
            yield current
        current = (record_id, index, json.loads(bytes(body))["fields"])
    if current is not None:
        yield current


def _revisions() -> dict[int, tuple[int, int]]:
    """Per allocation, its latest logged revision: (entry index, new amount)."""
    out: dict[int, tuple[int, int]] = {}
    for index, body in (Entry.objects.filter(kind=kinds.ALLOCATION_REVISED).order_by("index")
                        .values_list("index", "body").iterator(chunk_size=CHUNK)):
        fields = json.loads(bytes(body))["fields"]
        out[fields["allocation"]] = (index, fields["new_amount"])
    return out


def _expected(record_type: str, record_id: int, index: int, fields: dict, revisions, delivered) -> dict:
    """The logged state brought forward by later entries about it: an allocation's amount by its
    revisions, an approved application delivered by a logged handover."""
    fields = dict(fields)
    if record_type == "programs.allocation" and record_id in revisions and revisions[record_id][0] > index:
        fields["amount"] = revisions[record_id][1]
    if record_type == "recipients.application" and fields.get("state") == State.APPROVED \
            and record_id in delivered:
        fields["state"] = State.DELIVERED
    return fields


def run() -> Audit:
    audit = Audit.objects.create()
    problems: list[dict] = []
    count = checked = 0
    revisions = _revisions()
    delivered = {json.loads(bytes(b))["fields"]["application"] for b in
                 Entry.objects.filter(kind=kinds.HANDOVER_RECORDED).values_list("body", flat=True)}

    def problem(**p):
        nonlocal count
        count += 1
        if len(problems) < KEPT:
            problems.append(p)

    for record_type, rows in _tables():
        logged = _logged(record_type)
        nxt = next(logged, None)
        for obj in rows.order_by("id").iterator(chunk_size=CHUNK):
            checked += 1
            while nxt is not None and nxt[0] < obj.pk:
                problem(record=record_type, id=nxt[0], entry=nxt[1], problem="deleted")
                nxt = next(logged, None)
            if nxt is None or nxt[0] != obj.pk:
                problem(record=record_type, id=obj.pk, entry=None, problem="not_logged")
                continue
            expected = _expected(record_type, obj.pk, nxt[1], nxt[2], revisions, delivered)
            current = published_fields(obj)
            changed = {k: {"logged": expected.get(k), "now": current.get(k)}
                       for k in current.keys() | expected.keys()
                       if k in current and expected.get(k) != current.get(k)}
            if changed:
                problem(record=record_type, id=obj.pk, entry=nxt[1], problem="changed", fields=changed)
            nxt = next(logged, None)
        while nxt is not None:
            problem(record=record_type, id=nxt[0], entry=nxt[1], problem="deleted")
            nxt = next(logged, None)
    Audit.objects.filter(pk=audit.pk).update(finished_at=timezone.now(), checked=checked, problem_count=count,
                                             problems=problems)
    audit.refresh_from_db()
    return audit


def latest() -> Audit | None:
    return Audit.objects.filter(finished_at__isnull=False).order_by("-started_at").first()


def summary_by_record(audit: Audit) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for p in audit.problems:
        out[p["record"]] += 1
    return dict(out)

"""Existing data enters the public ledger once, in a fixed order, when the ledger is created
(migration ``recipients/0017``; here because it reads budgets and applications alike): ceilings,
allocations, revisions, realizations and reversals, approvals, handovers and withheld names — each
kind by id, each entry timed at its record's creation, its office and role those of who made it
when that is known."""

from __future__ import annotations

from django.db.models import Q

from ledger import entries
from ledger.models import PendingEntry
from programs.models import Allocation, AllocationRevision, BudgetCeiling, Realization
from recipients.models import Application, RecipientGroup, State, VerificationStep

CHUNK = 5000


def _kinds():
    yield entries.CEILING_SET, BudgetCeiling.objects.select_related("created_by__agency"), "created_by", None
    yield entries.ALLOCATION_MADE, Allocation.objects.select_related("created_by__agency"), "created_by", None
    yield (entries.ALLOCATION_REVISED, AllocationRevision.objects.select_related("actor__agency"), "actor",
           lambda r: {"allocation": r.allocation_id})
    yield (entries.REALIZATION_RECORDED, Realization.objects.filter(reverses__isnull=True)
           .select_related("created_by__agency", "handover__application__group"), "created_by", None)
    yield (entries.REALIZATION_REVERSED, Realization.objects.filter(reverses__isnull=False)
           .select_related("created_by__agency", "reverses__handover"), "created_by", None)
    yield (entries.APPLICATION_APPROVED, Application.objects.filter(state__in=[State.APPROVED, State.DELIVERED]),
           None, None)
    yield (entries.HANDOVER_RECORDED, VerificationStep.objects.filter(to_state=State.DELIVERED)
           .select_related("actor__agency"), "actor", None)
    yield entries.NAME_WITHHELD, RecipientGroup.objects.filter(~Q(name_withheld_reason="")), None, None


def record_existing() -> int:
    """Queue every existing public record as one entry each, in the fixed order above."""
    count = 0
    for kind, queryset, actor_field, also in _kinds():
        batch = []
        for obj in queryset.order_by("id").iterator(chunk_size=CHUNK):
            actor = getattr(obj, actor_field) if actor_field else None
            at = getattr(obj, "created_at", None) or getattr(obj, "updated_at", None)
            batch.append(PendingEntry(created_at=at, kind=kind, record_type=obj._meta.label_lower,
                                      record_id=obj.pk, body=entries.body(kind, obj, actor, at,
                                                                          also(obj) if also else None)))
            if len(batch) >= CHUNK:
                PendingEntry.objects.bulk_create(batch)
                count, batch = count + len(batch), []
        PendingEntry.objects.bulk_create(batch)
        count += len(batch)
    return count

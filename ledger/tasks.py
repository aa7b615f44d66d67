"""Celery: integrate the pending entries into the log (beat, every LEDGER_SECONDS)."""

from celery import shared_task

from ledger import log


@shared_task(acks_late=True)
def integrate() -> dict:
    signed = None
    while (checkpoint := log.integrate()) is not None:  # a burst bigger than one batch: all of it
        signed = checkpoint.size
        if not log.PendingEntry.objects.exists():
            break
    return {"size": log.tree_size(), "signed": signed}

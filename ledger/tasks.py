"""Celery: integrate the pending entries into the log (beat, every LEDGER_SECONDS)."""

from celery import shared_task

from ledger import log


@shared_task(acks_late=True)
def integrate() -> dict:
    signed = None
    while (checkpoint := log.integrate()) is not None:  # a burst bigger than one batch: all of it
        signed = checkpoint
        if not log.PendingEntry.objects.exists():
            break
    # The witnesses cosign the newest head (after the commit: writers never wait on them).
    latest = signed or log.latest()
    witnessed = log.cosign(latest) if latest is not None and log.witnesses() else {}
    return {"size": log.tree_size(), "signed": signed.size if signed else None, "witnesses": witnessed}

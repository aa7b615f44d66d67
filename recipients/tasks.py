"""Celery tasks for large imports: thin, take the batch id, call recipients.imports."""

from celery import shared_task

from recipients import imports
from recipients.models import ImportBatch


@shared_task(acks_late=True, reject_on_worker_lost=True)
def validate_import(batch_id: int) -> str:
    batch = ImportBatch.objects.get(pk=batch_id)
    return imports.batch_validate(batch).status


@shared_task(acks_late=True, reject_on_worker_lost=True)
def commit_import(batch_id: int) -> str:
    batch = ImportBatch.objects.get(pk=batch_id)
    if batch.status != ImportBatch.Status.COMMITTING:
        return batch.status  # a redelivered message for a batch that already finished
    return imports.batch_commit(batch).status

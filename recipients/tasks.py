"""Celery tasks for large imports: thin, take the batch id, call recipients.imports.

Both steps hold the batch's advisory lock while they work and end the batch as ready,
invalid, committed or failed whatever happens; ``reap_imports`` sends again what a dead
worker left behind."""

from celery import shared_task

from recipients import exports, imports, retention
from recipients.models import ExportJob, ImportBatch


@shared_task(acks_late=True, reject_on_worker_lost=True)
def validate_import(batch_id: int) -> str:
    batch = ImportBatch.objects.filter(pk=batch_id).first()
    if batch is None or batch.status != ImportBatch.Status.VALIDATING:
        return batch.status if batch else "missing"  # a resent message for a finished batch
    return imports.notify_uploader(imports.batch_validate(batch)).status


@shared_task(acks_late=True, reject_on_worker_lost=True)
def commit_import(batch_id: int) -> str:
    batch = ImportBatch.objects.filter(pk=batch_id).first()
    if batch is None or batch.status != ImportBatch.Status.COMMITTING:
        return batch.status if batch else "missing"
    return imports.notify_uploader(imports.batch_commit(batch)).status


@shared_task
def reap_imports() -> dict:
    """Every JOB_REAP_SECONDS: resend batches whose worker died or whose message was lost."""
    return imports.batches_reap()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def build_export(job_id: int) -> str:
    job = ExportJob.objects.filter(pk=job_id).select_related("created_by").first()
    if job is None or not job.busy:
        return job.status if job else "missing"
    return exports.job_build(job).status


@shared_task
def reap_exports() -> dict:
    """Every JOB_REAP_SECONDS: resend exports whose worker died; delete files past their time."""
    return exports.jobs_reap()


@shared_task
def run_retention() -> str:
    """Daily: a dry run of what person data has outlived its retention, or its erasure once the
    dry run is RETENTION_GRACE_DAYS old (recipients.retention.scheduled)."""
    run = retention.scheduled()
    return "nothing" if run is None else f"{'dry run' if run.dry_run else 'erased'} {len(run.group_ids)} groups"

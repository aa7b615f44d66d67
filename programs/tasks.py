"""Celery tasks: thin, take ids, call programs.rollup."""

from celery import shared_task
from django.db import OperationalError

from programs import rollup
from programs.models import RollupRun


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,  # a killed worker: the message goes back to the queue
    autoretry_for=(OperationalError,),
    retry_backoff=30,
    max_retries=3,
)
def run_rollup(self, run_id: int | None = None, trigger: str = "beat") -> dict:
    run = RollupRun.objects.filter(pk=run_id).first() if run_id else None
    if run is not None and run.status not in (RollupRun.Status.QUEUED, RollupRun.Status.RUNNING):
        return {"run": run.pk, "status": run.status}  # a redelivered message for a run that ended
    run = rollup.rollup_run(run=run, trigger=trigger)
    return {"run": run.pk, "status": run.status, "buckets": run.bucket_rows}


@shared_task
def catch_up_rollup() -> dict:
    """Hourly: if the last successful rollup is older than a day (a missed night), run now."""
    if rollup.rollup_is_stale() and rollup.rollup_in_progress() is None:
        run = rollup.rollup_run(trigger="catch-up")
        return {"run": run.pk, "status": run.status}
    return {"status": "fresh"}

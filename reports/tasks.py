"""Celery tasks: thin, take ids, call reports.rollup. Each catches its own failure: the run
row says what went wrong, and the reaper (not Celery's retry) recovers runs whose worker died."""

import logging

from celery import shared_task
from django.db import IntegrityError, transaction
from django.utils import timezone

from reports import flags, rollup
from reports.models import RollupRun
from reports.warm import warm_public_cache

log = logging.getLogger(__name__)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_rollup(run_id: int | None = None, trigger: str = "beat") -> dict:
    run = RollupRun.objects.filter(pk=run_id).first() if run_id else None
    if run_id and (run is None or run.status != RollupRun.Status.QUEUED):
        # A resent or redelivered message for a run that is being worked on or has ended.
        return {"run": run_id, "status": run.status if run else "missing"}
    if run is None and trigger == "beat":
        # One run per beat firing (cron's finest step is a minute), however many beats fired.
        slot = f"beat:{timezone.localtime():%Y-%m-%dT%H:%M}"
        try:
            with transaction.atomic():
                run = RollupRun.objects.create(trigger=trigger, slot=slot)
        except IntegrityError:
            return {"slot": slot, "status": "duplicate"}
    try:
        run = rollup.rollup_run(run=run, trigger=trigger)
    except Exception:  # recorded on the run by rollup_run; nothing for Celery to retry
        log.warning("rollup run for %s failed; see the run's error", run_id or trigger)
        return {"run": run_id, "status": RollupRun.Status.FAILED}
    warmed = 0
    # A live run (every few seconds in office hours) leaves each page to its next visitor; the
    # nightly and requested runs render the common pages ahead (reports.warm).
    if run.status == RollupRun.Status.SUCCESS and trigger != rollup.LIVE_TRIGGER:
        try:
            warmed = warm_public_cache()
        except Exception:  # a page that fails to render is a visitor's 500 too; the run stands
            log.exception("warming the public cache after rollup %s failed", run.pk)
    return {"run": run.pk, "status": run.status, "buckets": run.bucket_rows, "warmed": warmed}


@shared_task
def catch_up_rollup() -> dict:
    """Hourly: if the last successful rollup is older than a day (a missed night), run now."""
    rollup.rollup_reap()
    if not rollup.rollup_is_stale():
        return {"status": "fresh"}
    current = rollup.rollup_in_progress()
    if current is not None:  # stale, and a run is on its way (the reaper watches it)
        return {"status": "waiting", "run": current.pk}
    return run_rollup(trigger="catch-up")


@shared_task
def reap_rollups() -> dict:
    """Every JOB_REAP_SECONDS: re-queue runs whose worker died, resend lost messages."""
    return rollup.rollup_reap()


@shared_task
def rollup_if_changed() -> dict:
    """Every LIVE_ROLLUP_SECONDS: an incremental run when something changed (live figures)."""
    run = rollup.queue_if_changed()
    return {"status": "queued", "run": run.pk} if run else {"status": "idle"}


@shared_task(acks_late=True)
def audit_ledger() -> dict:
    """Nightly: the database against the public ledger (reports.ledger_audit)."""
    from reports import ledger_audit  # noqa: PLC0415

    audit = ledger_audit.run()
    if audit.problem_count:
        log.warning("ledger audit: %s records contradict the log", audit.problem_count)
    return {"checked": audit.checked, "problems": audit.problem_count}


@shared_task
def send_monthly_reports() -> dict:
    """Each morning: the previous month's realization report to every subscriber whose day has
    come (``reports.subscriptions``); once per month per subscription, however many beats fire."""
    from reports import subscriptions  # noqa: PLC0415 - WeasyPrint loads in the worker that mails

    return subscriptions.send_due()


@shared_task(acks_late=True)
def compute_flags() -> dict:
    """The nightly red flags over the whole country (``reports.flags.compute``)."""
    counts = flags.compute()
    log.info("red flags: %s", counts)
    return counts


@shared_task
def compute_flags_if_changed() -> dict | None:
    """Every FLAGS_LIVE_SECONDS: the red flags again when their records changed."""
    return flags.compute_if_changed()

"""Background work that cannot get stuck.

Every job (a rollup run, an import batch) lives as a row with a status. Three rules keep a row
from staying "queued" or "running" after a crash:

1. **Sending never fails a request.** ``enqueue`` publishes the Celery message after commit; if
   Redis is down it logs, and the row stays queued with no ``dispatched_at``: the reaper sends
   it again when Redis is back. Nothing is lost.
2. **A worker proves it is alive with a PostgreSQL advisory lock**, taken on its own
   connection for as long as it works on the job. PostgreSQL releases the lock when the
   transaction or connection ends, however the worker died (``client_connection_check_interval``
   makes a backend whose client vanished mid-query notice within seconds). So "running" and no
   lock holder means the owner is gone — a fact read from ``pg_locks``, not a guess from a
   timeout. A lock row with a lease would need a heartbeat from inside long statements, which a
   single-transaction rollup cannot give.
3. **A claim is one conditional UPDATE** (``status=queued → running``), so a message delivered
   twice (a resend, or Redis handing an unacknowledged message out again) runs the job once.

A job is sent with ``dispatch`` (after commit, stamping ``dispatched_at`` and ``attempts``) and
sent again with ``resend``; every reaper — the imports', the exports' and both phases of the
rollup's (``reports.rollup.rollup_reap``: one lock for every run, so it asks whether the run's
own backend holds it) — is ``reap`` over its busy rows. Tasks are named, not imported
(``"recipients.tasks.build_export"``): the work a task runs never imports the task module, so no
import circle hides behind a function-local import. The reapers run from beat every ``JOB_REAP_SECONDS``.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
from contextlib import contextmanager

from celery import current_app
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

log = logging.getLogger(__name__)

# Advisory-lock namespace (the first key of the two-key form): one per kind of job.
ROLLUP_LOCK_CLASS = 0x1CB0  # objid 1: a rollup run; objid 2: "refresh now" requests
IMPORT_LOCK_CLASS = 0x1CB1  # objid: the import batch id
EXPORT_LOCK_CLASS = 0x1CB2  # objid: the export job id


def owner_label() -> str:
    """Who works on a job, for people reading the status page: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def enqueue(task, **kwargs) -> bool:
    """Publish ``task(**kwargs)`` now (a task, or its registered name); False (logged) when the
    broker cannot be reached."""
    name = task if isinstance(task, str) else task.name
    try:
        if isinstance(task, str):
            current_app.send_task(task, kwargs=kwargs)
        else:
            task.apply_async(kwargs=kwargs)
    except Exception as exc:  # kombu.OperationalError, redis.ConnectionError, …
        log.warning("could not queue %s%s: %s (the reaper will send it again)", name, kwargs, exc)
        return False
    return True


def enqueue_on_commit(task, on_sent=None, on_failure=None, **kwargs) -> None:
    """``enqueue`` after the surrounding transaction commits; then ``on_sent()`` if it was sent,
    ``on_failure()`` if the broker could not take it."""

    def send():
        if enqueue(task, **kwargs):
            if on_sent is not None:
                on_sent()
        elif on_failure is not None:
            on_failure()

    transaction.on_commit(send)


def _stamp_sent(model, pk) -> None:
    model.objects.filter(pk=pk).update(dispatched_at=timezone.now(), attempts=F("attempts") + 1)


def dispatch(task, model, pk: int, **kwargs) -> None:
    """Send a job's message after commit; once the broker took it, its row (a ``JobLiveness``)
    records when and how often. With the broker down the row stays unsent: the reaper sends it."""
    enqueue_on_commit(task, on_sent=lambda: _stamp_sent(model, pk), **kwargs)


def resend(task, model, pk: int, **kwargs) -> bool:
    """Send a job's message again now (the reaper's side); True when the broker took it."""
    if not enqueue(task, **kwargs):
        return False
    _stamp_sent(model, pk)
    return True


def reap(queryset, lock_class: int, *, send, fail, now=None, since: str = "created_at", worked_on=None) -> dict:
    """The jobs of ``queryset`` nobody works on (``unattended``, with ``since`` and
    ``worked_on``): ``fail(job)`` after ``JOB_MAX_ATTEMPTS``, otherwise ``send(job)`` again (True
    when sent). Both are idempotent for the job, so two reapers at once are harmless. Serves the
    imports, the exports and both phases of the rollup's reaper. ~2 queries + 1 per job."""
    report = {"resent": 0, "failed": 0}
    for job in unattended(queryset, lock_class, now, since=since, worked_on=worked_on):
        if job.attempts >= settings.JOB_MAX_ATTEMPTS:
            fail(job)
            report["failed"] += 1
        elif send(job):
            report["resent"] += 1
    return report


@contextmanager
def session_lock(lock_class: int, objid: int):
    """Hold advisory lock (lock_class, objid) on this connection for the block; yields whether
    it was free. Released at the end of the block, or by PostgreSQL if the process dies."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [lock_class, objid])
        acquired = cursor.fetchone()[0]
    try:
        yield acquired
    finally:
        if acquired:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [lock_class, objid])
            except Exception:  # the connection is gone: so is the lock
                log.warning("advisory lock (%s, %s) released with its connection", lock_class, objid)


def lock_holders(lock_class: int) -> dict[int, int]:
    """{objid: backend pid} for every granted advisory lock of ``lock_class`` (one query)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT objid, pid FROM pg_locks WHERE locktype = 'advisory' AND classid = %s AND objsubid = 2 "
            "AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            [lock_class],
        )
        return {int(objid): pid for objid, pid in cursor.fetchall()}


def unattended(queryset, lock_class: int, now=None, *, since: str = "created_at", worked_on=None) -> list:
    """The jobs of ``queryset`` (its busy ones) nobody works on: no backend holds their advisory
    lock, they were last seen over ``JOB_GRACE_SECONDS`` ago (or never, and their ``since`` stamp
    is older than that), and their message was never sent, was sent over ``JOB_RESEND_SECONDS``
    ago, or was taken by a worker since (seen after it was sent). Two queries.

    Whether a job's lock is held: by default lock (``lock_class``, job id); a job kind with one
    lock for every job (the rollup) passes ``worked_on(job, holders)`` over ``{objid: pid}``."""
    now = now or timezone.now()
    grace = now - dt.timedelta(seconds=settings.JOB_GRACE_SECONDS)
    resend = now - dt.timedelta(seconds=settings.JOB_RESEND_SECONDS)
    holders = lock_holders(lock_class)
    worked_on = worked_on or (lambda job, held: job.pk in held)
    stuck = queryset.filter(
        Q(heartbeat_at__lt=grace) | Q(heartbeat_at__isnull=True, **{f"{since}__lt": grace}),
        Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=resend) | Q(heartbeat_at__gt=F("dispatched_at")),
    )
    return [job for job in stuck if not worked_on(job, holders)]

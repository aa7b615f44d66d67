"""Public reads from a PostgreSQL streaming replica, when ``DATABASE_REPLICA_URL`` is set.

- ``PublicReadMiddleware`` marks the requests that may read from the replica: GET/HEAD of the
  public pages, open data and the API — never the staff pages (``/kelola/``, ``/akun/``,
  ``/admin/``), which read what their user just wrote.
- ``ReplicaRouter`` sends those requests' reads of the public data (the ``core``, ``programs``,
  ``recipients`` and ``reports`` apps) to the ``replica`` alias; sessions, users and every write
  stay on the primary.
- The replica is used only while its replay lag is at most ``DATABASE_REPLICA_MAX_LAG_SECONDS``
  (checked at most every ``REPLICA_CHECK_SECONDS`` per process); a replica that lags more, or
  cannot be reached, is skipped and the primary answers.

Why a router and not a second web deployment: the same processes serve both kinds of page, and
a replica that falls behind or goes away costs nothing but the primary's load.
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time

from django.conf import settings
from django.db import DatabaseError, connections

log = logging.getLogger(__name__)

REPLICA = "replica"
PUBLIC_DATA_APPS = frozenset({"core", "programs", "recipients", "reports"})
STAFF_PREFIXES = ("/kelola/", "/akun/", "/admin/")

_public_request = contextvars.ContextVar("ikmrelief_public_request", default=False)
_health = {"checked": 0.0, "usable": False, "lag": None}
_health_lock = threading.Lock()

LAG_SQL = """
SELECT pg_is_in_recovery(),
       CASE WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0
            ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END
"""


def configured() -> bool:
    return REPLICA in settings.DATABASES


def replica_lag() -> float | None:
    """Seconds the replica's replay is behind (0 when it has replayed all it received); None if
    it cannot be reached or is not a standby."""
    try:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute(LAG_SQL)
            in_recovery, lag = cursor.fetchone()
    except DatabaseError as exc:
        log.warning("read replica unreachable: %s", exc)
        connections[REPLICA].close()
        return None
    return float(lag) if in_recovery else None


def replica_usable(now: float | None = None) -> bool:
    now = now if now is not None else time.monotonic()
    with _health_lock:
        if now - _health["checked"] < settings.REPLICA_CHECK_SECONDS:
            return _health["usable"]
        _health["checked"] = now
    lag = replica_lag()
    usable = lag is not None and lag <= settings.DATABASE_REPLICA_MAX_LAG_SECONDS
    if not usable and _health["usable"]:
        log.warning("read replica skipped (lag %s s, bound %s s)", lag, settings.DATABASE_REPLICA_MAX_LAG_SECONDS)
    _health.update(usable=usable, lag=lag)
    return usable


def forget_health() -> None:
    """Check the replica again on the next read (tests, and after a failover)."""
    with _health_lock:
        _health["checked"] = 0.0


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if _public_request.get() and model._meta.app_label in PUBLIC_DATA_APPS and replica_usable():
            return REPLICA
        return None

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica holds the same rows as the primary

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"


class PublicReadMiddleware:
    """Public GET/HEAD requests may read from the replica (see the module docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        public = request.method in ("GET", "HEAD") and not request.path.startswith(STAFF_PREFIXES)
        token = _public_request.set(public)
        try:
            return self.get_response(request)
        finally:
            _public_request.reset(token)

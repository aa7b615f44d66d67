"""Is background work possible right now? Asked by staff pages for the "paused" banner."""

from __future__ import annotations

import time

import redis
from django.conf import settings

_CHECK_EVERY = 10.0  # seconds; one ping per process per interval at most
_last = {"at": -_CHECK_EVERY, "up": True}


def broker_reachable() -> bool:
    """Whether Redis (the Celery broker) answers a PING within 0.3 s; cached per process."""
    now = time.monotonic()
    if now - _last["at"] >= _CHECK_EVERY:
        try:
            client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=0.3, socket_timeout=0.3)
            _last["up"] = bool(client.ping())
            client.close()
        except (redis.RedisError, OSError):
            _last["up"] = False
        _last["at"] = now
    return _last["up"]

"""The Redis cache as an optimisation only: when Redis is down, pages are served from PostgreSQL.

``ResilientRedisCache`` is django-redis's backend with every call guarded: an error is logged,
counted, and answered as a miss (reads) or a no-op (writes). After an error the cache is skipped
for ``CACHE_RETRY_SECONDS`` (a small circuit breaker), so a stopped Redis costs one failed
connection per process per interval instead of one per call.
"""

from __future__ import annotations

import logging
import threading
import time
from functools import wraps

from django_redis.cache import RedisCache

log = logging.getLogger("ikmrelief.cache")

_state = {"down_until": 0.0}
_lock = threading.Lock()


def cache_is_skipped() -> bool:
    return _state["down_until"] > time.monotonic()


def _guarded(default_factory):
    def decorator(method):
        @wraps(method)
        def wrapper(self, *args, **kwargs):
            if cache_is_skipped():
                return default_factory(args, kwargs)
            try:
                return method(self, *args, **kwargs)
            except Exception as exc:  # redis.ConnectionError, TimeoutError, a reset socket, …
                with _lock:
                    _state["down_until"] = time.monotonic() + self._retry_seconds
                log.warning("cache %s failed, serving without it for %ss: %s", method.__name__,
                            self._retry_seconds, exc)
                return default_factory(args, kwargs)

        return wrapper

    return decorator


def _default(args, kwargs):
    return kwargs.get("default", args[1] if len(args) > 1 else None)


def _none(args, kwargs):
    return None


def _false(args, kwargs):
    return False


def _empty(args, kwargs):
    return {}


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        options = params.get("OPTIONS", {})
        self._retry_seconds = float(options.pop("RETRY_SECONDS", 5))
        super().__init__(server, params)

    get = _guarded(_default)(RedisCache.get)
    set = _guarded(_false)(RedisCache.set)
    add = _guarded(_false)(RedisCache.add)
    delete = _guarded(_false)(RedisCache.delete)
    touch = _guarded(_false)(RedisCache.touch)
    has_key = _guarded(_false)(RedisCache.has_key)
    get_many = _guarded(_empty)(RedisCache.get_many)
    set_many = _guarded(_none)(RedisCache.set_many)
    delete_many = _guarded(_none)(RedisCache.delete_many)
    clear = _guarded(_none)(RedisCache.clear)
    incr = _guarded(_none)(RedisCache.incr)

    def get_or_set(self, key, default, timeout=None, version=None):
        value = self.get(key, version=version)
        if value is None:
            value = default() if callable(default) else default
            self.set(key, value, timeout=timeout, version=version)
        return value

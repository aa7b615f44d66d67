"""HTTP and server-side caching of public pages.

A public page depends only on the rollup (and published fields), so its identity is
(last rollup time, language, URL). That makes the ETag, the Last-Modified date and the
Redis cache key: a new rollup is a new generation, and old entries simply expire.
Logged-in staff get a fresh render (their name is in the header), never a shared one.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse, HttpResponseNotModified
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import http_date
from django.utils.translation import get_language
from django.views.decorators.cache import cache_control
from django.views.decorators.http import conditional_page, require_safe

from core.budget import bounded
from core.params import BadParameter

# Bump when a release changes what public pages show, so no stale render survives a deploy.
RENDER_VERSION = "1"


# The entries stored last are also kept in each process for a few seconds, saving the Redis round
# trip on a busy page (a news link shared at once). An entry's key holds its rollup generation,
# so a copy is never of an older rollup than Redis's; it is at most MEMO_SECONDS behind it, and
# only small pages are kept (an open-data download is not), in at most MEMO_ENTRIES copies.
MEMO_SECONDS = 5.0
MEMO_ENTRIES = 64
MEMO_MAX_BYTES = 512 * 1024
_memo: OrderedDict[str, tuple[float, tuple]] = OrderedDict()
_memo_lock = threading.Lock()  # a threaded server (runserver, the browser tests' live server)


def _memo_get(key: str):
    hit = _memo.get(key)
    if hit is None:
        return None
    if time.monotonic() - hit[0] > min(MEMO_SECONDS, settings.PUBLIC_CACHE_SECONDS):
        _memo.pop(key, None)
        return None
    return hit[1]


def _memo_set(key: str, entry: tuple) -> None:
    if len(entry[0]) > MEMO_MAX_BYTES or not settings.PUBLIC_CACHE_SECONDS:
        return
    with _memo_lock:
        _memo[key] = (time.monotonic(), entry)
        _memo.move_to_end(key)
        while len(_memo) > MEMO_ENTRIES:
            _memo.popitem(last=False)


class _Generation:
    """Where the public pages' generation comes from: ``stamp()`` is the time of the figures on
    screen, ``forget()`` drops a process's copy of it. The reports app registers its rollup here
    at start-up (``ReportsConfig.ready``): core imports no app of the product."""

    stamp = staticmethod(lambda: None)
    forget = staticmethod(lambda: None)


def register_generation(*, stamp, forget) -> None:
    _Generation.stamp, _Generation.forget = staticmethod(stamp), staticmethod(forget)


def forget_process_copies() -> None:
    """Drop this process's copies of pages and of the generation stamp (tests and benches, with
    the shared cache cleared), so the next request reads Redis or renders."""
    _memo.clear()
    _Generation.forget()


def _stamp():
    return _Generation.stamp()


def canonical_query(request, params: dict) -> str:
    """The query string as the page reads it: only ``params`` ({name: parser}), each parsed to
    its canonical form (``tahun=02021`` → ``2021``; a value that does not parse is kept as sent,
    so it still gets its own answer, the page's 400), in sorted order; everything else dropped."""
    pairs = []
    for name in sorted(params):
        value = request.GET.get(name)
        if value in (None, ""):
            continue
        try:
            parsed = params[name](value)
        except (BadParameter, ValueError):
            parsed = value
        if parsed not in (None, ""):
            pairs.append((name, str(parsed)))
    return urlencode(pairs)


def public_page(view=None, *, params: dict | None = None):
    """GET/HEAD only; ETag + Last-Modified; 304 on a match; Redis-cached for anonymous users.

    ``params`` ({name: parser}) are the query parameters the page reads. The cache key (and the
    ETag) then holds only those, canonical and sorted (``canonical_query``), so ``?utm=…``,
    ``?tahun=2021&x=1`` and ``?x=1&tahun=2021`` all reuse ``?tahun=2021``'s entry instead of
    rendering and storing another copy. Without ``params`` the key is the full URL (the API,
    whose many filters are validated by django-filter)."""
    if view is None:
        return lambda v: public_page(v, params=params)
    view = bounded(view)

    @wraps(view)
    @require_safe
    def wrapper(request, *args, **kwargs):
        as_of = _stamp()
        where = request.get_full_path() if params is None else f"{request.path}?{canonical_query(request, params)}"
        identity = f"{RENDER_VERSION}|{as_of.isoformat() if as_of else '-'}|{get_language()}|{where}"
        etag = f'"{hashlib.sha256(identity.encode()).hexdigest()[:32]}"'
        anonymous = not request.user.is_authenticated
        if anonymous and request.headers.get("If-None-Match") == etag:
            response = HttpResponseNotModified()
        elif anonymous:
            key = f"public:{etag}"
            cached = _memo_get(key)
            if cached is None:
                cached = cache.get(key)
                if cached is not None:
                    _memo_set(key, cached)
            if cached is not None:
                content, content_type, disposition = cached
                response = HttpResponse(content, content_type=content_type)
                if disposition:
                    response["Content-Disposition"] = disposition
            else:
                response = view(request, *args, **kwargs)
                if response.status_code == 200 and not response.streaming:
                    if hasattr(response, "render"):
                        response.render()
                    entry = (response.content, response["Content-Type"], response.get("Content-Disposition"))
                    cache.set(key, entry, settings.PUBLIC_CACHE_SECONDS)
                    _memo_set(key, entry)
        else:
            response = view(request, *args, **kwargs)
        if response.status_code in (200, 304):
            response["ETag"] = etag
            if as_of:
                response["Last-Modified"] = http_date(as_of.timestamp())
            if anonymous:
                patch_cache_control(response, public=True, max_age=browser_seconds())
            else:
                patch_cache_control(response, private=True, no_cache=True)
        patch_vary_headers(response, ["Cookie"])
        return response

    return wrapper


def browser_seconds() -> int:
    """How long a browser or shared cache may keep a rollup page without asking again (then a
    304 through the ETag costs no render): a minute, or the live-figures tick when it is
    shorter, so that a change is on screen within a minute of being saved (issue 24)."""
    return min(60, settings.LIVE_ROLLUP_SECONDS or 60)


def live_public_page(view):
    """For public pages read live rather than from the rollup (the aided groups, the trail
    behind a figure): GET/HEAD only, a minute in shared caches, an ETag from the content and
    304 on a match. A name the province withholds is gone within that minute."""
    return require_safe(conditional_page(cache_control(public=True, max_age=60)(bounded(view))))

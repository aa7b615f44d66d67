"""Warm the public cache for a new rollup generation.

Public pages are cached per rollup run (``core.cache.public_page``), so at the end of a run every
key changes at once. Rendered cold, the first visitors of each page after a night's run would
all wait for a render at the same moment. The worker that made the run renders the common pages
once instead — the national page, every province page and the open-data page, in each language —
through the whole middleware stack, as an anonymous visitor, so they are stored exactly as a
visitor's request would store them.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.test import Client

from core.models import Region

log = logging.getLogger(__name__)


def _host() -> str:
    for host in settings.ALLOWED_HOSTS:
        if host and host != "*":
            return host.lstrip(".")
    return "localhost"


def common_paths() -> list[str]:
    return ["/", "/data/"] + [f"/provinsi/{code}/" for code in
                              Region.objects.provinces().order_by("code").values_list("code", flat=True)]


def warm_public_cache() -> int:
    """Render each common page once per language; returns how many were stored (status 200)."""
    client = Client(HTTP_HOST=_host(), secure=settings.SECURE_SSL_REDIRECT, raise_request_exception=False)
    stored = 0
    paths = common_paths()
    for language, _label in settings.LANGUAGES:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        for path in paths:
            stored += client.get(path).status_code == 200
    return stored

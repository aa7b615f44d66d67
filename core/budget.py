"""A bound on what one anonymous request may cost the database.

Any visitor can ask a public page or the API for any combination of province × year × regency ×
OPD × program. Every combination measured is served by an index (issue 28, BENCHMARKS.md), but a
combination nobody measured must not keep a web worker busy for the 28 s of the site-wide
statement timeout, nor answer with an error page when it hits it. So a public view runs with
``PUBLIC_STATEMENT_TIMEOUT_MS`` per statement on every database it reads, and a statement that
reaches it is answered as a refusal — status 503, the site's page saying to narrow the filters,
the URL logged so that the combination can be given an index — never as a 500.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from functools import wraps

from django.conf import settings
from django.db import DatabaseError, connections
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _
from psycopg2 import errors

log = logging.getLogger(__name__)


def _set_timeout(milliseconds: int | None) -> None:
    for alias in settings.DATABASES:
        connection = connections[alias]
        try:
            with connection.cursor() as cursor:
                if milliseconds is None:
                    cursor.execute("RESET statement_timeout")  # the session's own (settings.DATABASES)
                else:
                    cursor.execute("SET statement_timeout = %s", [milliseconds])
        except DatabaseError:
            if alias == "default":
                raise
            # A read replica that cannot be reached is skipped by core.replica's router as well:
            # the public page must not fail on the budget before the router falls back.
            connection.close()


@contextmanager
def statement_budget(milliseconds: int):
    """Every statement on every database at most ``milliseconds`` inside the block (outside a
    transaction: public views only read)."""
    _set_timeout(milliseconds)
    try:
        yield
    finally:
        try:
            _set_timeout(None)
        except DatabaseError:  # the connection broke: never hand it on with the public budget
            for alias in settings.DATABASES:
                connections[alias].close()


def too_costly(exc: BaseException) -> bool:
    return isinstance(getattr(exc, "__cause__", None), errors.QueryCanceled)


def refusal(request) -> HttpResponse:
    message = _("Kombinasi saringan ini terlalu berat untuk dihitung sekarang. Persempit pilihan Anda "
                "(mis. pilih provinsi atau tahun), lalu coba lagi.")
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=503)
    return HttpResponse(loader.render_to_string("core/too_costly.html", {"message": message}, request), status=503)


def bounded(view):
    """Run ``view`` within the public budget for anonymous requests (staff keep the site-wide one)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        budget = settings.PUBLIC_STATEMENT_TIMEOUT_MS
        if not budget or request.user.is_authenticated:
            return view(request, *args, **kwargs)
        try:
            with statement_budget(budget):
                response = view(request, *args, **kwargs)
                if hasattr(response, "render") and not response.is_rendered:
                    response.render()  # DRF and template responses query while rendering
                return response
        except DatabaseError as exc:
            if not too_costly(exc):
                raise
            log.warning("public request over its budget of %s ms: %s", budget, request.get_full_path())
            return refusal(request)

    return wrapper

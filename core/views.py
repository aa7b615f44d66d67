import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe


def _api_error(request, status: int, message: str):
    """Errors under /api/ answer JSON ({"detail": …}), as the OpenAPI schema documents."""
    if not request.path.startswith("/api/"):
        return None
    return JsonResponse({"detail": str(message)}, status=status)


def bad_request(request, exception=None, message: str = ""):
    """400 in the user's language, with what was wrong when we know it."""
    return _api_error(request, 400, message or _("Permintaan tidak valid")) or render(
        request, "400.html", {"message": message}, status=400)


def permission_denied(request, exception=None):
    return _api_error(request, 403, _("Akses ditolak")) or render(request, "403.html", status=403)


def page_not_found(request, exception=None):
    return _api_error(request, 404, _("Halaman tidak ditemukan")) or render(request, "404.html", status=404)


# How long a client should wait before retrying while the database is away (a restart takes seconds).
RETRY_AFTER_SECONDS = 10


def server_error(request):
    """500, or 503 with ``Retry-After`` when what failed is reaching the database (a restart, a
    failover): the request changed nothing and will work again shortly. Called inside Django's
    exception handler, so ``sys.exc_info()`` is the error. No context processors that might fail
    again: a plain render of a static template."""
    unreachable = isinstance(sys.exc_info()[1], OperationalError | InterfaceError)
    status = 503 if unreachable else 500
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": "Layanan sedang tidak tersedia; coba lagi sebentar lagi."
                                 if unreachable else "Terjadi kesalahan pada server."}, status=status)
    else:
        response = HttpResponse(loader.get_template(f"{status}.html").render({}), status=status)
    if unreachable:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


@require_safe
def set_language(request, code):
    """Switch between Indonesian and English with a plain link (no form, so public pages
    carry no CSRF token and can be cached). Only changes a preference cookie."""
    if code not in dict(settings.LANGUAGES):
        raise Http404
    target = request.GET.get("next", "/")
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    if not safe:
        target = "/"
    response = HttpResponseRedirect(target)
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, code, max_age=365 * 24 * 3600, samesite="Lax")
    return response


def ping(request):
    """Health check for load balancers and docker-compose: no database, no template."""
    return HttpResponse("ok", content_type="text/plain")

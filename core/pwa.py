"""The web app manifest and ``/favicon.ico``: the product installs on a phone's home screen with its
own name and icon (drawn by ``manage.py make_icons``), in the visitor's language."""

import functools
import hashlib
import json

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe
from django.views.decorators.vary import vary_on_headers

BRAND = "#0b5d4b"


@require_safe
@vary_on_headers("Cookie")
@cache_control(public=True, max_age=3600)
def manifest(request):
    icons = [{"src": static(f"icons/icon-{size}.png"), "sizes": f"{size}x{size}", "type": "image/png"}
             for size in (192, 512)]
    icons.append({"src": static("icons/maskable-512.png"), "sizes": "512x512", "type": "image/png",
                  "purpose": "maskable"})
    return JsonResponse({
        "name": _("IKM Relief — bantuan IKM terdampak Covid-19"),
        "short_name": "IKM Relief",
        "description": _("Anggaran, verifikasi penerima dan realisasi bantuan pemulihan IKM terdampak Covid-19."),
        "lang": get_language() or settings.LANGUAGE_CODE,
        "start_url": reverse("dashboard"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#f5f7fa",
        "theme_color": BRAND,
        "icons": icons,
    }, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False})


@require_safe
@cache_control(public=True, max_age=86400)
def favicon(request):
    path = finders.find("icons/favicon.ico")
    if path is None:
        raise Http404
    return FileResponse(open(path, "rb"), content_type="image/x-icon")


@functools.cache
def _precache() -> str:
    """The app shell for Workbox's precache: each file with a revision taken from its content."""
    entries = []
    for name in ("css/app.css", "js/forms.js", "js/outbox.js", "js/field.js", "js/sw-register.js",
                 "vendor/idb/umd.js", "icons/icon-192.png"):
        path = finders.find(name)
        if path:
            with open(path, "rb") as f:
                entries.append({"url": static(name), "revision": hashlib.sha256(f.read()).hexdigest()[:16]})
    return json.dumps(entries)


@require_safe
def service_worker(request):
    """``/sw.js`` at the site root, so its scope covers the staff pages; never cached by the browser's
    HTTP cache (a new version is picked up on the next visit)."""
    response = render(request, "pwa/sw.js", {"precache": _precache(), "field_app_url": reverse("recipients:field-app")},
                      content_type="application/javascript")
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = "/"
    return response

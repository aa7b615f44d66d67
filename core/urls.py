from django.urls import path

from core import pwa, views

app_name = "core"

urlpatterns = [
    path("bahasa/<str:code>/", views.set_language, name="set-language"),
    path("ping/", views.ping, name="ping"),
    path("manifest.webmanifest", pwa.manifest, name="manifest"),
    path("favicon.ico", pwa.favicon, name="favicon"),
    path("sw.js", pwa.service_worker, name="service-worker"),
]

from django.contrib import admin
from django.urls import include, path

from ikmrelief import views
from reports import views as public

urlpatterns = [
    path("", public.national, name="home"),
    path("dasbor/", views.dashboard, name="dashboard"),
    path("admin/", admin.site.urls),
    path("api/", include("reports.api")),
    path("data/", include("reports.opendata_urls")),
    path("akun/", include("accounts.urls")),
    path("", include("reports.urls")),
    path("", include("programs.urls")),
    path("", include("recipients.urls")),
    path("", include("core.urls")),
    path("", include("ledger.urls")),
]

handler400 = "core.views.bad_request"
handler403 = "core.views.permission_denied"
handler404 = "core.views.page_not_found"
handler500 = "core.views.server_error"

from django.urls import path

from reports import flag_views, views

app_name = "reports"

urlpatterns = [
    path("provinsi/<str:code>/", views.province_detail, name="province-detail"),
    path("kabupaten/<str:code>/", views.regency_detail, name="regency-detail"),
    path("program/<int:pk>/", views.program_detail, name="program-detail"),
    path("opd/<int:pk>/", views.agency_detail, name="agency-detail"),
    path("cari/", views.search, name="search"),
    path("penerima/", views.aided_groups, name="aided-groups"),
    path("jejak/<slug:figure>/", views.figure_trail, name="trail"),
    path("provinsi/<str:code>/pdf/", views.province_pdf, name="province-pdf"),
    path("definisi/", views.definitions, name="definitions"),
    path("integritas/", views.integrity, name="integrity"),
    path("kelola/laporan/realisasi/", views.report_realization, name="report-realization"),
    path("kelola/laporan/serah-terima/<int:pk>/", views.handover_record, name="handover-record"),
    path("kelola/laporan/lampiran-sk/", views.decree_attachment, name="decree-attachment"),
    path("kelola/laporan/langganan/", views.subscription_create, name="subscription-create"),
    path("kelola/laporan/langganan/<int:pk>/hapus/", views.subscription_delete, name="subscription-delete"),
    path("langganan/berhenti/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("kelola/temuan/", flag_views.flag_list, name="flag-list"),
    path("kelola/temuan/<int:pk>/", flag_views.flag_detail, name="flag-detail"),
    path("kelola/temuan/dokumen/<int:pk>/", flag_views.flag_document, name="flag-document"),
    path("kelola/rekap/", views.rollup_status, name="rollup-status"),
    path("kelola/rekap/hitung-ulang/", views.rollup_refresh, name="rollup-refresh"),
]

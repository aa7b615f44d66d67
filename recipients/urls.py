from django.urls import path

from recipients.views import field, manage, privacy

app_name = "recipients"

urlpatterns = [
    path("kelola/kelompok/", manage.group_list, name="group-list"),
    path("kelola/data-pribadi/", privacy.access_log, name="access-log"),
    path("kelola/data-pribadi/permintaan/", privacy.data_request, name="data-request"),
    path("kelola/data-pribadi/dapat-dilihat.csv", privacy.could_see, name="could-see"),
    path("kelola/kelompok/baru/", manage.group_create, name="group-create"),
    path("kelola/kelompok/ekspor.<str:fmt>", manage.group_export, name="group-export"),
    path("kelola/ekspor/", manage.export_create, name="export-create"),
    path("kelola/ekspor/<int:pk>/", manage.export_detail, name="export-detail"),
    path("kelola/ekspor/<int:pk>/unduh/", manage.export_download, name="export-download"),
    path("kelola/kelompok/<int:pk>/", manage.group_detail, name="group-detail"),
    path("kelola/kelompok/<int:pk>/ubah/", manage.group_edit, name="group-edit"),
    path("kelola/kelompok/<int:pk>/publikasi/", manage.group_publication, name="group-publication"),
    path("kelola/kelompok/<int:pk>/usulkan/", manage.group_propose, name="group-propose"),
    path("kelola/verifikasi/", manage.queue, name="queue"),
    path("kelola/verifikasi/massal/", manage.queue_bulk, name="queue-bulk"),
    path("kelola/lapangan/", field.field_app, name="field-app"),
    path("kelola/lapangan/paket/", field.field_package, name="field-package"),
    path("kelola/lapangan/kirim/", field.field_submit, name="field-submit"),
    path("kelola/usulan/", manage.application_list, name="application-list"),
    path("kelola/usulan/<int:pk>/", manage.application_detail, name="application-detail"),
    path("kelola/usulan/<int:pk>/langkah/", manage.application_advance, name="application-advance"),
    path("kelola/bukti/<int:pk>/", manage.evidence_download, name="evidence"),
    path("kelola/ganda/", manage.duplicate_list, name="duplicate-list"),
    path("kelola/impor/", manage.import_upload, name="import-upload"),
    path("kelola/impor/<int:pk>/", manage.import_detail, name="import-detail"),
    path("kelola/impor/<int:pk>/simpan/", manage.import_commit, name="import-commit"),
    path("kelola/impor/<int:pk>/kesalahan.csv", manage.import_errors, name="import-errors"),
]

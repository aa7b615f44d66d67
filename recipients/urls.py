from django.urls import path

from recipients.views import applications, field, groups, privacy, transfer

app_name = "recipients"

urlpatterns = [
    path("kelola/kelompok/", groups.group_list, name="group-list"),
    path("kelola/data-pribadi/", privacy.access_log, name="access-log"),
    path("kelola/data-pribadi/permintaan/", privacy.data_request, name="data-request"),
    path("kelola/data-pribadi/dapat-dilihat.csv", privacy.could_see, name="could-see"),
    path("kelola/kelompok/baru/", groups.group_create, name="group-create"),
    path("kelola/kelompok/ekspor.<str:fmt>", transfer.group_export, name="group-export"),
    path("kelola/ekspor/", transfer.export_create, name="export-create"),
    path("kelola/ekspor/<slug:table>.<str:fmt>", transfer.table_export, name="table-export"),
    path("kelola/ekspor/<int:pk>/", transfer.export_detail, name="export-detail"),
    path("kelola/ekspor/<int:pk>/unduh/", transfer.export_download, name="export-download"),
    path("kelola/kelompok/<int:pk>/", groups.group_detail, name="group-detail"),
    path("kelola/kelompok/<int:pk>/ubah/", groups.group_edit, name="group-edit"),
    path("kelola/kelompok/<int:pk>/publikasi/", groups.group_publication, name="group-publication"),
    path("kelola/kelompok/<int:pk>/usulkan/", groups.group_propose, name="group-propose"),
    path("kelola/verifikasi/", applications.queue, name="queue"),
    path("kelola/verifikasi/massal/", applications.queue_bulk, name="queue-bulk"),
    path("kelola/lapangan/", field.field_app, name="field-app"),
    path("kelola/lapangan/paket/", field.field_package, name="field-package"),
    path("kelola/lapangan/kirim/", field.field_submit, name="field-submit"),
    path("kelola/usulan/", applications.application_list, name="application-list"),
    path("kelola/usulan/<int:pk>/", applications.application_detail, name="application-detail"),
    path("kelola/usulan/<int:pk>/langkah/", applications.application_advance, name="application-advance"),
    path("kelola/bukti/<int:pk>/", applications.evidence_download, name="evidence"),
    path("kelola/ganda/", applications.duplicate_list, name="duplicate-list"),
    path("kelola/impor/", transfer.import_upload, name="import-upload"),
    path("kelola/impor/<int:pk>/", transfer.import_detail, name="import-detail"),
    path("kelola/impor/<int:pk>/simpan/", transfer.import_commit, name="import-commit"),
    path("kelola/impor/<int:pk>/kesalahan.csv", transfer.import_errors, name="import-errors"),
    path("kelola/impor/templat.<str:fmt>", transfer.import_template, name="import-template"),
]

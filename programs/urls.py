from django.urls import path

from programs.views import manage

app_name = "programs"

urlpatterns = [
    path("kelola/pagu/", manage.ceiling_list, name="ceiling-list"),
    path("kelola/pagu/baru/", manage.ceiling_create, name="ceiling-create"),
    path("kelola/pagu/<int:pk>/", manage.ceiling_detail, name="ceiling-detail"),
    path("kelola/pagu/<int:pk>/ubah/", manage.ceiling_edit, name="ceiling-edit"),
    path("kelola/alokasi/", manage.allocation_list, name="allocation-list"),
    path("kelola/alokasi/baru/", manage.allocation_create, name="allocation-create"),
    path("kelola/alokasi/<int:pk>/", manage.allocation_detail, name="allocation-detail"),
    path("kelola/alokasi/<int:pk>/revisi/", manage.allocation_revise, name="allocation-revise"),
    path("kelola/alokasi/<int:pk>/realisasi/", manage.realization_create, name="realization-create"),
    path("kelola/realisasi/", manage.realization_list, name="realization-list"),
    path("kelola/realisasi/<int:pk>/koreksi/", manage.realization_reverse, name="realization-reverse"),
    path("kelola/program/", manage.program_list, name="program-list"),
    path("kelola/program/baru/", manage.program_edit, name="program-create"),
    path("kelola/program/<int:pk>/ubah/", manage.program_edit, name="program-edit"),
]


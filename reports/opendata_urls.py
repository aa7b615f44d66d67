from django.urls import path

from reports import opendata

app_name = "opendata"

urlpatterns = [
    path("", opendata.index, name="index"),
    path("anggaran.<str:fmt>", opendata.download, name="download"),
    path("kelompok-penerima.csv", opendata.aided_groups, name="aided-groups"),
    path("temuan.csv", opendata.flag_counts, name="flag-counts"),
    path("datapackage.json", opendata.datapackage, name="datapackage"),
    path("metadata.json", opendata.datapackage, name="metadata"),
]

from django.urls import path, re_path

from ledger import views

app_name = "ledger"

INDEX = r"(?P<path>(?:x\d{3}/)*\d{3})(?:\.p/(?P<width>\d{1,3}))?"

urlpatterns = [
    path("buku-besar/", views.index, name="index"),
    path("buku-besar/checkpoint", views.checkpoint, name="checkpoint"),
    path("data/buku-besar.zip", views.archive, name="archive"),
    re_path(rf"^buku-besar/tile/entries/{INDEX}$", views.entries, name="entries"),
    re_path(rf"^buku-besar/tile/(?P<level>[0-9]|[1-5][0-9]|6[0-3])/{INDEX}$", views.tile, name="tile"),
]

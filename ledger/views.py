"""The log over HTTP as C2SP tlog-tiles, under ``/buku-besar/``: ``checkpoint`` (the latest signed
tree head, mutable, cached a few seconds), ``tile/<L>/<N>[.p/<W>]`` (hashes) and
``tile/entries/<N>[.p/<W>]`` (entry bundles), immutable: a tile of a given width never changes."""

from __future__ import annotations

import base64
import datetime as dt
import json

from django.conf import settings
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_noop
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe
from ikmrelief_verify import tiles

from ledger import archive as zipped
from ledger import entries as kinds
from ledger import log
from ledger.models import Checkpoint, Entry, PendingEntry, Tile

IMMUTABLE = {"public": True, "max_age": 31_536_000, "immutable": True}


@require_safe
@cache_control(public=True, max_age=5)
def checkpoint(request):
    latest = log.latest()
    if latest is None:
        raise Http404
    return HttpResponse(log.served(latest), content_type="text/plain; charset=utf-8")


def _index_and_width(path: str, width: str | None) -> tuple[int, int]:
    try:
        index = tiles.decode_index(path)
    except ValueError:
        raise Http404 from None
    w = int(width) if width else tiles.WIDTH
    if not 1 <= w <= tiles.WIDTH or (width and w == tiles.WIDTH):
        raise Http404
    return index, w


@require_safe
@cache_control(**IMMUTABLE)
def tile(request, level, path, width=None):
    index, w = _index_and_width(path, width)
    data = Tile.objects.filter(level=int(level), index=index, width=w).values_list("data", flat=True).first()
    if data is None:
        raise Http404
    return HttpResponse(bytes(data), content_type="application/octet-stream")


@require_safe
@cache_control(**IMMUTABLE)
def entries(request, path, width=None):
    index, w = _index_and_width(path, width)
    first = index * tiles.WIDTH
    bodies = list(Entry.objects.filter(index__gte=first, index__lt=first + w).order_by("index")
                  .values_list("body", flat=True))
    if len(bodies) != w:
        raise Http404
    return HttpResponse(tiles.bundle([bytes(b) for b in bodies]), content_type="application/octet-stream")


@require_safe
@cache_control(public=True, max_age=60)
def archive(request):
    """``/data/buku-besar.zip``: the latest checkpoint and every tile and entry under it, streamed
    (``ledger.archive``), for checking offline."""
    latest = log.latest()
    if latest is None:
        raise Http404
    response = StreamingHttpResponse(zipped.stream(latest, request.build_absolute_uri("/").rstrip("/")),
                                     content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="buku-besar-{latest.size}.zip"'
    return response


KIND_LABELS = {  # shown through {% translate %} in the reader's language
    kinds.CEILING_SET: gettext_noop("Pagu ditetapkan"), kinds.CEILING_CHANGED: gettext_noop("Pagu diubah"),
    kinds.ALLOCATION_MADE: gettext_noop("Alokasi dibuat"), kinds.ALLOCATION_REVISED: gettext_noop("Alokasi direvisi"),
    kinds.REALIZATION_RECORDED: gettext_noop("Realisasi dicatat"),
    kinds.REALIZATION_REVERSED: gettext_noop("Realisasi dikoreksi"),
    kinds.APPLICATION_APPROVED: gettext_noop("Usulan disetujui"),
    kinds.HANDOVER_RECORDED: gettext_noop("Serah terima dicatat"),
    kinds.NAME_WITHHELD: gettext_noop("Publikasi nama kelompok diputuskan"),
}


@require_safe
@cache_control(public=True, max_age=15)
def index(request):
    """``/buku-besar/``: what the log is, its latest signed head, its key, how to check it, and its
    history — the latest checkpoints and entries."""
    latest = log.latest()
    recent = []
    for e in Entry.objects.order_by("-index")[:20]:
        body = json.loads(bytes(e.body))
        recent.append({"index": e.index, "kind": KIND_LABELS.get(e.kind, e.kind), "record": e.record_type,
                       "record_id": e.record_id, "office": body.get("office", ""),
                       "time": dt.datetime.fromisoformat(body["time"]) if body.get("time") else None,
                       "logged_at": e.logged_at})
    return render(request, "ledger/index.html", {
        "latest": latest, "root": base64.b64encode(bytes(latest.root)).decode() if latest else "",
        "key": log.public_key(), "checkpoints": Checkpoint.objects.order_by("-size")[:10], "recent": recent,
        "pending": PendingEntry.objects.count(), "seconds": settings.LEDGER_SECONDS,
        "witnesses": [{"name": v.name, "vkey": v.vkey, "cosigned": bool(latest) and latest.cosignatures.filter(
            witness=v.name).exists()} for _url, v in log.witnesses()],
        "served": log.served(latest) if latest else "",
        "prefix": request.build_absolute_uri("/buku-besar"), "site": request.build_absolute_uri("/").rstrip("/"),
    })

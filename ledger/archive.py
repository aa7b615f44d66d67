"""The whole log as one download (``/data/buku-besar.zip``): the latest checkpoint with its
cosignatures, every tile and entry bundle it needs, at their tlog-tiles paths under
``buku-besar/``, and a ``BACA.txt`` naming the key and the command that checks it — what
``ikmrelief-verify buku-besar.zip --key …`` reads offline.

Streamed as it is read: a zip written to a stream that cannot seek (``zipfile`` then puts each
member's sizes after it), the database read a few thousand entries per query along the primary
key, so that a national log (tens of millions of entries, gigabytes) never sits in memory. Every
file is of the checkpoint read first: tiles of a given width and entries never change.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator

from django.utils import timezone
from ikmrelief_verify import tiles

from ledger import log
from ledger.models import Checkpoint, Entry, Tile

PREFIX = "buku-besar/"
CHUNK_TILES = 64  # tiles per query: 16,384 entries, a few MB


class _Sink:
    """A write-only stream: ``zipfile`` writes into it, the response takes what has been written."""

    def __init__(self):
        self.parts: list[bytes] = []
        self.size = 0

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        out, self.parts, self.size = b"".join(self.parts), [], 0
        return out


def _tiles_of_level(level: int, size: int) -> Iterator[tuple[str, bytes]]:
    """The hash tiles of one level a tree of ``size`` needs, in order, a query per 64 tiles."""
    wanted = [(index, width) for lvl, index, width in tiles.tiles_for(size) if lvl == level]
    for at in range(0, len(wanted), CHUNK_TILES):
        chunk = wanted[at:at + CHUNK_TILES]
        rows = {(r.index, r.width): bytes(r.data) for r in Tile.objects.filter(
            level=level, index__gte=chunk[0][0], index__lte=chunk[-1][0], width__in={w for _i, w in chunk})}
        for index, width in chunk:
            yield tiles.path(level, index, width), rows[(index, width)]


def _bundles(size: int) -> Iterator[tuple[str, bytes]]:
    """The entry bundles of a tree of ``size``: 256 entries each (the last one partial)."""
    step = tiles.WIDTH * CHUNK_TILES
    for start in range(0, size, step):
        bodies = [bytes(b) for b in Entry.objects.filter(index__gte=start, index__lt=min(start + step, size))
                  .order_by("index").values_list("body", flat=True)]
        for offset in range(0, len(bodies), tiles.WIDTH):
            chunk = bodies[offset:offset + tiles.WIDTH]
            yield tiles.path("entries", (start + offset) // tiles.WIDTH, len(chunk)), tiles.bundle(chunk)


def readme(checkpoint: Checkpoint, site: str) -> str:
    key = log.public_key()
    witnesses = "".join(f"  --witness '{v.vkey}'" for _url, v in log.witnesses())
    return (
        "Buku besar publik IKM Relief / IKM Relief public ledger\n\n"
        f"Asal (origin): {key['origin']}\nUkuran (size): {checkpoint.size} entri\n"
        f"Kunci verifikasi (verifier key): {key['vkey']}\nSidik jari (SHA-256): {key['fingerprint']}\n\n"
        "Periksa sendiri tanpa mempercayai kami (pip install ikmrelief-verify, dari folder verifier/ "
        "repositori) / check it yourself without trusting us:\n\n"
        f"  ikmrelief-verify buku-besar.zip --key '{key['vkey']}'{witnesses}\n\n"
        "Bandingkan kunci di atas dengan yang diumumkan di sumber lain yang Anda percayai / compare the key "
        f"with the one published elsewhere: {site}/buku-besar/\n\n"
        "Isi / contents: checkpoint (C2SP tlog-checkpoint, signed note + cosignatures), "
        "tile/<L>/<N> (C2SP tlog-tiles), tile/entries/<N> (entries, RFC 8785 JSON).\n")


def stream(checkpoint: Checkpoint, site: str) -> Iterator[bytes]:
    """The zip of ``checkpoint``'s log, as chunks of bytes."""
    sink = _Sink()
    stamp = timezone.localtime(checkpoint.created_at).timetuple()[:6]

    def member(name: str, compress: int) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(PREFIX + name, date_time=stamp)
        info.compress_type = compress
        info.external_attr = 0o644 << 16
        return info

    with zipfile.ZipFile(sink, "w") as archive:
        archive.writestr(member("BACA.txt", zipfile.ZIP_DEFLATED), readme(checkpoint, site))
        archive.writestr(member("checkpoint", zipfile.ZIP_STORED), log.served(checkpoint))
        yield sink.take()
        levels = {level for level, _index, _width in tiles.tiles_for(checkpoint.size)}
        files = [(_tiles_of_level(level, checkpoint.size), zipfile.ZIP_STORED) for level in sorted(levels)]
        files.append((_bundles(checkpoint.size), zipfile.ZIP_DEFLATED))  # hashes do not compress; JSON does
        for members, compress in files:
            for name, data in members:
                archive.writestr(member(name, compress), data, compresslevel=1)  # streamed: speed over size
                if sink.size >= 1 << 20:
                    yield sink.take()
    yield sink.take()

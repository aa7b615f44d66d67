"""Draw the app icons (``static/icons/``) and ``favicon.ico`` from the brand colours, in plain Python.

The product's mark is "▣": a white square frame with a filled square inside, on the brand green.
Run after changing the mark or a colour; the PNGs are committed (they are ours, not vendored).
"""

import struct
import zlib
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

BRAND = (0x0B, 0x5D, 0x4B)
WHITE = (0xFF, 0xFF, 0xFF)
SIZES = (16, 32, 180, 192, 512)


def pixel(x: float, y: float, maskable: bool) -> tuple[int, int, int]:
    """The colour at (x, y) in [0, 1)²: the frame and the inner square, inside the safe zone."""
    inset = 0.22 if maskable else 0.12
    u, v = (x - inset) / (1 - 2 * inset), (y - inset) / (1 - 2 * inset)
    if not (0 <= u < 1 and 0 <= v < 1):
        return BRAND
    frame = u < 0.14 or u >= 0.86 or v < 0.14 or v >= 0.86
    inner = 0.3 <= u < 0.7 and 0.3 <= v < 0.7
    return WHITE if frame or inner else BRAND


def png(size: int, maskable: bool = False) -> bytes:
    rows = b"".join(
        b"\x00" + b"".join(bytes(pixel((i + 0.5) / size, (j + 0.5) / size, maskable)) for i in range(size))
        for j in range(size))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


def ico(images: dict[int, bytes]) -> bytes:
    """An ICO holding PNG images (every browser since IE 11 reads these)."""
    out, offset = [struct.pack("<HHH", 0, 1, len(images))], 6 + 16 * len(images)
    for size, data in images.items():
        out.append(struct.pack("<BBBBHHII", size % 256, size % 256, 0, 0, 1, 32, len(data), offset))
        offset += len(data)
    return b"".join(out + list(images.values()))


class Command(BaseCommand):
    help = "Draw static/icons/*.png and static/icons/favicon.ico."

    def handle(self, *args, **options):
        folder = Path(settings.BASE_DIR) / "static" / "icons"
        folder.mkdir(parents=True, exist_ok=True)
        for size in SIZES:
            (folder / f"icon-{size}.png").write_bytes(png(size))
        (folder / "maskable-512.png").write_bytes(png(512, maskable=True))
        (folder / "favicon.ico").write_bytes(ico({16: png(16), 32: png(32)}))
        self.stdout.write(f"{len(SIZES) + 2} icons in {folder}")

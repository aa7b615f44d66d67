"""C2SP tlog-tiles: where each tile and entry bundle of a tree lives, what a tile holds, and
complete-subtree hashes read back from fetched tiles (``TileReader.full`` feeds ``merkle``)."""

from __future__ import annotations

import struct
from collections.abc import Callable

from ikmrelief_verify import merkle

WIDTH = 256  # hashes in a full tile
HEIGHT = 8   # tree levels a tile spans (2**8 == 256)
MAX_ENTRY = 0xFFFF


def encode_index(n: int) -> str:
    """1234067 → ``x001/x234/067``: zero-padded groups of three digits, all but the last with ``x``."""
    if n < 0:
        raise ValueError("negative tile index")
    groups = []
    while True:
        groups.append(f"{n % 1000:03d}")
        n //= 1000
        if n == 0:
            break
    groups.reverse()
    return "/".join([*("x" + g for g in groups[:-1]), groups[-1]])


def decode_index(path: str) -> int:
    parts = path.split("/")
    if not parts or any(len(p) != (4 if i < len(parts) - 1 else 3) for i, p in enumerate(parts)):
        raise ValueError("malformed tile index")
    digits = [p[1:] if i < len(parts) - 1 else p for i, p in enumerate(parts)]
    if any(not p.startswith("x") for p in parts[:-1]) or not all(d.isascii() and d.isdigit() for d in digits):
        raise ValueError("malformed tile index")
    return int("".join(digits))


def path(level: int | str, index: int, width: int = WIDTH) -> str:
    """``tile/<L>/<N>[.p/<W>]``, or ``tile/entries/<N>[.p/<W>]`` for ``level="entries"``."""
    if not 1 <= width <= WIDTH:
        raise ValueError("a tile holds 1 to 256 hashes")
    suffix = "" if width == WIDTH else f".p/{width}"
    return f"tile/{level}/{encode_index(index)}{suffix}"


def width_at(level: int, index: int, size: int) -> int:
    """How many hashes tile ``index`` of ``level`` holds in a tree of ``size`` (0: none yet)."""
    span = WIDTH ** level
    full_tiles = size // (span * WIDTH)
    if index < full_tiles:
        return WIDTH
    if index == full_tiles:
        return (size // span) % WIDTH
    return 0


def tiles_for(size: int) -> list[tuple[int, int, int]]:
    """Every (level, index, width) a checkpoint of ``size`` needs, level 0 first."""
    out, level = [], 0
    while WIDTH ** level <= size:
        count = size // WIDTH ** level  # hashes at this level
        out += [(level, i, WIDTH) for i in range(count // WIDTH)]
        if count % WIDTH:
            out.append((level, count // WIDTH, count % WIDTH))
        level += 1
    return out


def tile(level: int, index: int, width: int, full: merkle.Full) -> bytes:
    """The tile's bytes: ``width`` hashes of complete subtrees of ``256**level`` leaves."""
    first = index * WIDTH
    return b"".join(full(HEIGHT * level, first + i) for i in range(width))


def bundle(entries: list[bytes]) -> bytes:
    """An entry bundle: big-endian uint16 length-prefixed entries."""
    if any(len(e) > MAX_ENTRY for e in entries):
        raise ValueError("an entry is longer than 65,535 bytes")
    return b"".join(struct.pack(">H", len(e)) + e for e in entries)


def unbundle(data: bytes) -> list[bytes]:
    entries, at = [], 0
    while at < len(data):
        if at + 2 > len(data):
            raise ValueError("a bundle cut inside a length")
        (n,) = struct.unpack_from(">H", data, at)
        if at + 2 + n > len(data):
            raise ValueError("a bundle cut inside an entry")
        entries.append(data[at + 2:at + 2 + n])
        at += 2 + n
    return entries


class TileReader:
    """Complete-subtree hashes of a tree of ``size`` from its tiles, fetched once each through
    ``fetch(tile_path) -> bytes``: the ``full`` that ``merkle``'s proofs and roots take."""

    def __init__(self, size: int, fetch: Callable[[str], bytes]):
        self.size, self.fetch, self._tiles = size, fetch, {}

    def _tile(self, level: int, index: int) -> bytes:
        key = (level, index)
        if key not in self._tiles:
            width = width_at(level, index, self.size)
            if width == 0:
                raise merkle.ProofError(f"tile {level}/{index} is beyond the tree")
            data = self.fetch(path(level, index, width))
            if len(data) != width * merkle.HASH_SIZE:
                raise merkle.ProofError(f"{path(level, index, width)}: {len(data)} bytes, not {width} hashes")
            self._tiles[key] = data
        return self._tiles[key]

    def full(self, height: int, index: int) -> bytes:
        level, below = divmod(height, HEIGHT)
        first, count = index << below, 1 << below  # hashes of this tile level under the subtree
        data = self._tile(level, first // WIDTH)
        at = first % WIDTH
        hashes = [data[(at + i) * 32:(at + i + 1) * 32] for i in range(count)]
        if any(len(h) != 32 for h in hashes):
            raise merkle.ProofError(f"subtree {height}/{index} is not complete in the tree")
        while len(hashes) > 1:
            hashes = [merkle.node_hash(hashes[i], hashes[i + 1]) for i in range(0, len(hashes), 2)]
        return hashes[0]

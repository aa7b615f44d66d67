"""Sequencing and integrating the log: pending entries become leaves, the tiles grow, and a new
checkpoint is signed — by a worker, in batches, so that writers never wait on the tree.

One integration holds a transaction-level advisory lock: two workers never integrate at once.
Cost per batch of ``n`` entries at tree size ``N``: one read of the pending rows, one insert of the
entries, ~``n / 256 + log₂₅₆ N`` tile rows written, one checkpoint.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import logging
import re
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, Q
from django.utils import timezone
from ikmrelief_verify import merkle, note, tiles
from ikmrelief_verify.checkpoint import Checkpoint as CheckpointBody

from ledger.models import Checkpoint, Cosignature, Entry, PendingEntry, Tile

log = logging.getLogger(__name__)

LOCK = 7_250_001  # pg_advisory_xact_lock key of the integrator
WITNESS_TIMEOUT = 10
BATCH = 20_000
TILE_PATH = re.compile(r"^tile/(\d+)/((?:x\d{3}/)*\d{3})(?:\.p/(\d+))?$")


def origin() -> str:
    """The log's name in its checkpoints: ``LEDGER_ORIGIN``, else the site's host + /buku-besar."""
    if settings.LEDGER_ORIGIN:
        return settings.LEDGER_ORIGIN
    parts = urlsplit(settings.SITE_URL)
    return f"{parts.netloc}{parts.path.rstrip('/')}/buku-besar"


@functools.cache
def _signer(key: str, name: str, secret: str) -> note.Signer:
    if key:
        return note.Signer.from_key(key)
    # No key configured (development, tests): one derived from SECRET_KEY, the same in every
    # process of the deployment; `manage.py check --deploy` asks for a real one.
    seed = hashlib.sha256(b"ikmrelief-ledger-key:" + secret.encode()).digest()
    return note.Signer(name, note.ED25519, Ed25519PrivateKey.from_private_bytes(seed))


def signer() -> note.Signer:
    """The log's Ed25519 key: ``LEDGER_SIGNING_KEY``, a ``PRIVATE+KEY+name+id+key`` string
    (``manage.py ledger_key`` makes one)."""
    return _signer(settings.LEDGER_SIGNING_KEY, origin(), settings.SECRET_KEY)


def public_key() -> dict:
    """The log's identity as a reader needs it: origin, verifier key and its fingerprint."""
    verifier = signer().verifier
    return {"origin": origin(), "vkey": verifier.vkey, "key_id": verifier.key_id.hex(),
            "fingerprint": hashlib.sha256(verifier.public_key).hexdigest()}


def tree_size() -> int:
    last = Entry.objects.order_by("-index").values_list("index", flat=True).first()
    return 0 if last is None else last + 1


def _stored_tile(level: int, index: int, width: int) -> bytes:
    data = Tile.objects.filter(level=level, index=index, width=width).values_list("data", flat=True).first()
    if data is None:
        raise merkle.ProofError(f"tile {level}/{index} of width {width} is missing")
    return bytes(data)


def fetch(path: str) -> bytes:
    """A tile by its tlog-tiles path, from the database (``TileReader`` reads through this)."""
    match = TILE_PATH.match(path)
    if match is None:
        raise merkle.ProofError(f"not a tile path: {path}")
    level, index, width = int(match[1]), tiles.decode_index(match[2]), int(match[3] or tiles.WIDTH)
    return _stored_tile(level, index, width)


def _kept_leaves(first_tile: int, kept: int) -> list[bytes]:
    """The leaf hashes of the last partial tile, hashed again from the entries themselves: an entry
    changed behind the log's back (its triggers disabled) then makes a root inconsistent with the
    last checkpoint, which the witnesses refuse to cosign."""
    start = first_tile * tiles.WIDTH
    bodies = Entry.objects.filter(index__gte=start, index__lt=start + kept).order_by("index").values_list(
        "body", flat=True)
    return [merkle.leaf_hash(bytes(b)) for b in bodies]


def _grow_tiles(old_size: int, new_leaves: list[bytes]) -> None:
    """Append ``new_leaves`` to the tiles of a tree of ``old_size``: level by level, the old
    partial tile plus the new hashes; each tile that fills up gives one hash to the level above."""
    new_hashes, level = new_leaves, 0
    size = old_size  # hashes at this level before the batch
    rows = []
    while new_hashes:
        first_tile, kept = divmod(size, tiles.WIDTH)
        if level == 0:
            hashes = _kept_leaves(first_tile, kept) if kept else []
        else:
            hashes = [bytes(_stored_tile(level, first_tile, kept)[i * 32:(i + 1) * 32]) for i in range(kept)] \
                if kept else []
        hashes += new_hashes
        above = []
        for offset in range(0, len(hashes), tiles.WIDTH):
            chunk = hashes[offset:offset + tiles.WIDTH]
            rows.append(Tile(level=level, index=first_tile + offset // tiles.WIDTH, width=len(chunk),
                             data=b"".join(chunk)))
            if len(chunk) == tiles.WIDTH:
                above.append(merkle.root(chunk))
        new_hashes, level = above, level + 1
        size = old_size // tiles.WIDTH ** level
    Tile.objects.bulk_create(rows, ignore_conflicts=True)


def integrate(limit: int = BATCH) -> Checkpoint | None:
    """Move up to ``limit`` pending entries into the log, in the order they were committed, and
    sign the new tree head. Nothing pending: nothing done (None), but for the empty log's first
    checkpoint."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK])
        pending = list(PendingEntry.objects.order_by("id")[:limit])
        size = tree_size()
        if not pending:
            if size == 0 and not Checkpoint.objects.exists():
                # The empty log has a signed head too: a reader can start from size 0.
                text = CheckpointBody(origin(), 0, merkle.EMPTY_ROOT).text
                return Checkpoint.objects.create(size=0, root=merkle.EMPTY_ROOT, note=note.sign(text, [signer()]))
            return None
        now = timezone.now()
        Entry.objects.bulk_create([
            Entry(index=size + i, kind=p.kind, record_type=p.record_type, record_id=p.record_id,
                  body=bytes(p.body), committed_at=p.created_at, logged_at=now)
            for i, p in enumerate(pending)])
        PendingEntry.objects.filter(pk__in=[p.pk for p in pending]).delete()
        _grow_tiles(size, [merkle.leaf_hash(bytes(p.body)) for p in pending])
        new_size = size + len(pending)
        root = merkle.tree_hash(new_size, tiles.TileReader(new_size, fetch).full)
        text = CheckpointBody(origin(), new_size, root).text
        return Checkpoint.objects.create(size=new_size, root=root, note=note.sign(text, [signer()]))


def latest() -> Checkpoint | None:
    return Checkpoint.objects.order_by("-size").first()


def served(checkpoint: Checkpoint) -> str:
    """The checkpoint as served: the log's signed note and the witnesses' cosignature lines."""
    return checkpoint.note + "".join(checkpoint.cosignatures.order_by("witness").values_list("line", flat=True))


def witnesses() -> list[tuple[str, note.Verifier]]:
    """(submission URL, verifier key) of each configured witness (``LEDGER_WITNESSES``)."""
    out = []
    for item in settings.LEDGER_WITNESSES:
        url, _, vkey = item.strip().partition(" ")
        out.append((url.rstrip("/"), note.Verifier.from_vkey(vkey.strip())))
    return out


def _post(url: str, body: bytes) -> tuple[int, str]:
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"a witness URL is http(s): {url}")
    request = urllib.request.Request(f"{url}/add-checkpoint", data=body, method="POST",  # noqa: S310 - checked
                                     headers={"Content-Type": "text/plain; charset=utf-8"})
    try:
        with urllib.request.urlopen(request, timeout=WITNESS_TIMEOUT) as response:  # noqa: S310 - configured URL
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


def cosign(checkpoint: Checkpoint) -> dict[str, str]:
    """Ask each witness to cosign ``checkpoint``, with a consistency proof from the last checkpoint
    it cosigned (C2SP tlog-witness); keep the cosignatures that verify. Returns each witness's
    outcome ("cosigned", or why not)."""
    outcome = {}
    full = tiles.TileReader(checkpoint.size, fetch).full
    for url, verifier in witnesses():
        last = (Checkpoint.objects.filter(cosignatures__witness=verifier.name, size__lte=checkpoint.size)
                .order_by("-size").values_list("size", flat=True).first() or 0)
        try:
            for _attempt in range(2):
                proof = merkle.consistency_proof(last, checkpoint.size, full) if 0 < last < checkpoint.size else []
                body = f"old {last}\n" + "".join(base64.b64encode(h).decode() + "\n" for h in proof) + "\n"
                status, text = _post(url, body.encode() + checkpoint.note.encode())
                if status == 409 and text.strip().isdigit():
                    last = int(text.strip())  # the witness knows another size: prove from that one
                    continue
                break
        except (OSError, ValueError) as exc:
            outcome[verifier.name] = f"unreachable: {exc}"
            continue
        if status != 200:
            outcome[verifier.name] = f"refused ({status}): {text.strip()[:200]}"
            log.warning("witness %s refused checkpoint %s: %s %s", verifier.name, checkpoint.size, status, text[:200])
            continue
        try:
            _text, signed = note.open_note(checkpoint.note + text, [verifier])
        except note.NoteError as exc:
            outcome[verifier.name] = f"bad cosignature: {exc}"
            continue
        line = next(line + "\n" for line in text.splitlines() if line.startswith(f"— {verifier.name} "))
        Cosignature.objects.get_or_create(checkpoint=checkpoint, witness=verifier.name, defaults={"line": line})
        outcome[verifier.name] = "cosigned"
    return outcome


def latest_entries(keys) -> dict[tuple[str, int], int]:
    """The index of the latest entry of each (record type, record id): one query for a page."""
    by_type: dict[str, set[int]] = {}
    for record_type, record_id in keys:
        by_type.setdefault(record_type, set()).add(record_id)
    if not by_type:
        return {}
    condition = Q()
    for record_type, ids in by_type.items():
        condition |= Q(record_type=record_type, record_id__in=ids)
    rows = Entry.objects.filter(condition).values("record_type", "record_id").annotate(last=Max("index"))
    return {(r["record_type"], r["record_id"]): r["last"] for r in rows}

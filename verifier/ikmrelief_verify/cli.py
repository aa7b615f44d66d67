"""``ikmrelief-verify``: check a deployment's public ledger without trusting it.

    ikmrelief-verify https://ikmrelief.example.go.id/buku-besar --key 'origin+1234abcd+AB…' \\
        [--witness 'saksi.example+…' …] [--state ledger-state.json]
    ikmrelief-verify buku-besar.zip --key …              # the open-data download (/data/buku-besar.zip)
    ikmrelief-verify ./unduhan/buku-besar --key …        # a directory (checkpoint + tile/…)
    ikmrelief-verify … --figure 'https://…/jejak/realisasi/?provinsi=36&tahun=2020'

1. the checkpoint's signature against the log's published key (and the witnesses' cosignatures);
2. every entry bundle against its level-0 tile, every tile against the tiles below it, the root
   recomputed from the tiles against the checkpoint — the first bad tile is named;
3. with ``--state``, that the log only grew since the checkpoint saved there (a consistency proof
   computed from the tiles), then the new checkpoint is saved;
4. with ``--figure`` (a trail page's URL), that every record behind that page's figure has an
   entry in the verified log with the same amount, and that they add up to the figure the site's
   pages show (``figures``).

Exit status: 0 verified, 1 the log does not verify (the message says where), 2 could not check.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

from ikmrelief_verify import figures, merkle, note, tiles
from ikmrelief_verify.checkpoint import Checkpoint


class Unverified(Exception):
    """The log does not verify."""


class Unreachable(Exception):
    """The log could not be read."""


def _zip_reader(source: Path):
    """``fetch`` for the open-data download: the files under the folder holding ``checkpoint``."""
    archive = zipfile.ZipFile(source)
    names = [n for n in archive.namelist() if n == "checkpoint" or n.endswith("/checkpoint")]
    if not names:
        raise Unverified(f"{source}: no checkpoint in the archive")
    prefix = names[0][:-len("checkpoint")]

    def read(path: str) -> bytes:
        try:
            return archive.read(prefix + path)
        except KeyError:
            raise Unverified(f"{path}: missing from {source}") from None
        except (zipfile.BadZipFile, OSError) as exc:  # a damaged member: the log does not verify
            raise Unverified(f"{path}: {exc}") from None
    return read


def fetcher(source: str):
    """``fetch(path) -> bytes`` for a URL prefix, a zip file or a directory."""
    if source.startswith(("http://", "https://")):
        prefix = source.rstrip("/") + "/"

        def fetch(path: str) -> bytes:
            try:
                with urllib.request.urlopen(prefix + path, timeout=30) as response:  # noqa: S310 - http(s) only
                    return response.read()
            except urllib.error.HTTPError as exc:
                raise Unverified(f"{path}: HTTP {exc.code}") from None
            except (urllib.error.URLError, TimeoutError, OSError) as exc:
                raise Unreachable(f"{prefix}{path}: {exc}") from None
        return fetch
    root = Path(source)
    if root.is_file():
        if not zipfile.is_zipfile(root):
            raise Unreachable(f"{root}: neither a directory nor a zip file")
        return _zip_reader(root)

    def read(path: str) -> bytes:
        try:
            return (root / path).read_bytes()
        except FileNotFoundError:
            raise Unverified(f"{path}: missing from {root}") from None
    return read


def check_tiles(size: int, fetch, on_entry=None) -> dict[str, bytes]:
    """Every tile and entry bundle of a tree of ``size``, each checked against what it summarises;
    the tiles by path, so that the root and proofs are computed from these, not fetched again.
    ``on_entry(index, body)`` sees every entry, in order."""
    tile_data: dict[tuple[int, int], bytes] = {}
    by_path: dict[str, bytes] = {}
    for level, index, width in tiles.tiles_for(size):
        path = tiles.path(level, index, width)
        data = fetch(path)
        if len(data) != width * merkle.HASH_SIZE:
            raise Unverified(f"{path}: {len(data)} bytes, not {width} hashes")
        hashes = [data[i * 32:(i + 1) * 32] for i in range(width)]
        if level == 0:
            bundle_path = tiles.path("entries", index, width)
            try:
                bodies = tiles.unbundle(fetch(bundle_path))
            except ValueError as exc:
                raise Unverified(f"{bundle_path}: {exc}") from None
            if len(bodies) != width:
                raise Unverified(f"{bundle_path}: {len(bodies)} entries, not {width}")
            for i, body in enumerate(bodies):
                if merkle.leaf_hash(body) != hashes[i]:
                    raise Unverified(f"{bundle_path}: entry {index * tiles.WIDTH + i} does not hash to {path}")
                if on_entry is not None:
                    on_entry(index * tiles.WIDTH + i, body)
        else:
            for i, h in enumerate(hashes):
                below = tile_data.get((level - 1, index * tiles.WIDTH + i))
                if below is None or merkle.root([below[j * 32:(j + 1) * 32] for j in range(tiles.WIDTH)]) != h:
                    raise Unverified(f"{path}: hash {i} is not the root of "
                                     f"{tiles.path(level - 1, index * tiles.WIDTH + i)}")
        tile_data[(level, index)] = data
        by_path[path] = data
    return by_path


def verify(source: str, log_key: str, witnesses: list[str], state: Path | None, quorum: int | None,
           on_entry=None) -> Checkpoint:
    fetch = fetcher(source)
    verifiers = [note.Verifier.from_vkey(log_key), *(note.Verifier.from_vkey(w) for w in witnesses)]
    try:
        text, signed = note.open_note(fetch("checkpoint"), verifiers)
    except note.NoteError as exc:
        raise Unverified(f"checkpoint: {exc}") from None
    if verifiers[0].name not in signed:
        raise Unverified("checkpoint: not signed by the log's key")
    cosigned = [name for name in signed if name != verifiers[0].name]
    if len(cosigned) < (len(witnesses) if quorum is None else quorum):
        raise Unverified(f"checkpoint: cosigned by {len(cosigned)} of the witnesses, fewer than required")
    checkpoint = Checkpoint.parse(text)
    if checkpoint.origin != verifiers[0].name:
        raise Unverified(f"checkpoint: origin {checkpoint.origin!r} is not the key's name")
    checked = check_tiles(checkpoint.size, fetch, on_entry)
    reader = tiles.TileReader(checkpoint.size, lambda path: checked[path] if path in checked else fetch(path))
    if merkle.tree_hash(checkpoint.size, reader.full) != checkpoint.root:
        raise Unverified("the root computed from the tiles is not the checkpoint's")
    if state is not None and state.exists():
        saved = json.loads(state.read_text())
        old_size, old_root = int(saved["size"]), base64.b64decode(saved["root"])
        if saved.get("origin") != checkpoint.origin:
            raise Unverified("the saved checkpoint is of another log")
        try:
            if old_size == 0:
                pass  # everything is consistent with the empty log
            elif old_size > checkpoint.size:
                raise merkle.ProofError(f"the log shrank from {old_size} to {checkpoint.size} entries")
            else:
                proof = merkle.consistency_proof(old_size, checkpoint.size, reader.full)
                merkle.verify_consistency(old_size, checkpoint.size, proof, old_root, checkpoint.root)
        except merkle.ProofError as exc:
            raise Unverified(f"not consistent with the checkpoint saved in {state}: {exc}") from None
    if state is not None:
        state.write_text(json.dumps({"origin": checkpoint.origin, "size": checkpoint.size,
                                     "root": base64.b64encode(checkpoint.root).decode()}))
    return checkpoint


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ikmrelief-verify", description=__doc__.split("\n\n")[0])
    parser.add_argument("source", help="the log's URL prefix (…/buku-besar), its zip (/data/buku-besar.zip) "
                                       "or a directory with its files")
    parser.add_argument("--key", required=True, help="the log's verifier key (name+id+key), from a source you trust")
    parser.add_argument("--witness", action="append", default=[], help="a witness's verifier key (repeatable)")
    parser.add_argument("--quorum", type=int, help="cosignatures required (default: every --witness)")
    parser.add_argument("--state", type=Path, help="a file keeping the last checkpoint verified")
    parser.add_argument("--figure", metavar="TRAIL_URL",
                        help="a figure's trail page (…/jejak/realisasi/?provinsi=36&tahun=2020): its records must "
                             "be in the log and add up to the figure")
    args = parser.parse_args(argv)
    try:
        expected = None
        if args.figure:
            site, figure, scope = figures.parse(args.figure)
            expected = figures.Expected(figure, figures.records(site, figure, scope))
            shown = figures.page_figure(site, figure, scope)
        checkpoint = verify(args.source, args.key, args.witness, args.state, args.quorum,
                            expected.see if expected else None)
        if expected is not None:
            total = expected.check()
            if shown is not None and total != shown:
                raise figures.Mismatch(f"the {len(expected.records)} record(s) in the log add up to {total:,}, "
                                       f"the page shows {shown:,} (a change in the last minute is not yet in the "
                                       "pages' figures: check again)")
    except (Unverified, figures.Mismatch) as exc:
        print(f"TIDAK TERVERIFIKASI / NOT VERIFIED: {exc}", file=sys.stderr)
        return 1
    except (Unreachable, figures.FigureError, note.NoteError, ValueError) as exc:
        print(f"tidak dapat diperiksa / could not check: {exc}", file=sys.stderr)
        return 2
    print(f"terverifikasi / verified: {checkpoint.origin}, {checkpoint.size} entri, "
          f"root {base64.b64encode(checkpoint.root).decode()}")
    if expected is not None:
        rupiah = f"{total:,}".replace(",", ".")
        print(f"angka / figure {figure} {scope or '(nasional)'}: Rp{rupiah} = {len(expected.records)} catatan, "
              "semuanya di buku besar dengan jumlah yang sama / all in the ledger with the same amounts")
    return 0


if __name__ == "__main__":
    sys.exit(main())

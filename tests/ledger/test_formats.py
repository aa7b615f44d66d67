"""Known-answer tests for the ledger's formats against the examples of the C2SP specifications
(tests/ledger/vectors/c2sp, copied unchanged): the signed note verifies under its published verifier
key and is rebuilt byte for byte from its parts; the checkpoint and the cosigned checkpoint are
parsed and rebuilt byte for byte, the cosignature's time and signed message are the spec's; tile
paths and the tree of size 70,000 are the spec's. Then keys made here sign and verify, and every
kind of tampering is refused."""

import base64
import re
from pathlib import Path

import hypothesis
import pytest
import rfc8785
from hypothesis import strategies as st
from ikmrelief_verify import merkle, note, tiles
from ikmrelief_verify.checkpoint import Checkpoint

from ledger import entries

SPECS = Path(__file__).parent / "vectors" / "c2sp"


def _blocks(spec: str) -> list[str]:
    """The fenced examples of a specification, each with its final newline."""
    return [b + "\n" for b in re.findall(r"```\n(.*?)\n```", (SPECS / spec).read_text(), re.S)]


def test_the_signed_note_example_verifies_and_rebuilds_byte_for_byte():
    vkey = re.search(r"^    (example\.com/foo\+\S+)$", (SPECS / "signed-note.md").read_text(), re.M).group(1)
    example = next(b for b in _blocks("signed-note.md") if b.startswith("This is an example message."))
    verifier = note.Verifier.from_vkey(vkey)
    assert verifier.key_id.hex() == "530d903a" and verifier.vkey == vkey
    text, verified = note.open_note(example, [verifier])
    assert text == "This is an example message.\n" and verified == {"example.com/foo": None}
    assert note.format_note(*note.parse(example)) == example
    # One changed character of the text, or of the signature, and the known key refuses it.
    with pytest.raises(note.NoteError, match="does not verify"):
        note.open_note(example.replace("example message", "exemple message"), [verifier])
    text, [signature] = note.parse(example)
    flipped = note.Signature(signature.name, signature.key_id,
                             bytes([signature.signature[0] ^ 1]) + signature.signature[1:])
    with pytest.raises(note.NoteError, match="does not verify"):
        note.open_note(note.format_note(text, [flipped]), [verifier])
    # A note signed only by unknown keys is refused; unknown signatures beside a known one are ignored.
    other = note.Signer.generate("example.com/other")
    with pytest.raises(note.NoteError, match="no signature from a known key"):
        note.open_note(example, [other.verifier])
    both = note.format_note(text, [signature, *note.parse(note.sign(text, [other]))[1]])
    assert note.open_note(both, [verifier])[1] == {"example.com/foo": None}


def test_the_checkpoint_and_the_cosigned_checkpoint_examples():
    [checkpoint_example] = [b for b in _blocks("tlog-checkpoint.md") if b.startswith("example.com/behind-the-sofa")]
    text, [log_signature] = note.parse(checkpoint_example)
    checkpoint = Checkpoint.parse(text)
    assert (checkpoint.origin, checkpoint.size) == ("example.com/behind-the-sofa", 20852163)
    assert base64.b64encode(checkpoint.root).decode() == "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="
    assert checkpoint.text == text and note.format_note(checkpoint.text, [log_signature]) == checkpoint_example

    [cosigned] = [b for b in _blocks("tlog-cosignature.md") if b.startswith("example.com/behind-the-sofa")]
    text, [log_signature2, witness] = note.parse(cosigned)
    assert log_signature2 == log_signature and note.format_note(text, [log_signature2, witness]) == cosigned
    assert witness.name == "witness.example.com/w1" and len(witness.signature) == 8 + 64
    timestamp = int.from_bytes(witness.signature[:8], "big")
    assert timestamp == 1679315147
    spec_message = re.search(r"\n    (cosignature/v1\n    time 1679315147\n(?:    .*\n){3})",
                             (SPECS / "tlog-cosignature.md").read_text()).group(1).replace("    ", "")
    assert note.cosigned_message(text, timestamp).decode() == spec_message


def test_keys_made_here_sign_checkpoints_and_cosign_them():
    log = note.Signer.generate("ikmrelief.example.go.id/buku-besar")
    assert note.Signer.from_key(log.key).verifier == log.verifier
    assert note.Verifier.from_vkey(log.verifier.vkey) == log.verifier
    witness = note.Signer.generate("saksi.example.ac.id/w1", sig_type=note.COSIGNATURE_V1)
    checkpoint = Checkpoint("ikmrelief.example.go.id/buku-besar", 3, merkle.root([merkle.leaf_hash(b"a")] * 3))
    signed = note.sign(checkpoint.text, [log])
    text, log_line = note.parse(signed)
    cosigned = note.format_note(text, log_line + note.parse(note.sign(text, [witness], timestamp=1765000000))[1])
    text, verified = note.open_note(cosigned, [log.verifier, witness.verifier])
    assert Checkpoint.parse(text) == checkpoint
    assert verified == {"ikmrelief.example.go.id/buku-besar": None, "saksi.example.ac.id/w1": 1765000000}
    # A verifier key whose id does not match its name and key is refused.
    name, _id, material = witness.verifier.vkey.split("+", 2)
    with pytest.raises(note.NoteError, match="does not match"):
        note.Verifier.from_vkey(f"{name}+00000000+{material}")
    for bad in ("a\nb", "no newline", "ctrl\x07\n\n— x AAAAAAA=\n", "text\n\n— bad+name AAAAAAA=\n"):
        with pytest.raises(note.NoteError):
            note.parse(bad)
    for bad in ("o\n01\n" + base64.b64encode(bytes(32)).decode() + "\n", "o\n1\nshort\n", "o\n\n1\n"):
        with pytest.raises(note.NoteError):
            Checkpoint.parse(bad)


def test_tile_paths_and_the_tiles_of_a_tree_as_the_spec_counts_them():
    assert tiles.encode_index(1234067) == "x001/x234/067" and tiles.decode_index("x001/x234/067") == 1234067
    assert tiles.encode_index(0) == "000" and tiles.path(0, 5, 17) == "tile/0/005.p/17"
    assert tiles.path("entries", 1000) == "tile/entries/x001/000"
    need = tiles.tiles_for(70_000)
    by_level = {}
    for level, _index, width in need:
        by_level.setdefault(level, []).append(width)
    assert by_level == {0: [256] * 273 + [112], 1: [256, 17], 2: [1]}
    assert tiles.tiles_for(256) == [(0, 0, 256), (1, 0, 1)]
    assert tiles.unbundle(tiles.bundle([b"", b"x" * 300, "é".encode()])) == [b"", b"x" * 300, "é".encode()]
    with pytest.raises(ValueError):
        tiles.unbundle(b"\x00\x05abc")


@pytest.mark.parametrize("size", [1, 255, 256, 257, 600, 65_536 + 300])
def test_roots_and_proofs_read_back_from_tiles(size):
    leaves = [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(size)]
    memo = {}

    def full(height, index):
        key = (height, index)
        if key not in memo:
            memo[key] = leaves[index] if height == 0 else merkle.node_hash(
                full(height - 1, 2 * index), full(height - 1, 2 * index + 1))
        return memo[key]

    served = {tiles.path(level, index, width): tiles.tile(level, index, width, full)
              for level, index, width in tiles.tiles_for(size)}
    reader = tiles.TileReader(size, served.__getitem__)
    expected = merkle.root(leaves)
    assert merkle.tree_hash(size, reader.full) == expected
    for index in {0, size // 2, size - 1}:
        merkle.verify_inclusion(leaves[index], index, size, merkle.inclusion_proof(index, size, reader.full), expected)
    # A changed byte in a tile the root is read from changes the root.
    level, index, width = tiles.tiles_for(size)[-1]
    name = tiles.path(level, index, width)
    served[name] = bytes([served[name][0] ^ 1]) + served[name][1:]
    assert merkle.tree_hash(size, tiles.TileReader(size, served.__getitem__).full) != expected


# What an entry can hold: objects with ASCII keys, any text (control characters, quotes, escapes,
# non-ASCII and astral-plane characters), integers up to ±2^53, booleans and null, nested.
_SCALARS = (st.text() | st.integers(min_value=-(2 ** 53) + 1, max_value=2 ** 53 - 1) | st.booleans()
            | st.none())
_VALUES = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=4)
                       | st.dictionaries(st.text(st.characters(max_codepoint=127), max_size=8), inner, max_size=4),
                       max_leaves=20)


@hypothesis.settings(max_examples=500, deadline=None)
@hypothesis.given(st.dictionaries(st.text(st.characters(max_codepoint=127), max_size=12), _VALUES, max_size=8))
def test_entries_are_the_rfc8785_packages_canonical_json_byte_for_byte(value):
    assert entries.canonical(value) == rfc8785.dumps(value)


def test_what_the_fast_form_does_not_cover_goes_to_the_package():
    for value in ({"ä": 1, "a": 2}, {"n": 2 ** 60}, {"x": 1.5}, {"€": "\U0001f600", "z": [1, {"é": None}]}):
        try:
            expected = rfc8785.dumps(value)
        except rfc8785.CanonicalizationError:
            with pytest.raises(rfc8785.CanonicalizationError):
                entries.canonical(value)
            continue
        assert entries.canonical(value) == expected

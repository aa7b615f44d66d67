"""Known-answer tests for the ledger's Merkle tree (ikmrelief_verify.merkle): every inclusion and
consistency vector of transparency-dev/merkle (RFC 6962) — the happy paths verify, each corrupted
one (a flipped bit, a missing, extra or swapped hash, a wrong size) is rejected — and the proofs
the package makes for trees of every size up to 70 verify, with the roots of the RFC's recursion."""

import base64
import hashlib
import json
from pathlib import Path

import pytest
from ikmrelief_verify import merkle

VECTORS = Path(__file__).parent / "vectors"


def _b64(value: str) -> bytes:
    return base64.b64decode(value) if value else b""


def _cases(kind: str):
    files = sorted((VECTORS / kind).rglob("*.json"))
    assert files, f"no {kind} vectors"
    return [pytest.param(json.loads(f.read_text()), id=str(f.relative_to(VECTORS / kind))) for f in files]


@pytest.mark.parametrize("case", _cases("inclusion"))
def test_inclusion_vectors(case):
    check = lambda: merkle.verify_inclusion(  # noqa: E731
        _b64(case["leafHash"]), case["leafIdx"], case["treeSize"], [_b64(p) for p in case["proof"] or []],
        _b64(case["root"]))
    if case["wantErr"]:
        with pytest.raises(merkle.ProofError):
            check()
    else:
        check()


@pytest.mark.parametrize("case", _cases("consistency"))
def test_consistency_vectors(case):
    check = lambda: merkle.verify_consistency(  # noqa: E731
        case["size1"], case["size2"], [_b64(p) for p in case["proof"] or []], _b64(case["root1"]),
        _b64(case["root2"]))
    if case["wantErr"]:
        with pytest.raises(merkle.ProofError):
            check()
    else:
        check()


def _mth(leaves: list[bytes]) -> bytes:
    """RFC 6962, section 2.1, as written: the recursion, for comparison."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return merkle.node_hash(_mth(leaves[:k]), _mth(leaves[k:]))


def _full(leaves):
    def full(level, index):
        return _mth(leaves[index << level:(index + 1) << level])
    return full


def test_the_empty_tree_and_the_hashes_of_rfc_6962():
    assert merkle.root([]).hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert merkle.leaf_hash(b"").hex() == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    # The happy path's leaf hash of the vectors is the hash of the empty leaf.
    assert base64.b64encode(merkle.leaf_hash(b"")).decode() == "bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0="


@pytest.mark.parametrize("size", range(1, 71))
def test_made_proofs_verify_and_roots_follow_the_recursion(size):
    leaves = [merkle.leaf_hash(f"entri {i}".encode()) for i in range(size)]
    full = _full(leaves)
    expected = _mth(leaves)
    assert merkle.root(leaves) == expected == merkle.tree_hash(size, full)
    for index in range(size):
        merkle.verify_inclusion(leaves[index], index, size, merkle.inclusion_proof(index, size, full), expected)
    for old in range(1, size + 1):
        proof = merkle.consistency_proof(old, size, full)
        merkle.verify_consistency(old, size, proof, _mth(leaves[:old]), expected)
        if old < size and proof:
            bad = [bytes([proof[0][0] ^ 1]) + proof[0][1:], *proof[1:]]
            with pytest.raises(merkle.ProofError):
                merkle.verify_consistency(old, size, bad, _mth(leaves[:old]), expected)

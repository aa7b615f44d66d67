"""RFC 6962 / RFC 9162 Merkle trees over SHA-256: leaf and node hashes, the tree head of any range,
and inclusion and consistency proofs — made and checked.

Proofs are made from ``full(level, index)``: the hash of the complete subtree of ``2**level``
leaves starting at leaf ``index * 2**level`` (what tlog-tiles serve, ``tiles``), so that a log of
millions of entries is never held in memory. Checking follows RFC 9162, sections 2.1.3.2 and
2.1.4.2, and rejects every corrupted vector of ``transparency-dev/merkle``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

Full = Callable[[int, int], bytes]


class ProofError(ValueError):
    """A proof that does not prove what it claims (the message says which check failed)."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH of a list of leaf hashes, in one pass with a stack of complete subtrees."""
    stack: list[tuple[int, bytes]] = []  # (size, hash), sizes strictly decreasing
    for h in leaf_hashes:
        size = 1
        while stack and stack[-1][0] == size:
            h = node_hash(stack.pop()[1], h)
            size *= 2
        stack.append((size, h))
    if not stack:
        return EMPTY_ROOT
    h = stack.pop()[1]
    while stack:
        h = node_hash(stack.pop()[1], h)
    return h


def range_hash(start: int, end: int, full: Full) -> bytes:
    """MTH(D[start:end]) for a range whose left part is aligned as in the RFC's recursion
    (``start`` a multiple of the largest power of two not above ``end - start``): the range is
    cut into complete subtrees, largest first, and folded from the right."""
    if end <= start:
        raise ValueError("empty range")
    parts: list[bytes] = []
    while start < end:
        level = min((end - start).bit_length() - 1, (start & -start).bit_length() - 1 if start else 63)
        parts.append(full(level, start >> level))
        start += 1 << level
    h = parts.pop()
    while parts:
        h = node_hash(parts.pop(), h)
    return h


def tree_hash(size: int, full: Full) -> bytes:
    return EMPTY_ROOT if size == 0 else range_hash(0, size, full)


def inclusion_proof(index: int, size: int, full: Full) -> list[bytes]:
    """PATH(index, D[0:size]) of RFC 9162, section 2.1.3.1."""
    if not 0 <= index < size:
        raise ValueError("index outside the tree")
    proof: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            proof.append(range_hash(start + k, end, full))
            end = start + k
        else:
            proof.append(range_hash(start, start + k, full))
            start += k
    return proof[::-1]


def consistency_proof(size1: int, size2: int, full: Full) -> list[bytes]:
    """PROOF(size1, D[0:size2]) of RFC 9162, section 2.1.4.1."""
    if not 0 < size1 <= size2:
        raise ValueError("sizes out of order")
    if size1 == size2:
        return []

    def subproof(m: int, start: int, end: int, whole: bool) -> list[bytes]:
        n = end - start
        if m == n:
            return [] if whole else [range_hash(start, end, full)]
        k = _split(n)
        if m <= k:
            return subproof(m, start, start + k, whole) + [range_hash(start + k, end, full)]
        return subproof(m - k, start + k, end, False) + [range_hash(start, start + k, full)]

    return subproof(size1, 0, size2, True)


def _lsb(n: int) -> int:
    return n & 1


def verify_inclusion(leaf: bytes, index: int, size: int, proof: Iterable[bytes], expected_root: bytes) -> None:
    """RFC 9162, section 2.1.3.2; raises ``ProofError``."""
    proof = list(proof)
    if len(leaf) != HASH_SIZE or len(expected_root) != HASH_SIZE or any(len(p) != HASH_SIZE for p in proof):
        raise ProofError("a hash is not 32 bytes")
    if not 0 <= index < size:
        raise ProofError("leaf index outside the tree")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofError("proof longer than the tree is deep")
        if _lsb(fn) or fn == sn:
            r = node_hash(p, r)
            while not _lsb(fn) and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("proof shorter than the tree is deep")
    if r != expected_root:
        raise ProofError("the proof leads to another root")


def verify_consistency(size1: int, size2: int, proof: Iterable[bytes], root1: bytes, root2: bytes) -> None:
    """RFC 9162, section 2.1.4.2; raises ``ProofError``."""
    proof = list(proof)
    if size1 > size2:
        raise ProofError("the first tree is larger than the second")
    if size1 == 0:
        raise ProofError("consistency with the empty tree proves nothing")
    if size1 == size2:
        if proof:
            raise ProofError("trees of one size need an empty proof")
        if root1 != root2:
            raise ProofError("two roots for one tree size")
        return
    if len(root1) != HASH_SIZE or len(root2) != HASH_SIZE or any(len(p) != HASH_SIZE for p in proof):
        raise ProofError("a hash is not 32 bytes")
    if not proof:
        raise ProofError("empty proof")
    if size1 & (size1 - 1) == 0:  # a power of two: the old root is the first node
        proof = [root1, *proof]
    fn, sn = size1 - 1, size2 - 1
    while _lsb(fn):
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            raise ProofError("proof longer than the trees are deep")
        if _lsb(fn) or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not _lsb(fn) and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("proof shorter than the trees are deep")
    if fr != root1:
        raise ProofError("the proof does not lead to the first root")
    if sr != root2:
        raise ProofError("the proof does not lead to the second root")

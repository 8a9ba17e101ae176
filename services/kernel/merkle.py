"""A Merkle tree log with RFC 9162 (Certificate Transparency v2) hashing, proofs and proof verification.

Pure functions over leaf hashes, standard library only, no I/O. Section numbers refer to RFC 9162:

- 2.1.1 hashing: ``leaf_hash(d) = SHA-256(0x00 || d)``, ``node_hash(l, r) = SHA-256(0x01 || l || r)``;
  the Merkle Tree Hash (MTH) of n leaves splits at k, the largest power of two smaller than n; the
  MTH of the empty tree is SHA-256 of the empty string.
- 2.1.3.1 inclusion proof PATH(m, D[n]) and 2.1.3.2 its verification;
- 2.1.4.1 consistency proof PROOF(m, D[n]) = SUBPROOF(m, D[n], true) and 2.1.4.2 its verification.

Proofs list their hashes bottom-up, as the RFC builds them. The verifiers are the RFC's algorithms
step for step (the comments quote the step numbers) and answer False, never raise, on any bad input.

The module-level ``root``, ``inclusion_proof`` and ``consistency_proof`` take the whole list of leaf
hashes and cost O(n) hashes per call: they are the reference. ``MerkleLog`` keeps every complete
(perfect) subtree hash and answers the same questions for any prefix size in O(log n) / O(log² n).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence

HASH_SIZE = 32
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").digest()

# MTH of the leaf range [lo, hi) of some tree; the proof builders only ask for ranges that occur in
# the RFC's recursion, where lo is a multiple of the smallest power of two >= hi - lo.
RangeHash = Callable[[int, int], bytes]


def leaf_hash(data: bytes) -> bytes:
    """RFC 9162 2.1.1: the hash of one log entry, SHA-256(0x00 || data)."""
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162 2.1.1: the hash of an interior node, SHA-256(0x01 || left || right)."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def _split(n: int) -> int:
    """k, the largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes) and len(value) == HASH_SIZE


def _check_leaves(size: int, leaf_hashes: Sequence[bytes]) -> None:
    if not 0 <= size <= len(leaf_hashes):
        raise ValueError(f"size {size} is outside 0..{len(leaf_hashes)}")


def _naive_range_hash(leaf_hashes: Sequence[bytes]) -> RangeHash:
    def mth(lo: int, hi: int) -> bytes:
        n = hi - lo
        if n == 0:
            return EMPTY_ROOT
        if n == 1:
            return leaf_hashes[lo]
        k = _split(n)
        return node_hash(mth(lo, lo + k), mth(lo + k, hi))

    return mth


def _path(m: int, lo: int, hi: int, mth: RangeHash) -> list[bytes]:
    """RFC 9162 2.1.3.1 PATH(m, D[lo:hi]), bottom-up."""
    if hi - lo == 1:
        return []  # PATH(0, {d(0)}) = {}
    k = _split(hi - lo)
    if m < k:
        return [*_path(m, lo, lo + k, mth), mth(lo + k, hi)]
    return [*_path(m - k, lo + k, hi, mth), mth(lo, lo + k)]


def _subproof(m: int, lo: int, hi: int, b: bool, mth: RangeHash) -> list[bytes]:
    """RFC 9162 2.1.4.1 SUBPROOF(m, D[lo:hi], b), bottom-up."""
    n = hi - lo
    if m == n:
        return [] if b else [mth(lo, hi)]
    k = _split(n)
    if m <= k:
        return [*_subproof(m, lo, lo + k, b, mth), mth(lo + k, hi)]
    return [*_subproof(m - k, lo + k, hi, False, mth), mth(lo, lo + k)]


def _inclusion(index: int, size: int, mth: RangeHash) -> list[bytes]:
    if not 0 <= index < size:
        raise ValueError(f"index {index} is outside a tree of size {size}")
    return _path(index, 0, size, mth)


def _consistency(old_size: int, new_size: int, mth: RangeHash) -> list[bytes]:
    if not 0 < old_size <= new_size:
        raise ValueError(f"no consistency proof from size {old_size} to size {new_size} (needs 0 < old <= new)")
    return _subproof(old_size, 0, new_size, True, mth)  # PROOF(m, D[n]) = SUBPROOF(m, D[n], true)


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """RFC 9162 2.1.1 MTH over the given leaf hashes (not leaf data). O(n) hashes."""
    return _naive_range_hash(leaf_hashes)(0, len(leaf_hashes))


def inclusion_proof(index: int, size: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """RFC 9162 2.1.3.1 PATH(index, D[size]) over the first ``size`` leaf hashes. O(n) hashes."""
    _check_leaves(size, leaf_hashes)
    return _inclusion(index, size, _naive_range_hash(leaf_hashes))


def consistency_proof(old_size: int, new_size: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """RFC 9162 2.1.4.1 PROOF(old_size, D[new_size]); empty when the sizes are equal. O(n) hashes.

    The RFC defines no proof from the empty tree (0 < old_size): such a request raises ValueError.
    """
    _check_leaves(new_size, leaf_hashes)
    return _consistency(old_size, new_size, _naive_range_hash(leaf_hashes))


def verify_inclusion(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> bool:
    """RFC 9162 2.1.3.2: does ``proof`` show the leaf hash at ``index`` in the tree of ``size`` with ``root``?

    Every hash must be 32 bytes (a hash of any other length cannot be SHA-256 and is refused).
    """
    if not (_is_hash(leaf_hash) and _is_hash(root) and all(_is_hash(p) for p in proof)):
        return False
    if not (isinstance(index, int) and isinstance(size, int)) or index < 0:
        return False
    # 1. If leaf_index >= tree_size, fail.
    if index >= size:
        return False
    # 2. Set fn to leaf_index and sn to tree_size - 1.
    fn, sn = index, size - 1
    # 3. Set r to hash.
    r = leaf_hash
    # 4. For each value p in the inclusion_path array:
    for p in proof:
        # a. If sn is 0, stop the iteration and fail.
        if sn == 0:
            return False
        # b. If LSB(fn) is set, or if fn is equal to sn, then:
        if fn & 1 or fn == sn:
            # i. Set r to HASH(0x01 || p || r).
            r = node_hash(p, r)
            # ii. If LSB(fn) is not set, right-shift fn and sn equally until LSB(fn) is set or fn is 0.
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            # Otherwise: i. Set r to HASH(0x01 || r || p).
            r = node_hash(r, p)
        # c. Finally, right-shift both fn and sn one time.
        fn >>= 1
        sn >>= 1
    # 5. sn must be 0 and r must equal root_hash.
    return sn == 0 and r == root


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> bool:
    """RFC 9162 2.1.4.2: does ``proof`` show that the tree (old_size, old_root) is a prefix of (new_size, new_root)?

    Equal sizes need an empty proof and equal roots (PROOF(m, D[m]) = {}). An old size of 0 is refused,
    as the RFC defines consistency proofs for 0 < first only (the empty tree is a prefix of every tree, so
    a caller has nothing to verify there). Every hash must be 32 bytes.
    """
    if not (_is_hash(old_root) and _is_hash(new_root) and all(_is_hash(c) for c in proof)):
        return False
    if not (isinstance(old_size, int) and isinstance(new_size, int)) or not 0 < old_size <= new_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    first, second = old_size, new_size
    # 1. If consistency_path is an empty array, stop and fail.
    if not proof:
        return False
    path = list(proof)
    # 2. If first is an exact power of 2, prepend first_hash to the consistency_path array.
    if first & (first - 1) == 0:
        path.insert(0, old_root)
    # 3. Set fn to first - 1 and sn to second - 1.
    fn, sn = first - 1, second - 1
    # 4. If LSB(fn) is set, right-shift both fn and sn equally until LSB(fn) is not set.
    while fn & 1:
        fn >>= 1
        sn >>= 1
    # 5. Set both fr and sr to the first value in the consistency_path array.
    fr = sr = path[0]
    # 6. For each subsequent value c in the consistency_path array:
    for c in path[1:]:
        # a. If sn is 0, stop the iteration and fail.
        if sn == 0:
            return False
        # b. If LSB(fn) is set, or if fn is equal to sn, then:
        if fn & 1 or fn == sn:
            # i. Set fr to HASH(0x01 || c || fr).  ii. Set sr to HASH(0x01 || c || sr).
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            # iii. If LSB(fn) is not set, right-shift fn and sn equally until LSB(fn) is set or fn is 0.
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            # Otherwise: i. Set sr to HASH(0x01 || sr || c).
            sr = node_hash(sr, c)
        # c. Finally, right-shift both fn and sn one time.
        fn >>= 1
        sn >>= 1
    # 7. fr must equal first_hash, sr must equal second_hash, and sn must be 0.
    return sn == 0 and fr == old_root and sr == new_root


class MerkleLog:
    """An append-only list of leaf hashes that keeps the hash of every complete subtree.

    ``_levels[h][i]`` is the hash of the perfect subtree over leaves [i * 2^h, (i + 1) * 2^h); level 0
    holds the leaf hashes. The last entries of the levels are the log's frontier (compact range).

    Cost, for n leaves: memory about 2n hashes (64 bytes a leaf); ``append`` amortised 1 node hash,
    at most log2(n); ``root(size)`` for any size <= n at most 2·log2(n) lookups and log2(n) hashes,
    since in the RFC's split every left part is a perfect subtree already stored; ``inclusion_proof``
    and ``consistency_proof`` O(log² n) hashes worst case (each of their O(log n) siblings is a stored
    perfect subtree or a right-border range costing O(log n)). Not thread-safe.
    """

    __slots__ = ("_levels",)

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self._levels: list[list[bytes]] = [[]]
        for h in leaf_hashes:
            self.append(h)

    def __len__(self) -> int:
        return len(self._levels[0])

    @property
    def size(self) -> int:
        return len(self._levels[0])

    def leaf(self, index: int) -> bytes:
        """The leaf hash at ``index``."""
        if not 0 <= index < self.size:
            raise IndexError(f"index {index} is outside a log of size {self.size}")
        return self._levels[0][index]

    def append(self, leaf_hash: bytes) -> int:
        """Append a leaf hash (see ``leaf_hash`` for hashing entry data); returns its index."""
        if not _is_hash(leaf_hash):
            raise ValueError(f"a leaf hash is {HASH_SIZE} bytes")
        levels = self._levels
        index = len(levels[0])
        levels[0].append(leaf_hash)
        h, i = 0, index
        while i & 1:  # a right child completes its parent's perfect subtree
            parent = node_hash(levels[h][i - 1], levels[h][i])
            h, i = h + 1, i >> 1
            if h == len(levels):
                levels.append([])
            levels[h].append(parent)
        return index

    def _range_hash(self, lo: int, hi: int) -> bytes:
        # MTH(D[lo:hi]) for a range where lo is a multiple of the smallest power of two >= hi - lo.
        levels = self._levels
        n = hi - lo
        if n == 0:
            return EMPTY_ROOT
        if n & (n - 1) == 0:  # a perfect subtree: stored
            height = n.bit_length() - 1
            return levels[height][lo >> height]
        k = _split(n)
        return node_hash(self._range_hash(lo, lo + k), self._range_hash(lo + k, hi))

    def _size_or_current(self, size: int | None) -> int:
        if size is None:
            return self.size
        if not 0 <= size <= self.size:
            raise ValueError(f"size {size} is outside 0..{self.size}")
        return size

    def root(self, size: int | None = None) -> bytes:
        """MTH of the first ``size`` leaves (default: all)."""
        return self._range_hash(0, self._size_or_current(size))

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """PATH(index, D[size]) (default size: all leaves)."""
        return _inclusion(index, self._size_or_current(size), self._range_hash)

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        """PROOF(old_size, D[new_size]) (default new size: all leaves); needs 0 < old_size <= new_size."""
        return _consistency(old_size, self._size_or_current(new_size), self._range_hash)

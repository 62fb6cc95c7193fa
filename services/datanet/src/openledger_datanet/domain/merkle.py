"""The snapshot Merkle tree, scheme ``openledger.datanet.merkle.v1``.

The scheme is defined in ``protos/openledger/datanet/v1/snapshot.proto`` and checked on chain by
``DatanetRegistry.verifyRecord`` (OpenZeppelin ``MerkleProof``):

- leaf ``i`` = ``keccak256(keccak256(abi.encode(uint256 i, string record_id,
  address contributor, bytes32 content_hash, bytes32 curated_content_hash)))``; the double hash
  keeps a leaf from ever being read as an internal node, the index binds a record to its place;
- level 0 is the leaves in snapshot order; each next level hashes the pairs (0,1), (2,3), ...
  as ``keccak256(min(a, b) || max(a, b))`` (``Hashes.commutativeKeccak256``), and a last
  unpaired node is carried up unchanged (never duplicated);
- a proof is the siblings from the leaf upward; a level where the node was carried up adds no
  entry, so a proof has at most ``ceil(log2(n))`` entries and is empty for one leaf.

Because pairs are hashed sorted, verifying needs no left/right flags: fold the leaf with each
sibling in turn and compare with the root.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from eth_abi.abi import encode
from eth_utils.address import is_address, to_canonical_address

from openledger_datanet.domain.canonical import HASH_BYTES, keccak_bytes
from openledger_kit.errors import InvalidArgument

MERKLE_SCHEME = "openledger.datanet.merkle.v1"
"""``Snapshot.merkle_scheme`` of trees built here."""

_LEAF_TYPES = ("uint256", "string", "address", "bytes32", "bytes32")


def leaf_hash(
    index: int,
    record_id: str,
    contributor: str | bytes,
    content_hash: bytes,
    curated_hash: bytes,
) -> bytes:
    """The Merkle leaf of record ``index`` (see the module docstring).

    ``contributor`` is a 0x-prefixed hex address (any case) or its 20 raw bytes; both hashes
    must be 32 bytes.
    """
    if index < 0:
        raise InvalidArgument("index", f"leaf index must be >= 0, got {index}")
    address = _address_bytes(contributor)
    _check_hash("content_hash", content_hash)
    _check_hash("curated_content_hash", curated_hash)
    encoded = encode(_LEAF_TYPES, [index, record_id, address, content_hash, curated_hash])
    return keccak_bytes(keccak_bytes(encoded))


def hash_pair(a: bytes, b: bytes) -> bytes:
    """``keccak256(min(a, b) || max(a, b))``; 32-byte values compare as big-endian integers,
    which for equal lengths is plain byte order."""
    return keccak_bytes(a + b) if a <= b else keccak_bytes(b + a)


class MerkleTree:
    """A whole tree over ``leaves`` in order, every level kept for proofs.

    Memory is about twice the leaves (32 bytes each): a million records take ~64 MB.
    """

    def __init__(self, leaves: Sequence[bytes]) -> None:
        if not leaves:
            raise InvalidArgument("leaves", "a Merkle tree needs at least one leaf")
        level = list(leaves)
        for position, leaf in enumerate(level):
            _check_hash(f"leaves[{position}]", leaf)
        self._levels: list[list[bytes]] = [level]
        while len(level) > 1:
            level = _next_level(level)
            self._levels.append(level)

    def __len__(self) -> int:
        return len(self._levels[0])

    @property
    def root(self) -> bytes:
        """The single node of the top level; the leaf itself for a one-leaf tree."""
        return self._levels[-1][0]

    @property
    def leaves(self) -> Sequence[bytes]:
        return tuple(self._levels[0])

    def leaf(self, index: int) -> bytes:
        self._check_index(index)
        return self._levels[0][index]

    def proof(self, index: int) -> list[bytes]:
        """Sibling hashes of leaf ``index`` from its level up to just below the root."""
        self._check_index(index)
        siblings: list[bytes] = []
        for level in self._levels[:-1]:
            sibling = index ^ 1
            if sibling < len(level):
                siblings.append(level[sibling])
            index //= 2
        return siblings

    @staticmethod
    def verify(leaf: bytes, proof: Iterable[bytes], root: bytes) -> bool:
        """Whether folding ``leaf`` with ``proof`` gives ``root`` (OpenZeppelin
        ``MerkleProof.verify``). Malformed input (not 32-byte values) verifies as False."""
        if len(leaf) != HASH_BYTES or len(root) != HASH_BYTES:
            return False
        node = leaf
        for sibling in proof:
            if len(sibling) != HASH_BYTES:
                return False
            node = hash_pair(node, sibling)
        return node == root

    def _check_index(self, index: int) -> None:
        if not 0 <= index < len(self):
            raise InvalidArgument(
                "leaf_index", f"{index} is outside the tree of {len(self)} leaves"
            )


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    """The root over ``leaves`` without keeping the levels."""
    if not leaves:
        raise InvalidArgument("leaves", "a Merkle tree needs at least one leaf")
    level = list(leaves)
    while len(level) > 1:
        level = _next_level(level)
    return level[0]


def _next_level(level: list[bytes]) -> list[bytes]:
    paired = [hash_pair(level[j], level[j + 1]) for j in range(0, len(level) - 1, 2)]
    if len(level) % 2:
        paired.append(level[-1])
    return paired


def _check_hash(field: str, value: bytes) -> None:
    if not isinstance(value, bytes | bytearray) or len(value) != HASH_BYTES:
        raise InvalidArgument(field, f"expected {HASH_BYTES} bytes")


def _address_bytes(contributor: str | bytes) -> bytes:
    if isinstance(contributor, bytes | bytearray):
        if len(contributor) != 20:
            raise InvalidArgument("contributor", "expected a 20-byte address")
        return bytes(contributor)
    if not is_address(contributor):
        raise InvalidArgument("contributor", f"not an Ethereum address: {contributor[:50]!r}")
    return bytes(to_canonical_address(contributor))

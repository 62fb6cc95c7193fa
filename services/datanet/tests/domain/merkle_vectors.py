"""Leaves built exactly as ``contracts/test/l2/DatanetRegistry.t.sol`` builds them, and a
reference tree written from the words of snapshot.proto, shared by the Merkle tests."""

from __future__ import annotations

from eth_abi.abi import encode
from eth_utils.crypto import keccak

from openledger_datanet.domain.merkle import leaf_hash


def solidity_leaves(count: int, salt: int) -> list[bytes]:
    """``DatanetRegistryTest._leaves(count, salt)``: record i has id "record-{i}", contributor
    ``address(uint160(uint256(keccak256(abi.encode(salt, i)))))`` and content and curated
    hashes ``keccak256(abi.encode("content"|"curated", salt, i))``."""
    leaves = []
    for i in range(count):
        contributor = bytes(keccak(encode(["uint256", "uint256"], [salt, i])))[-20:]
        leaves.append(
            leaf_hash(
                i,
                f"record-{i}",
                contributor,
                bytes(keccak(encode(["string", "uint256", "uint256"], ["content", salt, i]))),
                bytes(keccak(encode(["string", "uint256", "uint256"], ["curated", salt, i]))),
            )
        )
    return leaves


def golden_leaves() -> list[bytes]:
    """``test_verifyRecord_goldenVectorFromPython``: 5 records with ids
    "0190c0de-0000-7000-8000-00000000000{i}", contributor 0x{11*(i+1)} x 20, hashes
    keccak256("content-{i}") and keccak256("curated-{i}")."""
    return [
        leaf_hash(
            i,
            f"0190c0de-0000-7000-8000-00000000000{i}",
            "0x" + f"{0x11 * (i + 1):02x}" * 20,
            bytes(keccak(text=f"content-{i}")),
            bytes(keccak(text=f"curated-{i}")),
        )
        for i in range(5)
    ]


GOLDEN_LEAVES = [
    "a98acc4c2e552573f22dc5a6c983aa30546a6e0abf7461e975660d259b6c50b8",
    "83f0c07d7228172c56e9ec68989c9bcb400e473f78ac8a9bea6df7f7286f4cfd",
    "ca35228f2d964cb267ea5240a4ab2f83e25947a3edbbc9ca797420e1341eaada",
    "4cd963e5dcc08f5b58e11e172d38e62870a05673aefac8c89dcdeefcda15fa52",
    "ce7bd3ec00b1d643b1b7a6ed83b46cc56f6cc42e4dd9575987880d42b137a177",
]
GOLDEN_ROOT = "aa34e82e162594b3beb70ee3547215850b2eb61871813683b7f4650c81f29915"
GOLDEN_PROOF_4 = ["c336aa70d62f6b0626f2f35fb615462b06a1ec8c3e5fa0ab2383313e8e0fb17a"]
GOLDEN_PROOF_2 = [
    "4cd963e5dcc08f5b58e11e172d38e62870a05673aefac8c89dcdeefcda15fa52",
    "c90285a65a7b4ca27a113e9ecf75e40595e1b1b072ddc9e33b249d6f3e2959b5",
    "ce7bd3ec00b1d643b1b7a6ed83b46cc56f6cc42e4dd9575987880d42b137a177",
]


def reference_root(nodes: list[bytes]) -> bytes:
    """snapshot.proto in code: pair (0,1), (2,3), ... as keccak256(min || max) comparing
    big-endian integers, carry a last unpaired node up unchanged, until one node is left."""
    while len(nodes) > 1:
        paired: list[bytes] = []
        for j in range(0, len(nodes), 2):
            if j + 1 == len(nodes):
                paired.append(nodes[j])
                continue
            a, b = int.from_bytes(nodes[j], "big"), int.from_bytes(nodes[j + 1], "big")
            low, high = (nodes[j], nodes[j + 1]) if a <= b else (nodes[j + 1], nodes[j])
            paired.append(bytes(keccak(low + high)))
        nodes = paired
    return nodes[0]

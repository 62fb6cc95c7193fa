"""The snapshot Merkle tree (``openledger.datanet.merkle.v1``) against the Solidity test
vectors and a reference written from snapshot.proto. The same trees are checked against the
deployed contract in ``tests/adapters/test_merkle_on_chain.py``."""

from __future__ import annotations

import math

import pytest
from eth_utils.crypto import keccak

from openledger_datanet.domain.merkle import (
    MERKLE_SCHEME,
    MerkleTree,
    hash_pair,
    leaf_hash,
    merkle_root,
)
from openledger_kit.errors import InvalidArgument

from .merkle_vectors import (
    GOLDEN_LEAVES,
    GOLDEN_PROOF_2,
    GOLDEN_PROOF_4,
    GOLDEN_ROOT,
    golden_leaves,
    reference_root,
    solidity_leaves,
)


def test_scheme_name_is_the_protos() -> None:
    assert MERKLE_SCHEME == "openledger.datanet.merkle.v1"


def test_golden_vector_of_the_solidity_tests() -> None:
    """``test_verifyRecord_goldenVectorFromPython`` in DatanetRegistry.t.sol."""
    leaves = golden_leaves()
    assert [leaf.hex() for leaf in leaves] == GOLDEN_LEAVES
    tree = MerkleTree(leaves)
    assert tree.root.hex() == GOLDEN_ROOT
    assert [p.hex() for p in tree.proof(4)] == GOLDEN_PROOF_4  # carried up twice, paired once
    assert [p.hex() for p in tree.proof(2)] == GOLDEN_PROOF_2
    for index, leaf in enumerate(leaves):
        assert MerkleTree.verify(leaf, tree.proof(index), tree.root)


def test_leaf_is_double_keccak_of_the_abi_encoding() -> None:
    from eth_abi.abi import encode

    contributor = "0x" + "ab" * 20
    content, curated = bytes(keccak(text="c")), bytes(keccak(text="d"))
    encoded = encode(
        ["uint256", "string", "address", "bytes32", "bytes32"],
        [7, "rec", contributor, content, curated],
    )
    expected = bytes(keccak(bytes(keccak(encoded))))
    assert leaf_hash(7, "rec", contributor, content, curated) == expected
    # The contributor may be given in any case or as raw bytes.
    checksummed = "0xABaBaBaBABabABabAbAbABAbABabababaBaBABaB"
    assert leaf_hash(7, "rec", checksummed, content, curated) == expected
    assert leaf_hash(7, "rec", bytes.fromhex("ab" * 20), content, curated) == expected
    # The index binds the record to its place.
    assert leaf_hash(8, "rec", contributor, content, curated) != expected


@pytest.mark.parametrize("count", range(1, 34))
def test_every_leaf_of_trees_up_to_33_proves_into_the_reference_root(count: int) -> None:
    leaves = solidity_leaves(count, salt=count)
    tree = MerkleTree(leaves)
    assert tree.root == reference_root(list(leaves)) == merkle_root(leaves)
    assert len(tree) == count
    depth = math.ceil(math.log2(count)) if count > 1 else 0
    for index, leaf in enumerate(leaves):
        proof = tree.proof(index)
        assert len(proof) <= depth
        assert MerkleTree.verify(leaf, proof, tree.root)
        # The proof belongs to this leaf only.
        for other in {0, count - 1, (index + 1) % count} - {index}:
            assert not MerkleTree.verify(leaves[other], proof, tree.root)
    if count & (count - 1) == 0:
        # A full tree: every proof has exactly log2(count) siblings.
        assert {len(tree.proof(i)) for i in range(count)} == {depth}


def test_one_record_root_is_its_leaf_with_an_empty_proof() -> None:
    (leaf,) = solidity_leaves(1, salt=1)
    tree = MerkleTree([leaf])
    assert tree.root == leaf
    assert tree.proof(0) == []
    assert MerkleTree.verify(leaf, [], leaf)


def test_odd_nodes_are_carried_up_not_duplicated() -> None:
    a, b, c = solidity_leaves(3, salt=3)
    # Three leaves: (a, b) pair, c is carried up, then the two are paired.
    assert MerkleTree([a, b, c]).root == hash_pair(hash_pair(a, b), c)
    assert MerkleTree([a, b, c]).root != MerkleTree([a, b, c, c]).root
    assert MerkleTree([a, b, c]).proof(2) == [hash_pair(a, b)]


def test_pairs_are_hashed_sorted_as_big_endian_integers() -> None:
    low, high = b"\x00" * 31 + b"\x01", b"\x01" + b"\x00" * 31
    assert hash_pair(low, high) == hash_pair(high, low) == bytes(keccak(low + high))


@pytest.mark.parametrize("count", [2, 5, 8, 17, 33])
def test_tampering_is_detected(count: int) -> None:
    leaves = solidity_leaves(count, salt=99)
    tree = MerkleTree(leaves)
    index = count // 2
    proof = tree.proof(index)
    leaf = leaves[index]
    # A flipped bit in the leaf, in any sibling or in the root.
    assert not MerkleTree.verify(bytes([leaf[0] ^ 1]) + leaf[1:], proof, tree.root)
    for position in range(len(proof)):
        tampered = list(proof)
        tampered[position] = proof[position][:31] + bytes([proof[position][31] ^ 1])
        assert not MerkleTree.verify(leaf, tampered, tree.root)
    assert not MerkleTree.verify(leaf, proof, bytes([tree.root[0] ^ 1]) + tree.root[1:])
    # A dropped or an extra sibling.
    assert not MerkleTree.verify(leaf, proof[:-1], tree.root)
    assert not MerkleTree.verify(leaf, [*proof, leaves[0]], tree.root)
    # Another tree's root.
    assert not MerkleTree.verify(leaf, proof, MerkleTree(solidity_leaves(count, 100)).root)


@pytest.mark.parametrize("count", [2, 4, 8, 16, 32])
def test_record_order_is_bound_by_the_index_in_the_leaf(count: int) -> None:
    records = [
        (
            f"record-{i}",
            "0x" + f"{i + 1:040x}",
            bytes(keccak(text=f"c{i}")),
            bytes(keccak(text=f"d{i}")),
        )
        for i in range(count)
    ]
    leaves = [leaf_hash(i, *record) for i, record in enumerate(records)]
    # Sorted pairs make a full tree's root blind to the order of its leaves ...
    assert MerkleTree(list(reversed(leaves))).root == MerkleTree(leaves).root
    # ... but the same records in another order give other leaves, so another root.
    swapped = [leaf_hash(i, *record) for i, record in enumerate(reversed(records))]
    assert MerkleTree(swapped).root != MerkleTree(leaves).root


def test_malformed_input() -> None:
    with pytest.raises(InvalidArgument):
        MerkleTree([])
    with pytest.raises(InvalidArgument):
        merkle_root([])
    with pytest.raises(InvalidArgument):
        MerkleTree([b"short"])
    tree = MerkleTree(solidity_leaves(3, salt=1))
    for index in (-1, 3):
        with pytest.raises(InvalidArgument):
            tree.proof(index)
    leaf = tree.leaf(0)
    assert not MerkleTree.verify(leaf[:31], tree.proof(0), tree.root)
    assert not MerkleTree.verify(leaf, [b"\x00" * 31], tree.root)
    assert not MerkleTree.verify(leaf, tree.proof(0), tree.root[:16])
    with pytest.raises(InvalidArgument):
        leaf_hash(-1, "r", "0x" + "11" * 20, leaf, leaf)
    with pytest.raises(InvalidArgument):
        leaf_hash(0, "r", "0x1234", leaf, leaf)
    with pytest.raises(InvalidArgument):
        leaf_hash(0, "r", "0x" + "11" * 20, leaf[:31], leaf)

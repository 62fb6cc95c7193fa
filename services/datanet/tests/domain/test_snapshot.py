"""Snapshot records: order, leaves, the JSON Lines form, verification and inclusion proofs."""

from __future__ import annotations

import json

import pytest

from openledger_datanet.domain.canonical import canonical_json, content_hash
from openledger_datanet.domain.merkle import MerkleTree, leaf_hash
from openledger_datanet.domain.snapshot import (
    AcceptedRecord,
    InclusionProof,
    SnapshotRecord,
    SnapshotStats,
    number_records,
)
from openledger_kit.errors import InvalidArgument

ALICE = "0x1111111111111111111111111111111111111111"
BOB = "0x000000000000000000000000000000000000bEEF"


def accepted(sequence: int, contributor: str = ALICE) -> AcceptedRecord:
    original = {"text": f"record {sequence} "}
    curated = {"text": f"record {sequence}"}
    return AcceptedRecord(
        accept_sequence=sequence,
        record_id=f"0190c0de-0000-7000-8000-{sequence:012d}",
        contributor=contributor.lower(),
        content=curated,
        content_hash=content_hash(original),
        curated_content_hash=content_hash(curated),
        signature=bytes([sequence % 256]) * 65,
    )


def test_records_are_numbered_in_accept_order_with_positional_leaves() -> None:
    records = list(number_records([accepted(1), accepted(2, BOB), accepted(5)]))
    assert [r.index for r in records] == [0, 1, 2]
    assert [r.record_id[-1] for r in records] == ["1", "2", "5"]
    # Addresses come out checksummed; leaves are the merkle module's, by index.
    assert records[1].contributor == BOB
    for record in records:
        assert record.leaf_hash == leaf_hash(
            record.index,
            record.record_id,
            record.contributor,
            record.content_hash,
            record.curated_content_hash,
        )
        record.verify()


@pytest.mark.parametrize("sequences", [[2, 1], [1, 1], [0]])
def test_out_of_order_input_is_refused(sequences: list[int]) -> None:
    with pytest.raises(InvalidArgument):
        list(number_records([accepted(s) for s in sequences]))


def test_json_line_is_canonical_and_round_trips() -> None:
    (record,) = number_records([accepted(3)])
    line = record.to_json_line()
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    data = json.loads(line)
    assert canonical_json(data) + b"\n" == line
    assert list(data) == sorted(data)
    assert set(data) == {
        "index",
        "record_id",
        "contributor",
        "content",
        "content_hash",
        "curated_content_hash",
        "signature",
        "leaf_hash",
    }
    assert data["content_hash"] == "0x" + record.content_hash.hex()
    assert data["signature"].startswith("0x") and len(data["signature"]) == 2 + 130
    assert SnapshotRecord.from_json(data) == record
    # The brief's names for the same fields.
    assert record.curated_content == record.content
    assert record.curated_hash == record.curated_content_hash
    assert record.leaf == record.leaf_hash


def test_verify_detects_changed_content_or_fields() -> None:
    (record,) = number_records([accepted(4)])
    data = record.to_json()
    changed_content = SnapshotRecord.from_json({**data, "content": {"text": "forged"}})
    with pytest.raises(InvalidArgument, match="curated_content_hash"):
        changed_content.verify()
    moved = SnapshotRecord.from_json({**data, "index": 9})
    with pytest.raises(InvalidArgument, match="leaf_hash"):
        moved.verify()
    with pytest.raises(InvalidArgument):
        SnapshotRecord.from_json({k: v for k, v in data.items() if k != "leaf_hash"})
    with pytest.raises(InvalidArgument):
        SnapshotRecord.from_json({**data, "signature": "not hex"})


def test_stats_count_records_contributors_and_canonical_bytes() -> None:
    stats = SnapshotStats()
    records = list(number_records([accepted(1), accepted(2, BOB), accepted(3)]))
    for record in records:
        stats.add(record)
    assert stats.record_count == 3
    assert stats.contributor_count == 2
    assert stats.content_bytes == sum(len(canonical_json(r.content)) for r in records)


def test_inclusion_proof_verifies_and_detects_a_forged_record() -> None:
    records = list(number_records([accepted(s) for s in range(1, 8)]))
    tree = MerkleTree([r.leaf_hash for r in records])
    proof = InclusionProof(records[5], tuple(tree.proof(5)), tree.root, len(records))
    assert proof.verify()
    assert proof.leaf_index == 5 and proof.leaf_hash == records[5].leaf_hash
    forged_record = SnapshotRecord(**{**records[5].__dict__, "record_id": "someone-else"})
    assert not InclusionProof(forged_record, proof.sibling_hashes, tree.root, 7).verify()
    assert not InclusionProof(records[4], proof.sibling_hashes, tree.root, 7).verify()

"""``DatanetSnapshots`` against a real datanet server with a real snapshot."""

from __future__ import annotations

import pytest
from google.protobuf import struct_pb2

from openledger_kit.errors import NotFound
from openledger_modelfactory.adapters.datanet import DatanetSnapshots, plain, struct_to_plain
from services.modelfactory.tests.datanet_snapshot import DatanetSnapshot


def _client(snap: DatanetSnapshot) -> DatanetSnapshots:
    return DatanetSnapshots(snap.addr, service_token=snap.service_token)


async def test_get_describes_the_snapshot(datanet_snapshot: DatanetSnapshot) -> None:
    client = _client(datanet_snapshot)
    try:
        info = await client.get(datanet_snapshot.name)
    finally:
        await client.close()
    assert info is not None
    assert info.name == datanet_snapshot.name
    assert info.state == "SUCCEEDED"
    assert info.merkle_root == datanet_snapshot.merkle_root and len(info.merkle_root) == 32
    assert info.record_count == datanet_snapshot.record_count == len(datanet_snapshot.contents)
    assert info.record_schema == datanet_snapshot.schema


async def test_records_stream_in_snapshot_order(datanet_snapshot: DatanetSnapshot) -> None:
    client = _client(datanet_snapshot)
    try:
        records = [r async for r in client.records(datanet_snapshot.name)]
        window = [r async for r in client.records(datanet_snapshot.name, 2, 5)]
    finally:
        await client.close()
    assert [r.index for r in records] == list(range(datanet_snapshot.record_count))
    assert len({r.record_id for r in records}) == len(records)
    assert sorted(r.content["text"] for r in records) == sorted(
        c["text"] for c in datanet_snapshot.contents
    )
    assert all(r.contributor.startswith("0x") and len(r.contributor) == 42 for r in records)
    assert window == records[2:5]


async def test_missing_snapshots(datanet_snapshot: DatanetSnapshot) -> None:
    client = _client(datanet_snapshot)
    missing = datanet_snapshot.name.rsplit("/", 1)[0] + "/v99"
    try:
        assert await client.get(missing) is None
        assert await client.get("datanets/no-such-datanet/snapshots/v1") is None
        with pytest.raises(NotFound):
            [r async for r in client.records(missing)]
    finally:
        await client.close()


def test_struct_numbers_read_as_canonical_json() -> None:
    struct = struct_pb2.Struct()
    struct.update({"n": 3, "x": 2.5, "nested": {"ids": [1, 2.0, 0.5]}, "s": "3", "b": True})
    assert struct_to_plain(struct) == {
        "n": 3,
        "x": 2.5,
        "nested": {"ids": [1, 2, 0.5]},
        "s": "3",
        "b": True,
    }
    assert isinstance(struct_to_plain(struct)["n"], int)
    assert plain(2.0**60) == 2.0**60  # beyond 2^53 a double is not an exact integer

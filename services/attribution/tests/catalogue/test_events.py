"""Catalogue events into the repository, and the index builds they start."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from google.protobuf.message import Message

from openledger.events.v1 import datanet_events_pb2, modelfactory_events_pb2
from openledger_attribution.adapters.catalogue import (
    CatalogueHandlers,
    adapter_from_event,
    snapshot_from_event,
)
from openledger_attribution.adapters.indexes import IndexLibrary
from openledger_attribution.adapters.models import BaseModelLibrary
from openledger_attribution.adapters.repository import Repository
from openledger_kit.bus import EventContext
from openledger_kit.bus.envelope import seal
from openledger_kit.errors import InvalidArgument
from services.attribution.tests.support.planted import PlantedPlatform

pytestmark = pytest.mark.slow


def _ctx(message: Message) -> EventContext:
    envelope = seal(message, source="test")
    return EventContext(
        envelope,
        entry_id="1-0",
        delivery_count=1,
        stream="test",
        group="attribution",
        consumer="test",
        done_key="done",
    )


def test_events_read_as_the_planted_records(planted: PlantedPlatform) -> None:
    assert snapshot_from_event(planted.snapshot_event) == planted.snapshot
    assert adapter_from_event(planted.adapter_event) == planted.adapter


def test_an_adapter_without_features_or_lineage(planted: PlantedPlatform) -> None:
    event = modelfactory_events_pb2.AdapterPublished()
    event.CopyFrom(planted.adapter_event)
    event.ClearField("attribution_features")
    del event.snapshots[:]
    adapter = adapter_from_event(event)
    assert (adapter.features_digest, adapter.snapshot, adapter.snapshot_merkle_root) == (
        "",
        "",
        b"",
    )
    assert not adapter.has_features


@pytest.mark.parametrize(
    ("field", "spoil"),
    [
        ("merkle_root", lambda e: setattr(e, "merkle_root", b"\x01" * 31)),
        ("snapshot", lambda e: setattr(e, "snapshot", "datanets/x")),
        ("record_count", lambda e: setattr(e, "record_count", 0)),
        ("jsonl.sha256", lambda e: e.ClearField("jsonl")),
    ],
)
def test_a_malformed_snapshot_event_names_its_field(
    planted: PlantedPlatform, field: str, spoil: object
) -> None:
    event = datanet_events_pb2.SnapshotPublished()
    event.CopyFrom(planted.snapshot_event)
    spoil(event)  # type: ignore[operator]
    with pytest.raises(InvalidArgument) as caught:
        snapshot_from_event(event)
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("field", "spoil"),
    [
        ("adapter", lambda e: setattr(e, "version", 2)),
        ("owner_address", lambda e: setattr(e, "owner_address", e.owner_address.lower())),
        ("adapter_sha256", lambda e: setattr(e, "adapter_sha256", b"")),
        ("adapter_model.sha256", lambda e: setattr(e.adapter_model, "sha256", b"\x02" * 32)),
        ("snapshots[0].merkle_root", lambda e: setattr(e.snapshots[0], "merkle_root", b"")),
    ],
)
def test_a_malformed_adapter_event_names_its_field(
    planted: PlantedPlatform, field: str, spoil: object
) -> None:
    event = modelfactory_events_pb2.AdapterPublished()
    event.CopyFrom(planted.adapter_event)
    spoil(event)  # type: ignore[operator]
    with pytest.raises(InvalidArgument) as caught:
        adapter_from_event(event)
    assert caught.value.field == field


async def _settled(indexes: IndexLibrary, planted: PlantedPlatform) -> None:
    # The scheduled build is the flight a request without build joins.
    loaded = await indexes.get(planted.snapshot, "tiny-llama", build=False)
    assert loaded.record.document_count == len(planted.records)


@pytest.mark.parametrize("adapter_first", [True, False])
async def test_events_are_recorded_and_start_the_index_build(
    planted: PlantedPlatform, repo: Repository, tmp_path: Path, adapter_first: bool
) -> None:
    indexes = IndexLibrary(
        repo, planted.store, BaseModelLibrary(None, planted.cache_dir), tmp_path / "indexes"
    )
    handlers = CatalogueHandlers(repo, indexes)
    events = [
        (handlers.on_snapshot, planted.snapshot_event),
        (handlers.on_adapter, planted.adapter_event),
    ]
    for handle, event in reversed(events) if adapter_first else events:
        await handle(event, _ctx(event))  # type: ignore[operator]
        # A replay changes nothing.
        await handle(event, _ctx(event))  # type: ignore[operator]
    assert repo.get_snapshot(planted.snapshot.name) == planted.snapshot
    assert repo.get_adapter(planted.adapter.ref) == planted.adapter
    assert repo.adapters_on_snapshot(planted.snapshot.name) == [planted.adapter]

    await asyncio.wait_for(_settled(indexes, planted), timeout=120)
    record = repo.get_index(planted.snapshot.name, "tiny-llama")
    assert record is not None and record.document_count == len(planted.records)
    await indexes.close()

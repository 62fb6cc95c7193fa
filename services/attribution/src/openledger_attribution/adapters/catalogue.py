"""The catalogue's events: ``SnapshotPublished`` and ``AdapterPublished`` become the service's
snapshot and adapter records, and start the span index builds completions will need.

Both streams are replayed from their start, so handling is an idempotent upsert. A build is
only scheduled (``IndexLibrary.schedule``): the handler returns at once, and the first
completion that needs the index waits for the build in flight.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC

from eth_utils.address import is_checksum_address

from openledger.common.v1 import object_ref_pb2
from openledger.events.v1 import datanet_events_pb2, modelfactory_events_pb2
from openledger_attribution.adapters.indexes import IndexLibrary
from openledger_attribution.domain.model import AdapterInfo, SnapshotInfo
from openledger_attribution.domain.ports import Repository
from openledger_kit.bus import EventContext
from openledger_kit.errors import InvalidArgument

_DOMAIN = "openledger.attribution"
_SNAPSHOT_NAME = re.compile(r"datanets/[^/]+/snapshots/[^/]+")
_ADAPTER_REF = re.compile(r"([a-z0-9][a-z0-9-]*)@([1-9][0-9]*)")


def snapshot_from_event(event: datanet_events_pb2.SnapshotPublished) -> SnapshotInfo:
    """``InvalidArgument`` naming the field when the event cannot be a published snapshot."""
    if not _SNAPSHOT_NAME.fullmatch(event.snapshot):
        raise _invalid(
            "snapshot",
            f"expected datanets/{{datanet}}/snapshots/{{snapshot}}, got {event.snapshot!r}",
        )
    _hash("merkle_root", event.merkle_root)
    if event.record_count <= 0:
        raise _invalid("record_count", f"must be positive, got {event.record_count}")
    if not event.HasField("publish_time"):
        raise _invalid("publish_time", "is not set")
    return SnapshotInfo(
        name=event.snapshot,
        merkle_root=event.merkle_root,
        record_count=event.record_count,
        jsonl_digest=_digest("jsonl", event.jsonl, required=True),
        publish_time=event.publish_time.ToDatetime(tzinfo=UTC),
    )


def adapter_from_event(event: modelfactory_events_pb2.AdapterPublished) -> AdapterInfo:
    """``InvalidArgument`` naming the field when the event cannot be a published adapter."""
    match = _ADAPTER_REF.fullmatch(event.adapter)
    if match is None:
        raise _invalid("adapter", f"expected {{adapter_id}}@{{version}}, got {event.adapter!r}")
    if (match[1], int(match[2])) != (event.adapter_id, event.version):
        raise _invalid("adapter", f"{event.adapter!r} is not {event.adapter_id}@{event.version}")
    if not event.base_model:
        raise _invalid("base_model", "is empty")
    if not is_checksum_address(event.owner_address):
        raise _invalid("owner_address", f"not an EIP-55 address: {event.owner_address!r}")
    _hash("adapter_sha256", event.adapter_sha256)
    if len(event.snapshots) > 1:
        raise _invalid("snapshots", f"at most one in v1, got {len(event.snapshots)}")
    snapshot, merkle_root = "", b""
    if event.snapshots:
        lineage = event.snapshots[0]
        if not _SNAPSHOT_NAME.fullmatch(lineage.snapshot):
            raise _invalid("snapshots[0].snapshot", f"not a snapshot name: {lineage.snapshot!r}")
        snapshot, merkle_root = (
            lineage.snapshot,
            _hash("snapshots[0].merkle_root", lineage.merkle_root),
        )
    model_digest = _digest("adapter_model", event.adapter_model, required=True)
    if model_digest != event.adapter_sha256.hex():
        raise _invalid("adapter_model.sha256", "differs from adapter_sha256")
    return AdapterInfo(
        ref=event.adapter,
        base_model=event.base_model,
        owner=event.owner_address,
        adapter_sha256=event.adapter_sha256,
        snapshot=snapshot,
        snapshot_merkle_root=merkle_root,
        adapter_model_digest=model_digest,
        adapter_config_digest=_digest("adapter_config", event.adapter_config, required=True),
        features_digest=_digest(
            "attribution_features",
            event.attribution_features,
            required=event.HasField("attribution_features"),
        ),
    )


class CatalogueHandlers:
    """The consumer handlers of ``ol:datanet:snapshot:v1`` and ``ol:modelfactory:adapter:v1``."""

    def __init__(self, repository: Repository, indexes: IndexLibrary) -> None:
        self._repository = repository
        self._indexes = indexes

    async def on_snapshot(
        self, msg: datanet_events_pb2.SnapshotPublished, ctx: EventContext
    ) -> None:
        snapshot = snapshot_from_event(msg)
        await asyncio.to_thread(self._repository.record_snapshot, snapshot)
        adapters = await asyncio.to_thread(self._repository.adapters_on_snapshot, snapshot.name)
        for base_model in sorted({adapter.base_model for adapter in adapters}):
            self._indexes.schedule(snapshot, base_model)

    async def on_adapter(
        self, msg: modelfactory_events_pb2.AdapterPublished, ctx: EventContext
    ) -> None:
        adapter = adapter_from_event(msg)
        await asyncio.to_thread(self._repository.record_adapter, adapter)
        if not adapter.snapshot:
            return
        # The adapter may arrive after its snapshot: then this is the event that makes the
        # (snapshot, base model) pair needed.
        snapshot = await asyncio.to_thread(self._repository.get_snapshot, adapter.snapshot)
        if snapshot is not None:
            self._indexes.schedule(snapshot, adapter.base_model)


def _hash(field: str, value: bytes) -> bytes:
    if len(value) != 32:
        raise _invalid(field, f"must be 32 bytes, got {len(value)}")
    return value


def _digest(field: str, ref: object_ref_pb2.ObjectRef, *, required: bool) -> str:
    """The object's digest as hex; empty for an absent optional object."""
    if not required:
        return ""
    return _hash(f"{field}.sha256", ref.sha256).hex()


def _invalid(field: str, message: str) -> InvalidArgument:
    return InvalidArgument(field, message, domain=_DOMAIN)

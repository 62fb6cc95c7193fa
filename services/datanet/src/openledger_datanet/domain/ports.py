"""What the application service needs from the outside, as protocols: the chain registry and
the event publisher (the repository is the storage adapter's ``Repository``, used through the
same kind of narrow calls)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from openledger_datanet.domain.model import ChainTx, Contribution, Snapshot
from openledger_kit.values import Caller as Caller


class Registry(Protocol):
    """The ``DatanetRegistry`` (``adapters.chain.RegistryGateway``)."""

    async def create_datanet(
        self, datanet_id: bytes, curator: str, stake_required: int, metadata_hash: bytes
    ) -> ChainTx: ...

    async def update_datanet(
        self, datanet_id: bytes, curator: str, stake_required: int, metadata_hash: bytes
    ) -> ChainTx: ...

    async def anchor_snapshot(
        self,
        datanet_id: bytes,
        sequence: int,
        merkle_root: bytes,
        record_count: int,
        jsonl_sha256: bytes,
    ) -> ChainTx: ...

    async def slash(
        self, datanet_id: bytes, contributor: str, amount: int, reason_hash: bytes
    ) -> ChainTx: ...

    async def stake_of(self, datanet_id: bytes, contributor: str) -> int: ...

    async def slash_cap(self, datanet_id: bytes, contributor: str) -> int: ...

    async def anchored_root(self, datanet_id: bytes, sequence: int) -> bytes | None: ...

    async def curator_of(self, datanet_id: bytes) -> str | None: ...


class Events(Protocol):
    """The datanet's events (``adapters.bus.EventPublisher``)."""

    async def contributions_submitted(self, contributions: Sequence[Contribution]) -> None: ...

    async def contributions_curated(
        self, contributions: Sequence[tuple[Contribution, bool]]
    ) -> None: ...

    async def snapshot_published(self, snapshot: Snapshot) -> None: ...

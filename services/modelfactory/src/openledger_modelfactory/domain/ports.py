"""What the application service and the job runner need from the outside, as protocols. The
adapters in ``openledger_modelfactory.adapters`` implement them; tests use the real adapters
against real Redis, anvil, SQLite and datanet processes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from openledger_ml.catalogue import BaseModelInfo
from openledger_modelfactory.domain.model import (
    Adapter,
    ChainTx,
    JobUpdate,
    TrainingJob,
)
from openledger_modelfactory.training.events import RunEvent
from openledger_modelfactory.training.spec import RunSpec


class Catalogue(Protocol):
    """The base models this deployment offers (``openledger_ml.catalogue.ModelCatalogue``)."""

    def list(self) -> Sequence[BaseModelInfo]: ...

    def get(self, base_model_id: str) -> BaseModelInfo | None: ...


@dataclass(frozen=True)
class SnapshotInfo:
    """A datanet snapshot as training sees it."""

    name: str  # datanets/{datanet}/snapshots/{snapshot}
    state: str  # the datanet JobState name: "QUEUED", "RUNNING", "SUCCEEDED", "FAILED"
    merkle_root: bytes
    record_count: int
    record_schema: Mapping[str, Any] | None  # the datanet's record JSON Schema


@dataclass(frozen=True)
class SnapshotRecordData:
    index: int
    record_id: str
    contributor: str
    content: Mapping[str, Any]


class Snapshots(Protocol):
    """Datanet snapshots (``adapters.datanet.DatanetSnapshots``, over the datanet's gRPC API)."""

    async def get(self, name: str) -> SnapshotInfo | None: ...

    def records(
        self, name: str, start: int = 0, end: int = 0
    ) -> AsyncIterator[SnapshotRecordData]: ...


@dataclass(frozen=True)
class RegisteredAdapter:
    version: int
    owner: str
    adapter_sha256: bytes
    transaction: ChainTx | None = None
    """The registering transaction, when the chain still has its log."""


class Registry(Protocol):
    """The L2 ``ModelRegistry`` (``adapters.chain.ModelRegistryGateway``)."""

    async def ensure_base_model(self, base: BaseModelInfo) -> None:
        """Register the base model in the on-chain catalogue unless it already is."""
        ...

    async def latest_version(self, adapter_id: str) -> int: ...

    async def registration(self, adapter_id: str, version: int) -> RegisteredAdapter | None: ...

    async def register_adapter(
        self,
        *,
        adapter_id: str,
        version: int,
        adapter_sha256: bytes,
        base_model_id: str,
        snapshot_roots: Sequence[bytes],
        owner: str,
        fee_per_1k_tokens: int,
    ) -> ChainTx:
        """Send the registration and wait for its receipt; raises ``RegistrationReverted`` (a
        domain error) on a revert and ``RegistrationTimeout`` when no receipt comes."""
        ...


class Events(Protocol):
    """The service's events on the bus (``adapters.bus.EventPublisher``)."""

    async def job_updated(self, job: TrainingJob, update: JobUpdate) -> None: ...

    async def adapter_published(self, adapter: Adapter) -> None: ...


class UpdateFeed(Protocol):
    """Live job updates for ``WatchJob`` (``adapters.bus.JobUpdateFeed``): every update
    recorded after the call began, in order, for any API replica."""

    def follow(self, job_id: str) -> AsyncIterator[JobUpdate]: ...


class Launcher(Protocol):
    """Starts and stops training runs (``adapters.launcher``): a driver subprocess per job
    locally or on a Ray cluster, or a KubeRay ``RayJob``."""

    async def launch(self, spec: RunSpec) -> str:
        """Start the run; returns its handle (the Ray submission id or RayJob name)."""
        ...

    async def alive(self, handle: str) -> bool: ...

    async def stop(self, handle: str) -> None:
        """Stop the run and everything it started; idempotent."""
        ...


class RunChannel(Protocol):
    """A job's run channel in Redis (``adapters.run_channel.AsyncRunChannel``)."""

    async def read(
        self, job_id: str, after: str, *, block_ms: int = 1000
    ) -> list[tuple[str, RunEvent]]:
        """Messages after entry id ``after`` ("0" for all), waiting up to ``block_ms``."""
        ...

    async def delete(self, job_id: str) -> None: ...

"""Wiring the datanet service: storage, object store, chain, bus, the application service, the
gRPC server (with auth and dependency-gated health) and, per role, the curation worker.

``create_datanet_server(settings)`` builds everything and binds the port (0 picks a free one)
without starting; ``DatanetServer.start()`` serves and, once the dependency checks pass, resumes
interrupted work (registrations, snapshot jobs, unpublished submissions, pending slashes) and
starts the curation consumer; ``stop()`` drains the consumer, stops the server and closes
connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry
from redis.asyncio import Redis

from openledger.datanet.v1 import datanet_service_pb2_grpc as pb_grpc
from openledger_datanet.adapters.bus import EventPublisher
from openledger_datanet.adapters.chain import RegistryGateway
from openledger_datanet.adapters.embedder import SentenceEmbedder
from openledger_datanet.adapters.repository import Repository
from openledger_datanet.api.servicer import SERVICE_NAME, DatanetServicer
from openledger_datanet.config import Settings
from openledger_datanet.domain.model import ObjectRef
from openledger_datanet.domain.service import DatanetService, Limits
from openledger_datanet.domain.snapshot import SnapshotRecord
from openledger_datanet.metrics import DatanetMetrics
from openledger_datanet.worker import CurationWorker, consumer_for
from openledger_kit import bus
from openledger_kit.auth import Access, AuthPolicy, Rule
from openledger_kit.auth.interceptor import AuthInterceptor
from openledger_kit.server import (
    DependencyCheck,
    GrpcService,
    create_server,
    database_check,
    new_registry,
    redis_check,
)
from openledger_kit.store import ObjectStore, open_store

logger = logging.getLogger(__name__)


def _method(name: str) -> str:
    return f"/{SERVICE_NAME}/{name}"


AUTH_POLICY = AuthPolicy(
    {
        # The signer becomes the curator (admins and services may name another).
        _method("CreateDatanet"): Rule(Access.SIGNED, allow_service_token=True),
        # Curator or admin: checked against the datanet in the domain.
        _method("UpdateDatanet"): Rule(Access.SIGNED),
        # Each record's contributor must be the signer, unless a service submits.
        _method("SubmitContributions"): Rule(Access.SIGNED, allow_service_token=True),
        # The curator, an admin, or a service (a snapshot scheduler).
        _method("CreateSnapshot"): Rule(Access.SIGNED, allow_service_token=True),
        _method("GetDatanet"): Access.PUBLIC,
        _method("ListDatanets"): Access.PUBLIC,
        # Anyone may read; a signed read also shows the contributor (and the curator) the
        # content of PENDING and REJECTED contributions.
        _method("GetContribution"): Access.PUBLIC_OR_SIGNED,
        _method("ListContributions"): Access.PUBLIC_OR_SIGNED,
        _method("GetContributor"): Access.PUBLIC_OR_SIGNED,
        _method("GetSnapshot"): Access.PUBLIC,
        _method("ListSnapshots"): Access.PUBLIC,
        _method("ExportSnapshot"): Access.PUBLIC,
        _method("GetInclusionProof"): Access.PUBLIC,
    }
)
"""Who may call what: writes are signed; reads are public, and the contribution reads may be
signed to see more."""


def snapshot_writer(store: ObjectStore) -> Callable[..., tuple[ObjectRef, ObjectRef]]:
    """The function that writes a snapshot's JSON Lines and Parquet files into ``store``."""
    from openledger_datanet.adapters import snapshot_files

    def write(records: Callable[[], Iterable[SnapshotRecord]]) -> tuple[ObjectRef, ObjectRef]:
        files = snapshot_files.write_snapshot_files(store, records())
        return files.jsonl, files.parquet

    return write


@dataclass
class DatanetServer:
    """The running pieces of one datanet process (see the module docstring)."""

    settings: Settings
    grpc: GrpcService
    port: int
    service: DatanetService
    repository: Repository
    gateway: RegistryGateway
    redis: Redis
    metrics: DatanetMetrics
    worker: CurationWorker | None = None
    consumer: bus.Consumer | None = None
    _resume: asyncio.Task[None] | None = field(default=None, repr=False)

    @property
    def role(self) -> str:
        return self.settings.role

    async def start(self) -> None:
        """Serve (NOT_SERVING until dependencies pass), then resume work in the background."""
        await self.grpc.start()
        self._resume = asyncio.create_task(self._after_ready())

    async def _after_ready(self) -> None:
        await self.grpc.wait_ready()
        api = self.role in ("api", "all")
        await self.service.start(run_snapshots=api, republish_pending=api)
        if self.worker is not None and self.consumer is not None:
            await self.worker.retry_pending_penalties()
            await self.consumer.start()
        logger.info("datanet %s ready on port %d", self.role, self.port)

    async def wait_ready(self) -> None:
        """Return once serving and resumed (the worker consuming, when it runs here)."""
        await self.grpc.wait_ready()
        if self._resume is not None:
            await asyncio.shield(self._resume)

    async def stop(self, grace: float | None = None) -> None:
        if self._resume is not None and not self._resume.done():
            self._resume.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._resume
        if self.consumer is not None:
            with contextlib.suppress(Exception):
                await self.consumer.stop(timeout=self.settings.shutdown_grace_seconds)
        await self.grpc.stop(grace)
        await self.service.stop()
        await self.gateway.close()
        await self.redis.aclose()
        await asyncio.to_thread(self.repository.close)

    async def serve_forever(self) -> None:
        """Until SIGTERM/SIGINT: the kit's graceful stop, then this server's own cleanup."""
        self.grpc.add_shutdown_hook(self._cleanup)
        self._resume = asyncio.create_task(self._after_ready())
        await self.grpc.serve_forever()

    async def _cleanup(self) -> None:
        if self._resume is not None and not self._resume.done():
            self._resume.cancel()
        if self.consumer is not None:
            with contextlib.suppress(Exception):
                await self.consumer.stop(timeout=self.settings.shutdown_grace_seconds)
        await self.service.stop()
        await self.gateway.close()
        await self.redis.aclose()
        await asyncio.to_thread(self.repository.close)


def dependency_checks(
    settings: Settings, repository: Repository, gateway: RegistryGateway
) -> list[DependencyCheck]:
    """Redis, the database and (unless ``chain_required`` is off) the L2 with the registry
    deployed at the manifest's address."""

    checks = [redis_check(settings.redis_url), database_check(repository.engine)]
    if settings.chain_required:
        checks.append(DependencyCheck(name="l2", probe=gateway.probe, timeout_seconds=30.0))
    return checks


async def create_datanet_server(
    settings: Settings,
    *,
    metrics_registry: CollectorRegistry | None = None,
    repository: Repository | None = None,
) -> DatanetServer:
    """Build the service for ``settings.role`` and bind its port (see the module docstring).
    Call inside the event loop."""
    registry = metrics_registry or new_registry()
    metrics = DatanetMetrics(registry)
    repo = repository
    if repo is None:
        repo = await asyncio.to_thread(Repository.open, settings.database_url)
    store = open_store(settings.object_store_url)
    redis = bus.connect(settings.redis_url)
    gateway = RegistryGateway.from_key_file(
        settings.l2_rpc_url,
        settings.deployment_manifest,
        settings.account_key_file,
        receipt_timeout=settings.receipt_timeout_seconds,
    )
    publisher = EventPublisher(redis, source=settings.service_name, registry=registry)
    service = DatanetService(
        repo,
        gateway,
        publisher,
        limits=Limits(
            max_records_per_batch=settings.max_records_per_batch,
            max_record_bytes=settings.max_record_bytes,
            max_batch_bytes=settings.max_batch_bytes,
            stake_cache_seconds=settings.stake_cache_seconds,
        ),
        snapshot_writer=snapshot_writer(store),
        observe_snapshot=metrics.observe_snapshot,
        observe_submission=metrics.observe_submission,
    )
    api = settings.role in ("api", "all")

    def register(server: Any) -> None:
        if api:
            pb_grpc.add_DatanetServiceServicer_to_server(  # type: ignore[no-untyped-call]
                DatanetServicer(service), server
            )

    interceptors = [AuthInterceptor.from_settings(settings, AUTH_POLICY)] if api else []
    grpc_service, port = create_server(
        settings,
        register=register,
        service_names=[SERVICE_NAME] if api else [],
        dependency_checks=dependency_checks(settings, repo, gateway),
        interceptors=interceptors,
        metrics_registry=registry,
    )
    worker = consumer = None
    if settings.role in ("worker", "all"):
        embedder = (
            SentenceEmbedder(settings.embedder_model_path, device=settings.embedder_device)
            if settings.embedder_enabled
            else None
        )
        worker = CurationWorker(
            repo,
            gateway,
            publisher,
            embedder=embedder,
            metrics=metrics,
            batch_size=settings.curation_batch_size,
            group=settings.curation_group,
        )
        consumer = consumer_for(redis, worker, settings, registry=registry)
    return DatanetServer(
        settings=settings,
        grpc=grpc_service,
        port=port,
        service=service,
        repository=repo,
        gateway=gateway,
        redis=redis,
        metrics=metrics,
        worker=worker,
        consumer=consumer,
    )

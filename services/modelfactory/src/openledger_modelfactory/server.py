"""Wiring the modelfactory service: storage, catalogue, datanet snapshots, object store, chain,
bus, the application service, the gRPC server (with auth and dependency-gated health) and, per
role, the job runner.

``create_modelfactory_server(settings)`` builds everything and binds the port (0 picks a free
one) without starting; ``ModelFactoryServer.start()`` serves and, once the dependency checks
pass, starts the job runner (roles ``worker`` and ``all``), which resumes the jobs a previous
process left running; ``stop()`` stops the runner (runs keep going, the next runner resumes
them), then the server, and closes connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry
from redis.asyncio import Redis

from openledger.modelfactory.v1 import modelfactory_service_pb2_grpc as pb_grpc
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
from openledger_kit.store import open_store
from openledger_ml.catalogue import ModelCatalogue
from openledger_modelfactory.adapters.bus import EventPublisher, JobUpdateFeed
from openledger_modelfactory.adapters.chain import ModelRegistryGateway
from openledger_modelfactory.adapters.datanet import DatanetSnapshots
from openledger_modelfactory.adapters.launcher import make_launcher
from openledger_modelfactory.adapters.repository import Repository
from openledger_modelfactory.adapters.run_channel import AsyncRunChannel
from openledger_modelfactory.api.servicer import SERVICE_NAME, ModelFactoryServicer
from openledger_modelfactory.config import Settings
from openledger_modelfactory.domain.model import JobUpdate
from openledger_modelfactory.domain.runner import JobRunner
from openledger_modelfactory.domain.service import ModelFactory
from openledger_modelfactory.metrics import MeteredEvents, ModelFactoryMetrics

logger = logging.getLogger(__name__)


def _method(name: str) -> str:
    return f"/{SERVICE_NAME}/{name}"


AUTH_POLICY = AuthPolicy(
    {
        _method("ListBaseModels"): Access.PUBLIC,
        _method("GetJobConfigSchema"): Access.PUBLIC,
        # The signer owns the job; services and admins may name another owner.
        _method("CreateTrainingJob"): Rule(Access.SIGNED, allow_service_token=True),
        _method("GetJob"): Access.PUBLIC,
        _method("ListJobs"): Access.PUBLIC,
        # The job's owner or an admin: checked against the job in the domain.
        _method("CancelJob"): Rule(Access.SIGNED),
        _method("WatchJob"): Access.PUBLIC,
        _method("GetAdapter"): Access.PUBLIC,
        _method("ListAdapters"): Access.PUBLIC,
        # Attribution features only for the owner, services and admins (the domain checks).
        _method("ExportAdapter"): Rule(Access.SIGNED, allow_service_token=True),
    }
)
"""Who may call what: creating, cancelling and exporting are signed; reads are public."""


@dataclass
class ModelFactoryServer:
    """The running pieces of one modelfactory process (see the module docstring)."""

    settings: Settings
    grpc: GrpcService
    port: int
    service: ModelFactory
    repository: Repository
    gateway: ModelRegistryGateway
    snapshots: DatanetSnapshots
    channel: AsyncRunChannel
    redis: Redis
    metrics: ModelFactoryMetrics
    runner: JobRunner | None = None
    _resume: asyncio.Task[None] | None = field(default=None, repr=False)
    _running: asyncio.Task[None] | None = field(default=None, repr=False)

    @property
    def role(self) -> str:
        return self.settings.role

    async def start(self) -> None:
        """Serve (NOT_SERVING until dependencies pass), then start the runner in the
        background."""
        await self.grpc.start()
        self._resume = asyncio.create_task(self._after_ready())

    async def _after_ready(self) -> None:
        await self.grpc.wait_ready()
        if self.runner is not None:
            self._running = asyncio.create_task(self.runner.run(), name="job runner")
        logger.info("modelfactory %s ready on port %d", self.role, self.port)

    async def wait_ready(self) -> None:
        """Return once serving (and the runner started, when it runs here)."""
        await self.grpc.wait_ready()
        if self._resume is not None:
            await asyncio.shield(self._resume)

    async def stop(self, grace: float | None = None) -> None:
        await self._stop_runner()
        await self.grpc.stop(grace)
        await self._close()

    async def serve_forever(self) -> None:
        """Until SIGTERM/SIGINT: the kit's graceful stop, then this server's own cleanup."""
        self.grpc.add_shutdown_hook(self._cleanup)
        self._resume = asyncio.create_task(self._after_ready())
        await self.grpc.serve_forever()

    async def _cleanup(self) -> None:
        await self._stop_runner()
        await self._close()

    async def _stop_runner(self) -> None:
        if self._resume is not None and not self._resume.done():
            self._resume.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._resume
        if self.runner is not None and self._running is not None:
            self.runner.stop()
            try:
                await asyncio.wait_for(self._running, self.settings.shutdown_grace_seconds)
            except (TimeoutError, asyncio.CancelledError):
                pass
            except Exception:
                logger.exception("the job runner failed while stopping")

    async def _close(self) -> None:
        await self.gateway.close()
        await self.snapshots.close()
        await self.channel.close()
        await self.redis.aclose()
        await asyncio.to_thread(self.repository.close)


def dependency_checks(
    settings: Settings, repository: Repository, gateway: ModelRegistryGateway
) -> list[DependencyCheck]:
    """Redis, the database and (unless ``chain_required`` is off) the L2 with the registry
    deployed at the manifest's address."""

    checks = [redis_check(settings.redis_url), database_check(repository.engine)]
    if settings.chain_required:
        checks.append(DependencyCheck(name="l2", probe=gateway.probe, timeout_seconds=30.0))
    return checks


async def create_modelfactory_server(
    settings: Settings,
    *,
    metrics_registry: CollectorRegistry | None = None,
) -> ModelFactoryServer:
    """Build the service for ``settings.role`` and bind its port (see the module docstring).
    Call inside the event loop."""
    registry = metrics_registry or new_registry()
    metrics = ModelFactoryMetrics(registry)
    repo = await asyncio.to_thread(Repository.open, settings.database_url)
    metrics.count_jobs_with(lambda state: repo.list_jobs(states=(state,), page_size=1).total_size)
    catalogue = await asyncio.to_thread(
        ModelCatalogue.load, settings.catalogue_file, settings.model_cache_dir
    )
    store = open_store(settings.object_store_url)
    redis = bus.connect(settings.redis_url)
    token = settings.service_token.get_secret_value() if settings.service_token else None
    snapshots = DatanetSnapshots(
        settings.datanet_addr, tls=settings.datanet_tls, service_token=token
    )
    gateway = ModelRegistryGateway.from_key_file(
        settings.l2_rpc_url,
        settings.deployment_manifest,
        settings.account_key_file,
        receipt_timeout=settings.receipt_timeout_seconds,
    )
    events = MeteredEvents(
        EventPublisher(redis, source=settings.service_name, registry=registry), metrics
    )

    async def recorded(job_id: str, sequence: int) -> JobUpdate | None:
        return await asyncio.to_thread(repo.get_update, job_id, sequence)

    service = ModelFactory(
        repo,
        catalogue,
        snapshots,
        events,
        JobUpdateFeed(redis, recorded=recorded),
        store,
        max_active_jobs_per_owner=settings.max_active_jobs_per_owner,
        worker_memory_bytes=settings.worker_memory_bytes,
    )
    channel = AsyncRunChannel(settings.redis_url)
    runner = None
    if settings.role in ("worker", "all"):
        runner = JobRunner(
            repo,
            catalogue,
            gateway,
            events,
            make_launcher(settings),
            channel,
            store,
            max_concurrent_jobs=settings.max_concurrent_jobs,
            poll_seconds=settings.runner_poll_seconds,
        )
    api = settings.role in ("api", "all")

    def register(server: Any) -> None:
        if api:
            pb_grpc.add_ModelFactoryServiceServicer_to_server(  # type: ignore[no-untyped-call]
                ModelFactoryServicer(service), server
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
    return ModelFactoryServer(
        settings=settings,
        grpc=grpc_service,
        port=port,
        service=service,
        repository=repo,
        gateway=gateway,
        snapshots=snapshots,
        channel=channel,
        redis=redis,
        metrics=metrics,
        runner=runner,
    )

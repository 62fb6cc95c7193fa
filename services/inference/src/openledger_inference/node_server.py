"""Wiring an inference node: the served base model and its engine, the adapter manager (object
store, ModelFactory descriptors, ModelRegistry on the L2), the completion ledger (SQLite outbox
and the bus), the node, the gRPC server with auth and dependency-gated health, the adapter
prefetcher and, with a router configured, pool membership.

``create_node_server(settings)`` builds everything and binds the port (0 picks a free one);
``NodeServer.start()`` serves at once (NOT_SERVING) while the engine loads the base model in the
background; health turns SERVING once the engine and the node have started and Redis, the
database and the L2 answer; only then does the node join the pool. ``stop()`` drains: the node
stops heartbeating (the router routes elsewhere once its lease lapses, or at once when a call
here fails before its first token), the server refuses new calls and lets running generations
finish for ``shutdown_grace_seconds``, then cancels the rest (each recorded CANCELLED), and
finally the engine stops and every connection closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry
from redis.asyncio import Redis

from openledger.inference.v1 import inference_service_pb2_grpc as pb_grpc
from openledger_inference.adapters.metering import SqlCompletionLedger, open_ledger
from openledger_inference.adapters.modelfactory import ModelFactoryDirectory
from openledger_inference.adapters.pool_client import PoolMembership
from openledger_inference.adapters.prefetch import AdapterPrefetcher
from openledger_inference.adapters.registry import RegistryReader
from openledger_inference.adapters.repository import Repository
from openledger_inference.api.node_servicer import SERVICE_NAME, InferenceServicer
from openledger_inference.config import NodeSettings
from openledger_inference.domain.adapter_manager import AdapterManager
from openledger_inference.domain.node import InferenceNode
from openledger_inference.domain.ports import Engine
from openledger_inference.engine.factory import make_engine, resolve_served_model
from openledger_inference.metrics import InferenceMetrics
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

logger = logging.getLogger(__name__)

ENGINE_START_TIMEOUT_SECONDS = 900.0
"""How long one readiness probe waits for the engine: a first start may build the base model."""


def _method(name: str) -> str:
    return f"/{SERVICE_NAME}/{name}"


_SIGNED_OR_SERVICE = Rule(Access.SIGNED, allow_service_token=True)

AUTH_POLICY = AuthPolicy(
    {
        # The router calls with the service token and names the payer; a direct client signs
        # and pays itself (the node checks who may set payer_address).
        _method("Generate"): _SIGNED_OR_SERVICE,
        _method("GenerateStream"): _SIGNED_OR_SERVICE,
        _method("ListAdapters"): _SIGNED_OR_SERVICE,
        _method("GetNodeStatus"): _SIGNED_OR_SERVICE,
        _method("LoadAdapter"): Rule(Access.ADMIN),
        _method("UnloadAdapter"): Rule(Access.ADMIN),
    }
)
"""Generation and reads: a signed user or the service token; the adapter cache: admins."""


class Startup:
    """The node's background start (engine, adapter cache, node, prefetcher) as readiness and
    the servicer see it. A start that failed keeps the node NOT_SERVING, each probe reporting
    why (a bad configuration fails earlier, in ``create_node_server``)."""

    def __init__(self) -> None:
        self.done = asyncio.Event()
        self._outcome: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def succeeded(self) -> None:
        self._outcome.set_result(None)
        self.done.set()

    def failed(self, error: Exception) -> None:
        self._outcome.set_exception(error)

    async def probe(self) -> bool:
        await asyncio.shield(self._outcome)
        return True


@dataclass
class NodeServer:
    """The running pieces of one inference node (see the module docstring)."""

    settings: NodeSettings
    grpc: GrpcService
    port: int
    engine: Engine
    node: InferenceNode
    adapters: AdapterManager
    ledger: SqlCompletionLedger
    directory: ModelFactoryDirectory
    registry: RegistryReader
    prefetcher: AdapterPrefetcher
    redis: Redis
    metrics: InferenceMetrics
    startup: Startup
    membership: PoolMembership | None = None
    _boot: asyncio.Task[None] | None = field(default=None, repr=False)
    _join: asyncio.Task[None] | None = field(default=None, repr=False)
    _stopping: asyncio.Future[None] | None = field(default=None, repr=False)

    async def start(self) -> None:
        """Serve (NOT_SERVING until the engine has started and dependencies pass)."""
        self._begin()
        await self.grpc.start()

    def _begin(self) -> None:
        self._boot = asyncio.create_task(self._start_parts(), name="node start")
        self._join = asyncio.create_task(self._after_ready(), name="node join pool")

    async def _start_parts(self) -> None:
        try:
            await self.engine.start()
            await self.adapters.start()
            await self.node.start()
            await self.prefetcher.start()
        except Exception as exc:
            logger.exception("the node failed to start")
            self.startup.failed(exc)
            return
        self.startup.succeeded()
        logger.info("engine %s serving %s", self.engine.version, self.engine.model.id)

    async def _after_ready(self) -> None:
        await self.grpc.wait_ready()
        if self.membership is not None:
            await self.membership.start()
        logger.info("inference node ready on port %d", self.port)

    async def wait_ready(self) -> None:
        """Return once SERVING (and pool membership started, when there is a router)."""
        await self.grpc.wait_ready()
        if self._join is not None:
            await asyncio.shield(self._join)

    async def stop(self, grace: float | None = None) -> None:
        """Drain and stop (see the module docstring). Idempotent."""
        await self._leave_pool()
        await self.grpc.stop(grace)
        await self._close()

    async def serve_forever(self) -> None:
        """Until SIGTERM/SIGINT: the kit's graceful stop, then this node's own cleanup."""
        self.grpc.add_shutdown_hook(self._cleanup)
        self._begin()
        await self.grpc.serve_forever()

    async def _cleanup(self) -> None:
        await self._leave_pool()
        await self._close()

    async def _leave_pool(self) -> None:
        for task in (self._join, self._boot):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        if self.membership is not None:
            try:
                await self.membership.stop()
            except Exception:
                logger.exception("leaving the pool failed")

    async def _close(self) -> None:
        if self._stopping is None:
            self._stopping = asyncio.ensure_future(self._close_parts())
        await asyncio.shield(self._stopping)

    async def _close_parts(self) -> None:
        # The server has stopped: any generation still running was cancelled by it. Stopping
        # the engine ends whatever is left CANCELLED, and the node records it before the
        # ledger and its connections close.
        steps: list[tuple[str, Callable[[], Awaitable[None]]]] = [
            ("prefetcher", self.prefetcher.stop),
            ("engine", self.engine.stop),
            ("node", self.node.stop),
            ("modelfactory directory", self.directory.close),
            ("registry", self.registry.close),
        ]
        for name, step in steps:
            try:
                await step()
            except Exception:
                logger.exception("stopping the %s failed", name)
        await self.redis.aclose()


def dependency_checks(
    settings: NodeSettings, startup: Startup, registry: RegistryReader, repository: Repository
) -> list[DependencyCheck]:
    """The engine (started), Redis, the database and (unless ``chain_required`` is off) the L2
    with the contracts at the manifest's addresses."""
    checks = [
        DependencyCheck(
            name="engine", probe=startup.probe, timeout_seconds=ENGINE_START_TIMEOUT_SECONDS
        ),
        redis_check(settings.redis_url),
        database_check(repository.engine),
    ]
    if settings.chain_required:
        checks.append(DependencyCheck(name="l2", probe=registry.probe, timeout_seconds=30.0))
    return checks


async def create_node_server(
    settings: NodeSettings,
    *,
    metrics_registry: CollectorRegistry | None = None,
    engine: Engine | None = None,
) -> NodeServer:
    """Build the node and bind its port (see the module docstring). ``engine`` replaces the
    one the settings describe (tests pass a small one). Call inside the event loop."""
    registry = metrics_registry or new_registry()
    metrics = InferenceMetrics(registry)
    if engine is None:
        # A first run may build the base model from its packaged weights (seconds to minutes).
        model = await asyncio.to_thread(resolve_served_model, settings)
        engine = make_engine(settings, model)
    token = settings.service_token.get_secret_value() if settings.service_token else None
    store = open_store(settings.object_store_url)
    redis = bus.connect(settings.redis_url)
    chain = RegistryReader.from_key_file(settings.l2_rpc_url, settings.deployment_manifest, None)
    directory = ModelFactoryDirectory(
        settings.modelfactory_addr, tls=settings.modelfactory_tls, service_token=token
    )
    adapters = AdapterManager(
        model=engine.model,
        engine=engine,
        directory=directory,
        registry=chain,
        store=store,
        cache_dir=settings.adapter_cache_dir,
        max_disk_bytes=settings.adapter_cache_max_bytes,
        metrics=metrics,
    )
    ledger = await open_ledger(
        settings.database_url, redis, source=settings.service_name, registry=registry
    )
    repository = ledger.repository
    node = InferenceNode(
        engine=engine, adapters=adapters, registry=chain, ledger=ledger, metrics=metrics
    )
    # Always consumed, so that published adapters' descriptors reach the directory; fetching
    # them ahead of their first request is what ``prefetch`` turns on.
    prefetcher = AdapterPrefetcher(
        redis,
        directory=directory,
        manager=adapters,
        group=f"{settings.service_name}-node-{settings.bus_consumer_name}",
        name=settings.bus_consumer_name,
        prefetch=settings.prefetch,
        registry=registry,
    )
    startup = Startup()

    def register(server: Any) -> None:
        pb_grpc.add_InferenceServiceServicer_to_server(  # type: ignore[no-untyped-call]
            InferenceServicer(node, startup.done), server
        )

    grpc_service, port = create_server(
        settings,
        register=register,
        service_names=[SERVICE_NAME],
        dependency_checks=dependency_checks(settings, startup, chain, repository),
        interceptors=[AuthInterceptor.from_settings(settings, AUTH_POLICY)],
        metrics_registry=registry,
    )
    server = NodeServer(
        settings=settings,
        grpc=grpc_service,
        port=port,
        engine=engine,
        node=node,
        adapters=adapters,
        ledger=ledger,
        directory=directory,
        registry=chain,
        prefetcher=prefetcher,
        redis=redis,
        metrics=metrics,
        startup=startup,
    )
    if settings.router_addr:
        endpoint = settings.advertise_endpoint or f"{settings.grpc_host}:{port}"
        server.membership = PoolMembership(node, settings, advertise_endpoint=endpoint)
    return server

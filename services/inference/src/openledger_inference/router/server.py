"""Wiring the pool router: membership storage, the ``InferencePool`` reader, ModelFactory (the
catalogue and adapter descriptors), the ``Pool`` with its background sweep, the forwarder, the
gRPC server with its auth policy and, when ``http_port`` is set, the OpenAI-compatible HTTP API.

``create_router_server(settings)`` builds everything and binds the gRPC port (0 picks a free
one) without starting; ``RouterServer.start()`` serves (NOT_SERVING until the database, Redis
when it holds the nonces, and the L2 answer), starts the sweep and the HTTP API; ``stop()``
stops them, then the server, and closes connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from prometheus_client import CollectorRegistry

from openledger.inference.v1 import inference_pool_service_pb2_grpc as pb_grpc
from openledger_inference.adapters.modelfactory import ModelFactoryDirectory
from openledger_inference.config import RouterSettings
from openledger_inference.router.catalogue import ModelFactoryCatalogue
from openledger_inference.router.forwarder import Forwarder
from openledger_inference.router.http import OpenAIHttpServer
from openledger_inference.router.pool import Pool
from openledger_inference.router.repository import PoolRepository
from openledger_inference.router.servicer import SERVICE_NAME, PoolServicer
from openledger_inference.router.stake import StakeReader
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

logger = logging.getLogger(__name__)


def _method(name: str) -> str:
    return f"/{SERVICE_NAME}/{name}"


AUTH_POLICY = AuthPolicy(
    {
        # The registration's own signature authenticates it; a request signature, when sent,
        # is verified and must be the provider's (checked in the pool).
        _method("RegisterNode"): Access.PUBLIC_OR_SIGNED,
        _method("Heartbeat"): Rule(Access.SIGNED),
        # The node's provider or an admin: checked against the node in the pool.
        _method("Drain"): Rule(Access.SIGNED),
        _method("GetNode"): Rule(Access.SIGNED, allow_service_token=True),
        _method("ListNodes"): Rule(Access.SIGNED, allow_service_token=True),
        # The signer pays.
        _method("Generate"): Rule(Access.SIGNED),
        _method("GenerateStream"): Rule(Access.SIGNED),
    }
)


@dataclass
class RouterServer:
    """The running pieces of one router process (see the module docstring)."""

    settings: RouterSettings
    grpc: GrpcService
    port: int
    pool: Pool
    repository: PoolRepository
    stakes: StakeReader
    catalogue: ModelFactoryCatalogue
    adapters: ModelFactoryDirectory
    forwarder: Forwarder
    http: OpenAIHttpServer | None = None
    http_port: int | None = None
    _sweep: asyncio.Task[None] | None = field(default=None, repr=False)
    _closed: bool = field(default=False, repr=False)

    async def start(self) -> None:
        await self.grpc.start()
        await self._start_background()

    async def wait_ready(self) -> None:
        await self.grpc.wait_ready()

    async def stop(self, grace: float | None = None) -> None:
        await self._stop_background()
        await self.grpc.stop(grace)
        await self._close()

    async def serve_forever(self) -> None:
        """Until SIGTERM/SIGINT: the kit's graceful stop, then this server's own cleanup."""
        self.grpc.add_shutdown_hook(self._cleanup)
        await self._start_background()
        await self.grpc.serve_forever()

    async def _start_background(self) -> None:
        self._sweep = asyncio.create_task(self.pool.run(), name="pool sweep")
        if self.http is not None:
            self.http_port = await self.http.start()
            logger.info("OpenAI-compatible API on port %d", self.http_port)

    async def _cleanup(self) -> None:
        await self._stop_background()
        await self._close()

    async def _stop_background(self) -> None:
        if self.http is not None:
            await self.http.stop()
        if self._sweep is not None:
            self._sweep.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweep
            self._sweep = None
        await self.pool.flush()

    async def _close(self) -> None:
        if self._closed:
            return
        self._closed = True
        await self.forwarder.close()
        await self.adapters.close()
        await self.catalogue.close()
        await self.stakes.close()
        await asyncio.to_thread(self.repository.close)


def dependency_checks(
    settings: RouterSettings, repository: PoolRepository, stakes: StakeReader
) -> list[DependencyCheck]:
    """The database, Redis when it holds the auth nonces, and (unless ``chain_required`` is
    off) the L2 with ``InferencePool`` deployed at the manifest's address."""
    checks = [database_check(repository.engine)]
    if settings.auth_nonce_store == "redis":
        checks.append(redis_check(settings.redis_url))
    if settings.chain_required:
        checks.append(DependencyCheck(name="l2", probe=stakes.probe, timeout_seconds=30.0))
    return checks


async def create_router_server(
    settings: RouterSettings, *, metrics_registry: CollectorRegistry | None = None
) -> RouterServer:
    """Build the router and bind its gRPC port (see the module docstring). Call inside the
    event loop."""
    registry = metrics_registry or new_registry()
    repository = await asyncio.to_thread(PoolRepository.open, settings.database_url)
    token = settings.service_token.get_secret_value() if settings.service_token else None
    stakes = StakeReader(
        settings.l2_rpc_url,
        settings.deployment_manifest,
        None,
        receipt_timeout=settings.receipt_timeout_seconds,
    )
    catalogue = ModelFactoryCatalogue(
        settings.modelfactory_addr, tls=settings.modelfactory_tls, service_token=token
    )
    pool = Pool(
        repository,
        stakes,
        catalogue,
        heartbeat_interval=timedelta(seconds=settings.heartbeat_interval_seconds),
        lease=timedelta(seconds=settings.lease_seconds),
        removal_grace=timedelta(seconds=settings.removal_grace_seconds),
    )
    await pool.open()
    adapters = ModelFactoryDirectory(
        settings.modelfactory_addr, tls=settings.modelfactory_tls, service_token=token
    )
    forwarder = Forwarder(pool, adapters, service_token=token, tls=settings.node_tls)
    http = None
    if settings.http_port is not None:
        http = OpenAIHttpServer(settings, forwarder, adapters)

    def register(server: Any) -> None:
        pb_grpc.add_InferencePoolServiceServicer_to_server(  # type: ignore[no-untyped-call]
            PoolServicer(pool, forwarder), server
        )

    grpc_service, port = create_server(
        settings,
        register=register,
        service_names=[SERVICE_NAME],
        dependency_checks=dependency_checks(settings, repository, stakes),
        interceptors=[AuthInterceptor.from_settings(settings, AUTH_POLICY)],
        metrics_registry=registry,
    )
    return RouterServer(
        settings=settings,
        grpc=grpc_service,
        port=port,
        pool=pool,
        repository=repository,
        stakes=stakes,
        catalogue=catalogue,
        adapters=adapters,
        forwarder=forwarder,
        http=http,
    )

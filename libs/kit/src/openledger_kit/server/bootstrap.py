"""The gRPC server every service runs (STYLE rule 10).

``create_server`` builds a ``grpc.aio`` server with the shared interceptors, health, reflection,
message size limits and TLS, and binds its port; ``GrpcService`` owns its life: start, readiness
gated on dependency checks, graceful stop on SIGTERM/SIGINT, shutdown hooks. A service's
``__main__`` is typically::

    settings = Settings()
    configure_logging(settings)
    configure_tracing(settings)
    run(serve(settings, register=add_servicers, service_names=[SERVICE_FULL_NAME],
              dependency_checks=[redis_check(settings.redis_url)]))
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import signal
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any

import grpc
from grpc_health.v1 import health
from grpc_reflection.v1alpha import reflection
from opentelemetry.trace import TracerProvider
from prometheus_client import CollectorRegistry

from openledger_kit.config import ServiceSettings
from openledger_kit.server._wrapping import StreamCloser
from openledger_kit.server.dependencies import DependencyCheck, wait_for_dependencies
from openledger_kit.server.errors import ErrorInterceptor
from openledger_kit.server.health import HealthState
from openledger_kit.server.metrics import GrpcServerMetrics, MetricsEndpoint, new_registry
from openledger_kit.server.tls import server_credentials
from openledger_kit.server.tracing import tracing_interceptor

logger = logging.getLogger(__name__)

Register = Callable[[Any], None]
ShutdownHook = Callable[[], Awaitable[object] | object]

_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def _host_port(host: str, port: int) -> str:
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"{host}:{port}"


class GrpcService:
    """A built gRPC server and everything around its life. Made by ``create_server``."""

    def __init__(
        self,
        settings: ServiceSettings,
        server: Any,
        port: int,
        health_state: HealthState,
        metrics: GrpcServerMetrics,
        dependency_checks: Sequence[DependencyCheck],
    ) -> None:
        self.settings = settings
        self.server = server
        """The underlying ``grpc.aio.Server``."""
        self.port = port
        self.health = health_state
        self.metrics = metrics
        self._endpoint = MetricsEndpoint(metrics.registry)
        self._checks = tuple(dependency_checks)
        self._hooks: list[ShutdownHook] = []
        self._readiness: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._stopped = asyncio.Event()
        self._stopping: asyncio.Future[None] | None = None

    @property
    def metrics_registry(self) -> CollectorRegistry:
        """Where service-specific metrics should be registered too."""
        return self.metrics.registry

    @property
    def metrics_port(self) -> int | None:
        """The bound Prometheus port once started (``None`` when disabled or not started)."""
        return self._endpoint.port

    @property
    def ready(self) -> bool:
        """Whether every dependency check has passed and the server reports SERVING."""
        return self._ready.is_set() and not self._stopped.is_set()

    def add_shutdown_hook(self, hook: ShutdownHook) -> None:
        """Run ``hook`` (sync or async) after the server stopped; hooks run last-added first."""
        self._hooks.append(hook)

    async def start(self) -> None:
        """Start serving (NOT_SERVING until the dependency checks pass) and the metrics port."""
        await self.health.set_serving(False)
        await self.server.start()
        if self.settings.metrics_port is not None:
            self._endpoint.start(self.settings.metrics_host, self.settings.metrics_port)
        logger.info(
            "gRPC server started on port %d",
            self.port,
            extra={"grpc_port": self.port, "metrics_port": self.metrics_port},
        )
        self._readiness = asyncio.create_task(self._become_ready())

    async def _become_ready(self) -> None:
        await wait_for_dependencies(self._checks)
        await self.health.set_serving(True)
        self._ready.set()
        logger.info("serving")

    async def wait_ready(self) -> None:
        """Return once SERVING; raise ``RuntimeError`` if the service stops first."""
        ready = asyncio.create_task(self._ready.wait())
        stopped = asyncio.create_task(self._stopped.wait())
        try:
            await asyncio.wait({ready, stopped}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            ready.cancel()
            stopped.cancel()
        if not self.ready:
            raise RuntimeError("the service stopped before it was ready")

    async def stop(self, grace: float | None = None) -> None:
        """Graceful stop: NOT_SERVING, let in-flight RPCs finish (up to ``grace`` seconds,
        default ``settings.shutdown_grace_seconds``), then the shutdown hooks. Idempotent."""
        if self._stopping is None:
            self._stopping = asyncio.ensure_future(self._shutdown(grace))
        # Shielded: a caller cancelled mid-way must not leave the server half stopped.
        await asyncio.shield(self._stopping)

    async def _shutdown(self, grace: float | None) -> None:
        logger.info("shutdown started")
        self._stopped.set()
        if self._readiness is not None:
            self._readiness.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._readiness
        await self.health.shut_down()
        await self.server.stop(self.settings.shutdown_grace_seconds if grace is None else grace)
        for hook in reversed(self._hooks):
            try:
                result = hook()
                if inspect.isawaitable(result):
                    await result
            except Exception:
                logger.exception("shutdown hook %r failed", hook)
        self._endpoint.stop()
        logger.info("shutdown complete")

    async def serve_forever(self) -> None:
        """Start, serve until SIGTERM/SIGINT (or a ``stop()`` elsewhere), then stop gracefully."""
        loop = asyncio.get_running_loop()
        stop_requested = asyncio.Event()

        def on_signal(signum: signal.Signals) -> None:
            logger.info("received %s", signum.name)
            stop_requested.set()

        for signum in _STOP_SIGNALS:
            loop.add_signal_handler(signum, on_signal, signum)
        try:
            await self.start()
            # Not ``server.wait_for_termination()``: cancelling that wait cancels the future
            # grpc's own ``stop`` awaits later. ``_stopped`` covers a ``stop()`` from elsewhere.
            waits = {
                asyncio.create_task(stop_requested.wait()),
                asyncio.create_task(self._stopped.wait()),
            }
            try:
                await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in waits:
                    task.cancel()
                await asyncio.gather(*waits, return_exceptions=True)
        finally:
            await self.stop()
            for signum in _STOP_SIGNALS:
                loop.remove_signal_handler(signum)


def create_server(
    settings: ServiceSettings,
    *,
    register: Register,
    service_names: Sequence[str],
    dependency_checks: Sequence[DependencyCheck] = (),
    interceptors: Sequence[Any] = (),
    metrics_registry: CollectorRegistry | None = None,
    tracer_provider: TracerProvider | None = None,
) -> tuple[GrpcService, int]:
    """Build and bind (not start) the gRPC server for a service; return it and its port.

    Call it inside the event loop. ``register`` adds the servicers to the ``grpc.aio.Server``;
    ``service_names`` (full names, ``openledger.<svc>.v1.XService``) get health statuses and
    reflection. ``interceptors`` (``grpc.aio.ServerInterceptor``, e.g. authentication) run
    inside tracing, metrics and error mapping, so their rejections are traced, counted and
    may raise domain errors. Metrics go to ``metrics_registry`` or a fresh registry of this
    server's own; spans to ``tracer_provider`` or the global provider.
    """
    metrics = GrpcServerMetrics(settings.service_name, metrics_registry or new_registry())
    server = grpc.aio.server(
        interceptors=[
            StreamCloser(),
            tracing_interceptor(tracer_provider),
            metrics.interceptor(),
            ErrorInterceptor(),
            *interceptors,
        ],
        options=[
            ("grpc.max_receive_message_length", settings.max_message_bytes),
            ("grpc.max_send_message_length", settings.max_message_bytes),
            # Linux gRPC defaults to SO_REUSEPORT: a second process on a fixed port would
            # silently share it instead of failing.
            ("grpc.so_reuseport", 0),
        ],
    )
    register(server)
    health_state = HealthState(service_names)
    health_state.register(server)
    reflection.enable_server_reflection(
        [*service_names, health.SERVICE_NAME, reflection.SERVICE_NAME], server
    )
    address = _host_port(settings.grpc_host, settings.grpc_port)
    credentials = server_credentials(settings)
    if credentials is None:
        port = server.add_insecure_port(address)
    else:
        port = server.add_secure_port(address, credentials)
    if not port:
        raise RuntimeError(f"could not bind gRPC on {address}")
    service = GrpcService(settings, server, int(port), health_state, metrics, dependency_checks)
    return service, service.port


async def serve(
    settings: ServiceSettings,
    *,
    register: Register,
    service_names: Sequence[str],
    dependency_checks: Sequence[DependencyCheck] = (),
    interceptors: Sequence[Any] = (),
    metrics_registry: CollectorRegistry | None = None,
    shutdown_hooks: Sequence[ShutdownHook] = (),
) -> None:
    """Create the server, serve until SIGTERM/SIGINT, stop gracefully, run ``shutdown_hooks``."""
    service, _ = create_server(
        settings,
        register=register,
        service_names=service_names,
        dependency_checks=dependency_checks,
        interceptors=interceptors,
        metrics_registry=metrics_registry,
    )
    for hook in shutdown_hooks:
        service.add_shutdown_hook(hook)
    await service.serve_forever()


def run(main: Coroutine[Any, Any, None]) -> None:
    """Run a service's async entry point (usually ``serve(...)``) from ``__main__``.

    Returns normally after a graceful shutdown, so the process exits 0.
    """
    asyncio.run(main)

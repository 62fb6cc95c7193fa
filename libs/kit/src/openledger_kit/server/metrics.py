"""Prometheus metrics for the gRPC server, served on their own port (STYLE rule 13).

Each server gets its own ``CollectorRegistry`` unless it is handed one, so several servers can
live in one process (tests, the local supervisor) without colliding in the global registry.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any
from wsgiref.simple_server import WSGIServer

import grpc
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    start_http_server,
)
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

from openledger_kit.server._wrapping import split_method, wrap_rpc_handler

_NOT_METRIC_CHARS = re.compile(r"[^a-z0-9_]+")


def metric_prefix(service_name: str) -> str:
    """``openledger_<svc>`` for a service name: lower-cased, non-alphanumerics to ``_``.

    A name that already starts with ``openledger`` is not prefixed twice, so ``datanet`` and
    ``openledger-datanet`` both give ``openledger_datanet``.
    """
    svc = _NOT_METRIC_CHARS.sub("_", service_name.lower()).strip("_")
    if svc == "openledger" or svc.startswith("openledger_"):
        return svc
    return f"openledger_{svc}" if svc else "openledger"


def new_registry() -> CollectorRegistry:
    """A registry with the standard process, platform and GC collectors."""
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
    return registry


class GrpcServerMetrics:
    """Request count by code, handling latency and in-flight requests, per gRPC method.

    Method names come from the server's registered handlers, never from unknown paths a
    client sends, so label cardinality stays bounded.
    """

    def __init__(self, service_name: str, registry: CollectorRegistry) -> None:
        prefix = metric_prefix(service_name)
        self.registry = registry
        self.requests = Counter(
            f"{prefix}_grpc_server_requests_total",
            "RPCs completed on the server, by gRPC status code.",
            ["grpc_service", "grpc_method", "grpc_code"],
            registry=registry,
        )
        self.handling_seconds = Histogram(
            f"{prefix}_grpc_server_handling_seconds",
            "Time from the start of an RPC to its status, streams included.",
            ["grpc_service", "grpc_method"],
            registry=registry,
        )
        self.in_flight = Gauge(
            f"{prefix}_grpc_server_in_flight_requests",
            "RPCs started and not yet finished.",
            ["grpc_service", "grpc_method"],
            registry=registry,
        )

    def interceptor(self) -> MetricsInterceptor:
        """The server interceptor recording into these metrics."""
        return MetricsInterceptor(self)


def _code_name(code: object) -> str:
    if isinstance(code, grpc.StatusCode):
        return str(code.name)
    return "UNKNOWN" if code is None else str(code)


class MetricsInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc]  # grpc is untyped
    """Records every RPC that reaches a registered handler into ``GrpcServerMetrics``."""

    def __init__(self, metrics: GrpcServerMetrics) -> None:
        self._metrics = metrics

    async def intercept_service(
        self,
        continuation: Callable[[Any], Awaitable[Any]],
        handler_call_details: Any,
    ) -> Any:
        handler = await continuation(handler_call_details)
        if handler is None:
            return None
        service, method = split_method(handler_call_details.method)
        metrics = self._metrics

        @asynccontextmanager
        async def measuring(request: Any, context: Any) -> AsyncIterator[None]:
            in_flight = metrics.in_flight.labels(service, method)
            in_flight.inc()
            started = time.perf_counter()
            code: object = None
            try:
                yield
            except grpc.aio.AbortError:
                code = context.code()
                raise
            except (asyncio.CancelledError, GeneratorExit):
                # The client went away or its deadline passed while we were handling it.
                code = grpc.StatusCode.CANCELLED
                raise
            except Exception:
                code = grpc.StatusCode.UNKNOWN
                raise
            else:
                code = context.code() or grpc.StatusCode.OK
            finally:
                in_flight.dec()
                metrics.handling_seconds.labels(service, method).observe(
                    time.perf_counter() - started
                )
                metrics.requests.labels(service, method, _code_name(code)).inc()

        return wrap_rpc_handler(handler, measuring)


class MetricsEndpoint:
    """The ``/metrics`` HTTP server for one registry, on a port separate from gRPC."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry
        self._httpd: WSGIServer | None = None

    @property
    def port(self) -> int | None:
        """The bound port while serving, else ``None``."""
        return None if self._httpd is None else int(self._httpd.server_port)

    def start(self, host: str, port: int) -> int:
        """Serve on ``host:port`` (0 picks a free port) in a daemon thread; return the port."""
        if self._httpd is None:
            # prometheus_client wants a bare IPv6 literal, gRPC a bracketed one.
            self._httpd, _ = start_http_server(port, addr=host.strip("[]"), registry=self._registry)
        return int(self._httpd.server_port)

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

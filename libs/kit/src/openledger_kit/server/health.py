"""The gRPC health service, driven by readiness and shutdown."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from grpc_health.v1 import health, health_pb2, health_pb2_grpc

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


class HealthState:
    """Serving status of the whole server (``""``) and of each named service, moved together.

    gRPC's servicer starts out reporting SERVING for ``""``, so call ``set_serving(False)``
    before the server starts (``GrpcService.start`` does). After ``shut_down`` every name
    stays NOT_SERVING whatever is set later.
    """

    def __init__(self, service_names: Sequence[str]) -> None:
        self.servicer = health.aio.HealthServicer()
        self._names = ("", *service_names)
        self._serving = False
        self._shut_down = False

    @property
    def serving(self) -> bool:
        """Whether the last status set was SERVING (and no shutdown began)."""
        return self._serving

    def register(self, server: Any) -> None:
        """Add the health service to a ``grpc.aio.Server``."""
        health_pb2_grpc.add_HealthServicer_to_server(self.servicer, server)

    async def set_serving(self, serving: bool) -> None:
        """Report every name SERVING or NOT_SERVING; ignored once shutdown began."""
        status = SERVING if serving else NOT_SERVING
        for name in self._names:
            await self.servicer.set(name, status)
        self._serving = serving and not self._shut_down

    async def shut_down(self) -> None:
        """Report NOT_SERVING for good, and tell open ``Watch`` streams."""
        self._shut_down = True
        self._serving = False
        await self.servicer.enter_graceful_shutdown()

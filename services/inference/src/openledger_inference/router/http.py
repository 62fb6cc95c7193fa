"""The OpenAI-compatible HTTP API served by uvicorn inside the router's event loop, beside its
gRPC server."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator

import uvicorn

from openledger_inference.config import RouterSettings
from openledger_inference.domain.ports import AdapterDirectory
from openledger_inference.router.catalogue import ModelFactoryLister
from openledger_inference.router.forwarder import Forwarder
from openledger_inference.router.openai_api import ApiKeys, create_openai_app
from openledger_kit.client import TlsConfig, connect

SHUTDOWN_GRACE_SECONDS = 5


class _EmbeddedServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # The router process owns SIGTERM/SIGINT (graceful gRPC shutdown); uvicorn installing
        # its own handlers would take them away.
        yield


class OpenAIHttpServer:
    """Serves ``create_openai_app`` on ``settings.http_host:http_port``."""

    def __init__(
        self, settings: RouterSettings, forwarder: Forwarder, models: AdapterDirectory
    ) -> None:
        """``models``: ModelFactory's adapter descriptors (``ModelFactoryDirectory``)."""
        self._settings = settings
        self._forwarder = forwarder
        self._models = models
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None
        self._channel = connect(
            settings.modelfactory_addr, tls=TlsConfig() if settings.modelfactory_tls else None
        )

    async def start(self) -> int:
        """Bind and serve; returns the bound port (``http_port`` 0 picks a free one)."""
        settings = self._settings
        keys = ApiKeys.load(settings.openai_keys_file, settings.openai_default_payer)
        app = create_openai_app(
            self._forwarder, ModelFactoryLister(self._channel), self._models, keys
        )
        config = uvicorn.Config(
            app,
            host=settings.http_host,
            port=settings.http_port or 0,
            log_level="warning",
            lifespan="off",
            timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS,
        )
        # Bound here rather than by uvicorn, which exits the process when it cannot bind.
        family = socket.AF_INET6 if ":" in settings.http_host else socket.AF_INET
        sock = socket.create_server((settings.http_host, settings.http_port or 0), family=family)
        server = _EmbeddedServer(config)
        self._server = server
        self._task = asyncio.create_task(server.serve(sockets=[sock]), name="openai-http")
        while not server.started:
            if self._task.done():
                self._task.result()
                raise RuntimeError("the OpenAI HTTP API stopped while starting")
            await asyncio.sleep(0.01)
        port: int = sock.getsockname()[1]
        return port

    async def stop(self) -> None:
        """Stop accepting, let requests in flight finish (a few seconds at most), then stop."""
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task
            self._server = None
            self._task = None
        await self._channel.close()

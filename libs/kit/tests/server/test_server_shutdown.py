"""Graceful shutdown: NOT_SERVING first, in-flight calls finish, then the shutdown hooks;
and a real service process does all that on SIGTERM and exits 0."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf.wrappers_pb2 import StringValue
from grpc_health.v1 import health_pb2

from libs.kit.tests.server.server_echo import SERVICE, EchoClient, EchoServicer, running

REPO_ROOT = Path(__file__).resolve().parents[4]
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


async def test_stop_drains_in_flight_calls_then_runs_hooks() -> None:
    release = asyncio.Event()
    ran: list[str] = []

    async def close_bus() -> None:
        ran.append("bus")

    async with running(servicer=EchoServicer(release.wait)) as srv:
        srv.service.add_shutdown_hook(close_bus)
        srv.service.add_shutdown_hook(lambda: ran.append("db"))
        watch = srv.client.health.Watch(health_pb2.HealthCheckRequest(service=SERVICE))
        assert (await watch.read()).status == SERVING
        hold = srv.client.hold(StringValue(value=""))
        assert (await hold.read()).value == "entered"

        stopping = asyncio.create_task(srv.service.stop(grace=30))
        # Watchers hear NOT_SERVING while the in-flight call is still running.
        assert (await watch.read()).status == NOT_SERVING
        watch.cancel()
        assert not srv.service.ready
        # New calls are refused during the drain.
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await srv.client.echo(StringValue(value="late"))
        assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
        assert ran == []  # hooks wait for the server to finish

        release.set()
        assert (await hold.read()).value == "done"
        assert await hold.code() == grpc.StatusCode.OK
        await stopping

    assert ran == ["db", "bus"]  # last added, first run


async def test_wait_ready_fails_when_stopped_before_ready() -> None:
    from openledger_kit.server import DependencyCheck

    async def never() -> bool:
        return False

    check = DependencyCheck("never", never, initial_backoff_seconds=0.01, max_backoff_seconds=0.01)
    async with running(dependency_checks=[check], wait_ready=False) as srv:
        assert await srv.client.health_status() == NOT_SERVING
        waiting = asyncio.create_task(srv.service.wait_ready())
        await srv.service.stop()
        with pytest.raises(RuntimeError, match="stopped before it was ready"):
            await waiting


async def _next_log(stream: asyncio.StreamReader, message: str) -> dict[str, Any]:
    """The next JSON log record of the service process whose message starts with ``message``."""
    while line := await stream.readline():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue  # gRPC core may write plain lines to stderr too
        if str(record.get("message", "")).startswith(message):
            return dict(record)
    raise AssertionError(f"the service exited before logging {message!r}")


async def test_sigterm_finishes_in_flight_call_and_exits_zero(tmp_path: Path) -> None:
    release_file = tmp_path / "release"
    env = {
        **os.environ,
        "OL_KITSIGTERM_SERVICE_NAME": "kitsigterm",
        "OL_KITSIGTERM_GRPC_PORT": "0",
        "OL_KITSIGTERM_SHUTDOWN_GRACE_SECONDS": "30",
        "OL_KITSIGTERM_RELEASE_FILE": str(release_file),
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "libs.kit.tests.server.server_sigterm_app",
        cwd=REPO_ROOT,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stderr is not None
    try:
        started = await _next_log(proc.stderr, "gRPC server started")
        await _next_log(proc.stderr, "serving")
        async with grpc.aio.insecure_channel(f"127.0.0.1:{started['grpc_port']}") as channel:
            client = EchoClient(channel)
            hold = client.hold(StringValue(value=""))
            assert (await hold.read()).value == "entered"

            proc.send_signal(signal.SIGTERM)
            shutdown = await _next_log(proc.stderr, "shutdown started")
            assert shutdown["service"] == "kitsigterm" and shutdown["level"] == "INFO"
            release_file.touch()

            assert (await hold.read()).value == "done"
            assert await hold.code() == grpc.StatusCode.OK
        await _next_log(proc.stderr, "shutdown complete")
        assert await proc.wait() == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()

"""Health gated on dependency checks, and reflection."""

from __future__ import annotations

import asyncio
from pathlib import Path

from grpc_health.v1 import health_pb2
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from libs.kit.tests.server.server_echo import SERVICE, running
from openledger_kit.server import DependencyCheck, redis_check
from openledger_kit.testing.processes import RedisProcess, running_redis

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


def _fast(check: DependencyCheck) -> DependencyCheck:
    return DependencyCheck(
        check.name,
        check.probe,
        timeout_seconds=check.timeout_seconds,
        initial_backoff_seconds=0.01,
        max_backoff_seconds=0.05,
    )


async def test_not_serving_until_every_dependency_check_passes(redis_server: RedisProcess) -> None:
    chain_up = asyncio.Event()
    retried = asyncio.Event()
    attempts = 0

    async def chain_id() -> int:
        nonlocal attempts
        attempts += 1
        if attempts >= 2:
            retried.set()
        if not chain_up.is_set():
            raise ConnectionError("chain not reachable yet")
        return 1

    checks = [_fast(DependencyCheck("chain", chain_id)), _fast(redis_check(redis_server.url))]
    async with running(dependency_checks=checks, wait_ready=False) as srv:
        watch = srv.client.health.Watch(health_pb2.HealthCheckRequest(service=""))
        assert (await watch.read()).status == NOT_SERVING
        await retried.wait()  # the failing check is retried in the background
        assert await srv.client.health_status("") == NOT_SERVING
        assert await srv.client.health_status(SERVICE) == NOT_SERVING
        assert not srv.service.ready

        chain_up.set()
        assert (await watch.read()).status == SERVING
        watch.cancel()
        await srv.service.wait_ready()
        assert await srv.client.health_status(SERVICE) == SERVING
        assert srv.service.ready


async def test_serving_once_a_down_redis_comes_back(tmp_path: Path) -> None:
    with running_redis(tmp_path / "redis") as redis:
        redis.stop()
        check = _fast(redis_check(redis.url, timeout_seconds=1.0))
        async with running(dependency_checks=[check], wait_ready=False) as srv:
            assert await srv.client.health_status(SERVICE) == NOT_SERVING
            redis.restart()
            await srv.service.wait_ready()
            assert await srv.client.health_status(SERVICE) == SERVING


async def test_serving_at_once_without_dependency_checks() -> None:
    async with running() as srv:
        assert await srv.client.health_status("") == SERVING
        assert await srv.client.health_status(SERVICE) == SERVING


async def test_reflection_lists_services_and_serves_descriptors() -> None:
    async with running() as srv:
        stub = reflection_pb2_grpc.ServerReflectionStub(srv.channel)
        requests = [
            reflection_pb2.ServerReflectionRequest(list_services=""),
            reflection_pb2.ServerReflectionRequest(file_containing_symbol="grpc.health.v1.Health"),
        ]
        listed, health_file = [r async for r in stub.ServerReflectionInfo(iter(requests))]

    names = {service.name for service in listed.list_services_response.service}
    assert names == {
        SERVICE,
        "grpc.health.v1.Health",
        "grpc.reflection.v1alpha.ServerReflection",
    }
    assert health_file.file_descriptor_response.file_descriptor_proto

"""A node's life: stopping drains it (a generation that ends within the grace period ends
normally, one still running after it is cancelled and recorded CANCELLED on the completion
stream; then the node answers nothing), and ``python -m openledger_inference node`` serves from
its settings alone until SIGTERM. Each test runs a node of its own (base model only)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from openledger.events.v1 import inference_events_pb2 as events
from openledger.inference.v1 import generation_pb2
from openledger.inference.v1 import inference_service_pb2 as pb
from openledger.inference.v1 import inference_service_pb2_grpc as pb_grpc
from openledger_inference.node_server import NodeServer
from openledger_kit.client import connect
from openledger_kit.localnet.processes import free_port
from openledger_kit.store import open_store
from openledger_kit.testing.processes import RedisProcess
from services.inference.tests.api.conftest import (
    SERVICE_TOKEN,
    completion_events,
    node_settings,
    start_node,
)
from services.inference.tests.support.models import TINY_MODEL_ID, tiny_model
from services.inference.tests.support.platform import AdapterShelf, Platform

pytestmark = pytest.mark.slow


@pytest.fixture
async def lone_node(
    platform: Platform, redis_server: RedisProcess, tmp_path: Path
) -> AsyncIterator[NodeServer]:
    shelf = AdapterShelf(platform, open_store(tmp_path / "objects"))
    await shelf.ensure_base_model(tiny_model())
    await shelf.close()
    # No ModelFactory: base-model generations never ask it.
    settings = node_settings(tmp_path, platform, redis_server, modelfactory_addr="127.0.0.1:1")
    server = await start_node(settings)
    yield server
    await server.stop(0.0)


def base_request(max_tokens: int) -> pb.GenerateStreamRequest:
    return pb.GenerateStreamRequest(
        spec=generation_pb2.GenerationSpec(
            base_model=TINY_MODEL_ID,
            prompt="once upon a time",
            sampling=generation_pb2.SamplingParams(temperature=0.0, max_tokens=max_tokens),
        ),
        payer_address="0x" + "ab" * 20,
    )


async def test_stop_lets_short_generations_finish_and_cancels_the_rest(
    lone_node: NodeServer, redis_server: RedisProcess
) -> None:
    channel = connect(f"127.0.0.1:{lone_node.port}", token=SERVICE_TOKEN)
    api = pb_grpc.InferenceServiceStub(channel)  # type: ignore[no-untyped-call]
    short = api.GenerateStream(base_request(4))
    long = api.GenerateStream(base_request(500))
    short_first, long_first = await short.read(), await long.read()

    stopping = asyncio.create_task(lone_node.stop(0.5))
    rest = [response async for response in short]
    assert rest[-1].chunk.finish_reason in (
        generation_pb2.FINISH_REASON_LENGTH,
        generation_pb2.FINISH_REASON_STOP,
    )
    with pytest.raises(grpc.aio.AioRpcError):
        async for _ in long:
            pass
    await stopping

    short_events = await completion_events(redis_server.url, short_first.chunk.inference_id)
    assert len(short_events) == 1
    assert short_events[0].output_token_count == sum(
        len(r.chunk.token_ids) for r in [short_first, *rest]
    )
    long_events = await completion_events(redis_server.url, long_first.chunk.inference_id)
    assert [e.finish_reason for e in long_events] == [events.COMPLETION_FINISH_REASON_CANCELLED]
    assert long_events[0].output_token_count < 500

    with pytest.raises(grpc.aio.AioRpcError) as gone:
        await api.GetNodeStatus(pb.GetNodeStatusRequest(), timeout=2.0)
    assert gone.value.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)
    await channel.close()


async def test_python_m_openledger_inference_node_serves_until_sigterm(
    platform: Platform, redis_server: RedisProcess, tmp_path: Path
) -> None:
    """The entry point resolves the base model from the catalogue (building the packaged tiny
    Llama), makes its engine, turns SERVING, and exits 0 on SIGTERM."""
    port = free_port("127.0.0.1")
    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "OL_INFERENCE_GRPC_PORT": str(port),
        "OL_INFERENCE_REDIS_URL": redis_server.url,
        "OL_INFERENCE_DATABASE_URL": f"sqlite:///{tmp_path / 'node.db'}",
        "OL_INFERENCE_OBJECT_STORE_URL": str(tmp_path / "objects"),
        "OL_INFERENCE_L2_RPC_URL": platform.l2_url,
        "OL_INFERENCE_DEPLOYMENT_MANIFEST": str(platform.manifest_path),
        "OL_INFERENCE_BASE_MODEL": TINY_MODEL_ID,
        "OL_INFERENCE_MODEL_CACHE_DIR": str(tmp_path / "models"),
        "OL_INFERENCE_ADAPTER_CACHE_DIR": str(tmp_path / "adapters"),
        "OL_INFERENCE_MODELFACTORY_ADDR": "127.0.0.1:1",
        "OL_INFERENCE_AUTH_NONCE_STORE": "memory",
        "OL_INFERENCE_BUS_CONSUMER_NAME": "entry-point-test",
        "OL_INFERENCE_LOG_JSON": "false",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "openledger_inference", "node", env=env, cwd=tmp_path
    )
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    health = health_pb2_grpc.HealthStub(channel)
    request = health_pb2.HealthCheckRequest(service="openledger.inference.v1.InferenceService")
    try:
        status = None
        for _ in range(600):
            assert process.returncode is None, "the node exited before serving"
            try:
                status = (await health.Check(request, timeout=1.0)).status
            except grpc.aio.AioRpcError:
                status = None
            if status == health_pb2.HealthCheckResponse.SERVING:
                break
            await asyncio.sleep(0.2)
        assert status == health_pb2.HealthCheckResponse.SERVING
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 60) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await channel.close()

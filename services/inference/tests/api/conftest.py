"""A real inference node for the API tests: ``create_node_server`` on port 0 with the torch
engine on the tiny Llama, real Redis, SQLite, a local object store and the contracts on the
session's anvils; two adapters published the way ModelFactory publishes them (files in the
object store, hashes on ``ModelRegistry``). A real ModelFactory API server answers for adapters
it does not know (NOT_FOUND); the published adapters' descriptors reach the node as they would
from ModelFactory's ``AdapterPublished`` events (``ModelFactoryDirectory.remember``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import torch
from eth_account import Account
from eth_account.signers.local import LocalAccount

from openledger.events.v1 import inference_events_pb2 as events
from openledger_inference.adapters.metering import COMPLETION_STREAM
from openledger_inference.config import NodeSettings
from openledger_inference.domain.model import AdapterDescriptor
from openledger_inference.engine.torch_engine import TorchEngine
from openledger_inference.node_server import NodeServer, create_node_server
from openledger_kit import bus
from openledger_kit.bus.envelope import open_envelope, open_payload
from openledger_kit.store import open_store
from openledger_kit.testing.processes import RedisProcess
from openledger_modelfactory.config import Settings as ModelFactorySettings
from openledger_modelfactory.server import create_modelfactory_server
from services.inference.tests.support.adapters import make_adapter
from services.inference.tests.support.models import tiny_model
from services.inference.tests.support.platform import (
    AdapterShelf,
    Platform,
    contract_artifacts,
    platform,
    unique_ref,
)

__all__ = ["contract_artifacts", "platform"]

DEPLOYMENT_ID = "openledger-test-inference-api"
SERVICE_TOKEN = "inference-api-test-token"
ADAPTER_FEE_PER_1K = 2_000_000_000_000


@dataclass
class RunningNode:
    server: NodeServer
    adapters: list[AdapterDescriptor]
    """Published and registered; the node knows their descriptors."""
    admin: LocalAccount
    user: LocalAccount
    redis_url: str

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.server.port}"


@pytest.fixture(scope="module")
async def modelfactory_addr(
    platform: Platform, redis_server: RedisProcess, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """A ModelFactory API server (no runner) on the same deployment."""
    state = tmp_path_factory.mktemp("inference-api-modelfactory")
    settings = ModelFactorySettings(
        grpc_port=0,
        role="api",
        redis_url=redis_server.url,
        database_url=f"sqlite:///{state / 'modelfactory.db'}",
        object_store_url=str(state / "objects"),
        l2_rpc_url=platform.l2_url,
        deployment_manifest=platform.manifest_path,
        model_cache_dir=state / "models",
        work_dir=state / "work",
        auth_nonce_store="memory",
        log_json=False,
    )
    server = await create_modelfactory_server(settings)
    await server.start()
    await server.wait_ready()
    yield f"127.0.0.1:{server.port}"
    await server.stop(1.0)


@pytest.fixture(scope="module")
async def node(
    platform: Platform,
    redis_server: RedisProcess,
    modelfactory_addr: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[RunningNode]:
    state = tmp_path_factory.mktemp("inference-api-node")
    model = tiny_model()
    store = open_store(state / "objects")
    shelf = AdapterShelf(platform, store)
    adapters = []
    for seed in (11, 12):
        saved = make_adapter(model.path, state / f"adapter-{seed}", seed=seed)
        adapters.append(
            await shelf.publish(
                saved, unique_ref("api"), model, fee_per_1k_tokens=ADAPTER_FEE_PER_1K
            )
        )
    await shelf.close()

    admin: LocalAccount = Account.create()
    user: LocalAccount = Account.create()
    settings = node_settings(
        state,
        platform,
        redis_server,
        admin_addresses=[admin.address],
        modelfactory_addr=modelfactory_addr,
    )
    server = await start_node(settings, adapters)
    yield RunningNode(server, adapters, admin, user, redis_server.url)
    await server.stop(1.0)


def node_settings(
    state: Path, platform: Platform, redis_server: RedisProcess, **overrides: Any
) -> NodeSettings:
    """A node on the tiny Llama with its state under ``state`` (adapters are read from
    ``state / "objects"``)."""
    values: dict[str, Any] = {
        "grpc_port": 0,
        "redis_url": redis_server.url,
        "database_url": f"sqlite:///{state / 'node.db'}",
        "object_store_url": str(state / "objects"),
        "l2_rpc_url": platform.l2_url,
        "deployment_manifest": platform.manifest_path,
        "service_token": SERVICE_TOKEN,
        "deployment_id": DEPLOYMENT_ID,
        "auth_nonce_store": "memory",
        "base_model": tiny_model().id,
        "adapter_cache_dir": state / "adapters",
        "prefetch": False,
        "shutdown_grace_seconds": 2.0,
        "log_json": False,
    }
    values.update(overrides)
    return NodeSettings(**values)


async def start_node(
    settings: NodeSettings, adapters: Sequence[AdapterDescriptor] = ()
) -> NodeServer:
    """``create_node_server`` with the torch engine on the tiny Llama, the adapters' descriptors
    known as if ModelFactory had published them, started and SERVING."""
    torch.set_num_threads(1)
    engine = TorchEngine(tiny_model(), max_concurrent_requests=4, max_loras=2, max_cpu_loras=2)
    server = await create_node_server(settings, engine=engine)
    for descriptor in adapters:
        server.directory.remember(descriptor)
    await server.start()
    await server.wait_ready()
    return server


async def completion_events(redis_url: str, inference_id: str) -> list[events.CompletionRecorded]:
    client = bus.connect(redis_url)
    try:
        entries: Any = await client.xrange(COMPLETION_STREAM.key)
    finally:
        await client.aclose()
    found = []
    for _, fields in entries:
        message = open_payload(open_envelope(fields), events.CompletionRecorded)
        if message.inference_id == inference_id:
            found.append(message)
    return found

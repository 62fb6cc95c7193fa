"""A real node for the metering tests: the torch engine on the tiny Llama, the adapter manager
over a local object store, ``ModelRegistry`` on the session's anvils, the completion ledger on
SQLite publishing to the session's Redis. One adapter is published the way ModelFactory
publishes it; its descriptor reaches the node as an ``AdapterPublished`` event would bring it
(``ModelFactoryDirectory.remember``), so no ModelFactory server is asked."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import torch
from eth_account import Account
from redis.asyncio import Redis

from openledger.events.v1 import inference_events_pb2 as events
from openledger_inference.adapters.metering import COMPLETION_STREAM, open_ledger
from openledger_inference.adapters.modelfactory import ModelFactoryDirectory
from openledger_inference.adapters.registry import RegistryReader
from openledger_inference.domain.adapter_manager import AdapterManager
from openledger_inference.domain.model import AdapterDescriptor
from openledger_inference.domain.node import InferenceNode
from openledger_inference.engine.torch_engine import TorchEngine
from openledger_kit import bus
from openledger_kit.bus.envelope import open_envelope, open_payload
from openledger_kit.store import open_store
from openledger_kit.testing.processes import RedisProcess
from openledger_kit.values import Caller
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

ADAPTER_FEE_PER_1K = 3_000_000_000_001
SOURCE = "inference-metering-test"


@pytest.fixture(autouse=True, scope="session")
def one_torch_thread() -> None:
    torch.set_num_threads(1)


@dataclass
class World:
    node: InferenceNode
    engine: TorchEngine
    registry: RegistryReader
    adapter: AdapterDescriptor
    redis: Redis
    redis_url: str
    database_url: str
    user: Caller

    async def events_of(self, inference_id: str) -> list[events.CompletionRecorded]:
        """Every ``CompletionRecorded`` published for ``inference_id``."""
        found = []
        entries: Any = await self.redis.xrange(COMPLETION_STREAM.key)
        for _, fields in entries:
            envelope = open_envelope(fields)
            if envelope.id == inference_id:
                found.append(open_payload(envelope, events.CompletionRecorded))
        return found


@pytest.fixture(scope="module")
async def world(
    platform: Platform, redis_server: RedisProcess, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[World]:
    state: Path = tmp_path_factory.mktemp("inference-metering")
    model = tiny_model()
    store = open_store(state / "objects")
    shelf = AdapterShelf(platform, store)
    saved = make_adapter(model.path, state / "adapter", seed=21)
    adapter = await shelf.publish(
        saved, unique_ref("meter"), model, fee_per_1k_tokens=ADAPTER_FEE_PER_1K
    )
    await shelf.close()

    engine = TorchEngine(model, max_concurrent_requests=4, max_loras=2, max_cpu_loras=2)
    await engine.start()
    registry = RegistryReader(platform.l2_url, platform.manifest_path, None)
    directory = ModelFactoryDirectory("127.0.0.1:9")
    directory.remember(adapter)
    adapters = AdapterManager(
        model=model,
        engine=engine,
        directory=directory,
        registry=registry,
        store=store,
        cache_dir=state / "adapters",
        max_disk_bytes=1 << 30,
    )
    await adapters.start()
    redis = bus.connect(redis_server.url)
    database_url = f"sqlite:///{state / 'node.db'}"
    ledger = await open_ledger(database_url, redis, source=SOURCE)
    node = InferenceNode(engine=engine, adapters=adapters, registry=registry, ledger=ledger)
    await node.start()
    user = Caller(address=Account.create().address)
    yield World(node, engine, registry, adapter, redis, redis_server.url, database_url, user)
    await engine.stop()
    await node.stop()
    await directory.close()
    await registry.close()
    await redis.aclose()

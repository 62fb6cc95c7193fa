"""Prefetch on ``ol:modelfactory:adapter:v1``: ``AdapterPublished`` events, built by
ModelFactory's own converter and published to the real Redis, seed the node's ModelFactory
directory and bring the node's adapters into the DISK tier."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from openledger.events.v1 import modelfactory_events_pb2 as events
from openledger_inference.adapters.modelfactory import ModelFactoryDirectory
from openledger_inference.adapters.prefetch import ADAPTER_STREAM, AdapterPrefetcher
from openledger_inference.adapters.registry import RegistryReader
from openledger_inference.domain.adapter_manager import AdapterManager
from openledger_inference.domain.model import AdapterDescriptor, AdapterState, Tier
from openledger_inference.engine.torch_engine import TorchEngine
from openledger_kit import bus
from openledger_kit.bus import ConsumerOptions, Publisher
from openledger_kit.store import ObjectStore
from openledger_kit.testing.processes import RedisProcess
from openledger_kit.values import ObjectRef
from openledger_ml.lora import SavedAdapter
from openledger_modelfactory.adapters.bus import adapter_published_message
from services.datanet.tests.support import eventually
from services.inference.tests.support.models import tiny_model
from services.inference.tests.support.platform import AdapterShelf, Platform, unique_ref
from services.modelfactory.tests import domain_samples

pytestmark = pytest.mark.slow


def published_event(descriptor: AdapterDescriptor, store: ObjectStore) -> events.AdapterPublished:
    def object_ref(sha256: bytes) -> ObjectRef:
        hexdigest = sha256.hex()
        return ObjectRef(
            uri=f"file://{store.location('sha256:' + hexdigest)}",
            sha256=sha256,
            size_bytes=store.size("sha256:" + hexdigest),
            media_type="application/octet-stream",
        )

    return adapter_published_message(
        domain_samples.adapter(
            adapter_id=descriptor.ref.adapter_id,
            version=descriptor.ref.version,
            base_model=descriptor.base_model,
            base_model_revision=descriptor.base_model_revision,
            adapter_sha256=descriptor.adapter_sha256,
            adapter_model=object_ref(descriptor.adapter_sha256),
            adapter_config=object_ref(descriptor.adapter_config_sha256),
            prompt_template=descriptor.prompt_template,
            fee_per_1k_tokens=descriptor.fee_per_1k_tokens,
            owner=descriptor.owner_address,
        )
    )


def seen(descriptor: AdapterDescriptor) -> AdapterDescriptor:
    """What an ``AdapterPublished`` event tells of ``descriptor``."""
    return dataclasses.replace(descriptor, task_template="")


@pytest.fixture
async def node(
    platform: Platform,
    redis_server: RedisProcess,
    engine: TorchEngine,
    store: ObjectStore,
    tmp_path: Path,
) -> AsyncIterator[tuple[AdapterManager, ModelFactoryDirectory, AdapterPrefetcher]]:
    reader = RegistryReader(platform.l2_url, platform.manifest_path, None)
    # Never called: every descriptor the test needs comes from the events.
    directory = ModelFactoryDirectory("127.0.0.1:9")
    manager = AdapterManager(
        model=tiny_model(),
        engine=engine,
        directory=directory,
        registry=reader,
        store=store,
        cache_dir=tmp_path / "cache",
        max_disk_bytes=1 << 30,
    )
    await manager.start()
    redis = bus.connect(redis_server.url)
    prefetcher = AdapterPrefetcher(
        redis,
        directory=directory,
        manager=manager,
        group=f"inference-prefetch-{uuid.uuid4().hex[:8]}",
        # Only this test's events: the stream is shared by the session.
        options=ConsumerOptions(concurrency=2, start_id="$", dead_letter_unhandled=False),
    )
    await prefetcher.start()
    yield manager, directory, prefetcher
    await prefetcher.stop(timeout=5.0)
    for state in manager.states():
        await manager.unload(state.adapter.descriptor.ref, remove_from_disk=False)
    await directory.close()
    await reader.close()
    await redis.aclose()


async def test_published_adapters_are_prefetched(
    node: tuple[AdapterManager, ModelFactoryDirectory, AdapterPrefetcher],
    shelf: AdapterShelf,
    store: ObjectStore,
    redis_server: RedisProcess,
    saved_adapters: dict[str, SavedAdapter],
) -> None:
    manager, directory, _ = node
    model = tiny_model()
    good = await shelf.publish(saved_adapters["seed0"], unique_ref("prefetched"), model)
    unregistered = await shelf.publish(
        saved_adapters["seed1"], unique_ref("unregistered"), model, register=False
    )
    other_model = dataclasses.replace(model, id="other-llama")
    foreign = await shelf.publish(saved_adapters["seed2"], unique_ref("foreign"), other_model)

    redis = bus.connect(redis_server.url)
    publisher = Publisher(redis, source="modelfactory")
    for descriptor in (unregistered, foreign, good):
        await publisher.publish(ADAPTER_STREAM, published_event(descriptor, store))
    await redis.aclose()

    async def state() -> AdapterState | None:
        return manager.state(good.ref)

    prefetched = await eventually(state, lambda s: s is not None, what="prefetch")
    assert prefetched is not None and prefetched.tier is Tier.DISK
    # Events do not carry the training task template.
    assert prefetched.adapter.descriptor == seen(good)
    # The refused ones are remembered, not cached.
    assert await directory.describe(foreign.ref) == seen(foreign)
    assert await directory.describe(unregistered.ref) == seen(unregistered)
    assert manager.state(foreign.ref) is None
    assert manager.state(unregistered.ref) is None

    # The event-seeded directory serves the request: no call to ModelFactory.
    async with manager.use(good.ref) as adapter:
        assert adapter.descriptor == seen(good)

"""The adapter manager over real parts: the torch engine (2 GPU and 2 CPU slots), adapters
published into a local object store and registered on the session's ModelRegistry, the chain
read through ``RegistryReader``. The directory is a dict of the descriptors the shelf
returned (ModelFactory's own directory is tested in ``test_modelfactory``)."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from openledger_inference.adapters.registry import RegistryReader
from openledger_inference.domain.adapter_manager import AdapterManager
from openledger_inference.domain.model import (
    AdapterDescriptor,
    AdapterRef,
    EngineRequest,
    LocalAdapter,
    Sampling,
    Tier,
)
from openledger_inference.domain.ports import ServedModel
from openledger_inference.engine.torch_engine import TorchEngine
from openledger_inference.metrics import InferenceMetrics
from openledger_kit.errors import FailedPrecondition, NotFound, ResourceExhausted
from openledger_kit.store import Digest, ObjectStore
from openledger_ml.lora import SavedAdapter
from services.inference.tests.support.models import tiny_model
from services.inference.tests.support.platform import AdapterShelf, Platform, unique_ref

pytestmark = pytest.mark.slow

PROMPT = (5, 17, 42, 99, 7, 300)


class Directory:
    """The directory port over descriptors the test published."""

    def __init__(self) -> None:
        self.known: dict[AdapterRef, AdapterDescriptor] = {}

    async def describe(self, ref: AdapterRef) -> AdapterDescriptor | None:
        return self.known.get(ref)

    def add(self, descriptor: AdapterDescriptor) -> AdapterRef:
        self.known[descriptor.ref] = descriptor
        return descriptor.ref


@dataclasses.dataclass
class Node:
    manager: AdapterManager
    directory: Directory
    shelf: AdapterShelf
    store: ObjectStore
    cache_dir: Path
    metrics: InferenceMetrics
    registry: CollectorRegistry
    saved: dict[str, SavedAdapter]

    async def publish(
        self, key: str, *, model: ServedModel | None = None, register: bool = True
    ) -> AdapterRef:
        descriptor = await self.shelf.publish(
            self.saved[key], unique_ref(key), model or tiny_model(), register=register
        )
        return self.directory.add(descriptor)

    def metric(self, name: str, **labels: str) -> float:
        return self.registry.get_sample_value(name, labels) or 0.0


@pytest.fixture
async def reader(platform: Platform) -> AsyncIterator[RegistryReader]:
    reader = RegistryReader(platform.l2_url, platform.manifest_path, None)
    yield reader
    await reader.close()


def new_manager(
    engine: TorchEngine,
    directory: Directory,
    reader: RegistryReader,
    store: ObjectStore,
    cache_dir: Path,
    metrics: InferenceMetrics | None = None,
    max_disk_bytes: int = 1 << 30,
) -> AdapterManager:
    return AdapterManager(
        model=tiny_model(),
        engine=engine,
        directory=directory,
        registry=reader,
        store=store,
        cache_dir=cache_dir,
        max_disk_bytes=max_disk_bytes,
        metrics=metrics,
    )


@pytest.fixture
async def node(
    engine: TorchEngine,
    reader: RegistryReader,
    shelf: AdapterShelf,
    store: ObjectStore,
    tmp_path: Path,
    saved_adapters: dict[str, SavedAdapter],
) -> AsyncIterator[Node]:
    registry = CollectorRegistry()
    metrics = InferenceMetrics(registry)
    directory = Directory()
    cache_dir = tmp_path / "cache"
    manager = new_manager(engine, directory, reader, store, cache_dir, metrics)
    await manager.start()
    yield Node(manager, directory, shelf, store, cache_dir, metrics, registry, saved_adapters)
    # The engine outlives the test: give its slots back.
    for state in manager.states():
        await manager.unload(state.adapter.descriptor.ref, remove_from_disk=False)


async def generate(engine: TorchEngine, adapter: LocalAdapter | None) -> tuple[int, ...]:
    handle = engine.submit(
        EngineRequest(
            request_id=uuid.uuid4().hex,
            prompt_token_ids=PROMPT,
            adapter=adapter,
            sampling=Sampling(max_tokens=8, temperature=0.0),
        )
    )
    tokens: list[int] = []
    async for output in handle:
        tokens.extend(output.token_ids)
    return tuple(tokens)


async def served(node: Node, engine: TorchEngine, ref: AdapterRef) -> tuple[int, ...]:
    async with node.manager.use(ref) as adapter:
        return await generate(engine, adapter)


def tiers(node: Node) -> list[tuple[str, Tier]]:
    return [(str(s.adapter.descriptor.ref), s.tier) for s in node.manager.states()]


def cached_files(cache_dir: Path) -> list[Path]:
    return sorted(p for p in cache_dir.rglob("*") if p.is_file())


async def test_first_use_fetches_verifies_and_serves(node: Node, engine: TorchEngine) -> None:
    ref = await node.publish("seed0")
    async with node.manager.use(ref) as adapter:
        state = node.manager.state(ref)
        assert state is not None
        assert (state.tier, state.active_requests, state.pinned) == (Tier.GPU, 1, False)
        assert adapter.rank == 4
        assert adapter.size_bytes == node.saved["seed0"].model_file.stat().st_size
        assert adapter.directory == node.cache_dir / node.saved["seed0"].sha256 / str(ref)
        with_adapter = await generate(engine, adapter)
    assert with_adapter != await generate(engine, None)
    state = node.manager.state(ref)
    assert state is not None and state.active_requests == 0
    assert state.last_used_time is not None
    assert node.metric("openledger_inference_adapter_cache_misses_total") == 1
    assert node.metric("openledger_inference_adapter_load_seconds_count", source="remote") == 1

    await served(node, engine, ref)
    assert node.metric("openledger_inference_adapter_cache_hits_total", tier="gpu") == 1


async def test_lru_eviction_and_reload(node: Node, engine: TorchEngine) -> None:
    first, second, third = [await node.publish(f"seed{i}") for i in range(3)]
    outputs = {ref: await served(node, engine, ref) for ref in (first, second, third)}
    assert len(set(outputs.values())) == 3
    # GPU holds 2: the least recently used one was demoted to the CPU tier.
    assert tiers(node) == [(str(third), Tier.GPU), (str(second), Tier.GPU), (str(first), Tier.CPU)]
    assert node.metric("openledger_inference_adapter_cache_evictions_total", tier="gpu") == 1

    assert await served(node, engine, first) == outputs[first]
    assert tiers(node) == [(str(first), Tier.GPU), (str(third), Tier.GPU), (str(second), Tier.CPU)]
    assert node.metric("openledger_inference_adapter_cache_hits_total", tier="cpu") == 1
    assert node.metric("openledger_inference_adapter_load_seconds_count", source="cpu") == 1

    # A fourth fills the CPU tier's LRU slot on the way; the oldest drops to DISK.
    fourth = await node.publish("seed3")
    await served(node, engine, fourth)
    assert tiers(node) == [
        (str(fourth), Tier.GPU),
        (str(first), Tier.GPU),
        (str(third), Tier.CPU),
        (str(second), Tier.CPU),
    ]
    await served(node, engine, third)
    await served(node, engine, second)
    assert [tier for _, tier in tiers(node)] == [Tier.GPU, Tier.GPU, Tier.CPU, Tier.CPU]
    assert await served(node, engine, second) == outputs[second]
    assert await served(node, engine, third) == outputs[third]


async def test_pinned_adapters_stay_and_busy_slots_exhaust(node: Node, engine: TorchEngine) -> None:
    pinned, busy, other = [await node.publish(f"seed{i}") for i in range(3)]
    state = await node.manager.load(pinned, Tier.GPU, pin=True)
    assert (state.tier, state.pinned) == (Tier.GPU, True)
    async with node.manager.use(busy):
        with pytest.raises(ResourceExhausted, match="pinned or busy"):
            async with node.manager.use(other):
                pass
    # Once the busy one is idle it is the one demoted; the pinned one never is.
    await served(node, engine, other)
    await served(node, engine, busy)
    assert dict(tiers(node))[str(pinned)] is Tier.GPU
    assert dict(tiers(node))[str(other)] is Tier.CPU

    state = await node.manager.load(pinned, Tier.GPU, pin=False)
    assert (state.tier, state.pinned) == (Tier.GPU, False)
    await served(node, engine, other)
    assert dict(tiers(node))[str(pinned)] is Tier.CPU


async def test_load_demote_and_unload(node: Node, engine: TorchEngine) -> None:
    ref = await node.publish("seed0")
    state = await node.manager.load(ref, Tier.DISK, pin=True)
    assert (state.tier, state.pinned) == (Tier.DISK, True)
    assert (await node.manager.load(ref, Tier.CPU, pin=False)).tier is Tier.CPU
    assert (await node.manager.load(ref, Tier.GPU, pin=False)).tier is Tier.GPU
    assert (await node.manager.load(ref, Tier.CPU, pin=True)).tier is Tier.CPU

    left = await node.manager.unload(ref, remove_from_disk=False)
    assert left is not None and (left.tier, left.pinned) == (Tier.DISK, False)
    assert await node.manager.unload(ref, remove_from_disk=True) is None
    assert node.manager.state(ref) is None
    assert cached_files(node.cache_dir) == []
    assert await node.manager.unload(ref, remove_from_disk=True) is None


async def test_unload_waits_for_running_requests(node: Node, engine: TorchEngine) -> None:
    ref = await node.publish("seed1")
    async with node.manager.use(ref) as adapter:
        unloading = asyncio.create_task(node.manager.unload(ref, remove_from_disk=False))
        # The request still runs on its adapter while the unload waits for it.
        assert await generate(engine, adapter)
        state = node.manager.state(ref)
        assert state is not None and (state.tier, state.active_requests) == (Tier.GPU, 1)
        assert not unloading.done()
    left = await unloading
    assert left is not None and left.tier is Tier.DISK
    await served(node, engine, ref)  # loaded again on demand


async def test_concurrent_first_uses_fetch_once(node: Node, engine: TorchEngine) -> None:
    ref = await node.publish("seed2")
    results = await asyncio.gather(*(served(node, engine, ref) for _ in range(3)))
    assert len(set(results)) == 1
    assert node.metric("openledger_inference_adapter_load_seconds_count", source="remote") == 1


async def test_a_tampered_object_is_rejected_and_nothing_kept(node: Node) -> None:
    ref = await node.publish("seed0")
    weights = node.directory.known[ref].adapter_sha256
    location = Path(node.store.location(Digest(weights.hex())))
    location.chmod(0o644)
    location.write_bytes(node.saved["seed1"].model_file.read_bytes())
    with pytest.raises(FailedPrecondition, match="hash mismatch"):
        async with node.manager.use(ref):
            pass
    assert node.manager.state(ref) is None
    assert cached_files(node.cache_dir) == []


async def test_a_different_registered_hash_is_rejected(node: Node) -> None:
    ref = unique_ref("swapped")
    await node.shelf.publish(node.saved["seed0"], ref, tiny_model())
    # ModelFactory (here: the directory) describes other weights than the registered ones.
    node.directory.add(
        await node.shelf.publish(node.saved["seed1"], ref, tiny_model(), register=False)
    )
    with pytest.raises(FailedPrecondition, match="hash mismatch"):
        await node.manager.load(ref, Tier.DISK, pin=False)
    assert cached_files(node.cache_dir) == []


async def test_unregistered_and_unknown_adapters_are_not_found(node: Node) -> None:
    unregistered = await node.publish("seed0", register=False)
    with pytest.raises(NotFound, match="not registered on ModelRegistry"):
        async with node.manager.use(unregistered):
            pass
    with pytest.raises(NotFound, match="unknown"):
        async with node.manager.use(unique_ref("unknown")):
            pass
    assert node.manager.states() == []


async def test_incompatible_adapters_are_refused(node: Node) -> None:
    model = tiny_model()
    other_model = dataclasses.replace(model, id="other-llama")
    for_other = await node.publish("seed0", model=other_model)
    with pytest.raises(FailedPrecondition, match="'other-llama'.*'tiny-llama'"):
        async with node.manager.use(for_other):
            pass

    # A descriptor claiming the node's base model does not beat the chain's record.
    lying = dataclasses.replace(node.directory.known[for_other], base_model=model.id)
    node.directory.add(lying)
    with pytest.raises(FailedPrecondition, match="base model"):
        await node.manager.load(for_other, Tier.GPU, pin=False)

    other_weights = await node.publish("seed1")
    node.directory.add(
        dataclasses.replace(node.directory.known[other_weights], base_model_revision="0" * 64)
    )
    with pytest.raises(FailedPrecondition, match="revision"):
        async with node.manager.use(other_weights):
            pass

    too_wide = await node.publish("rank32")
    with pytest.raises(FailedPrecondition, match="rank 32"):
        async with node.manager.use(too_wide):
            pass
    assert node.manager.states() == []
    assert cached_files(node.cache_dir) == []


async def test_restart_reindexes_the_disk_tier(
    node: Node, engine: TorchEngine, reader: RegistryReader
) -> None:
    kept, damaged, loaded = [await node.publish(f"seed{i}") for i in range(3)]
    output = await served(node, engine, kept)
    await node.manager.load(damaged, Tier.DISK, pin=False)
    await node.manager.load(loaded, Tier.CPU, pin=False)
    for state in node.manager.states():
        await node.manager.unload(state.adapter.descriptor.ref, remove_from_disk=False)
    damaged_state = node.manager.state(damaged)
    assert damaged_state is not None
    (damaged_state.adapter.directory / "adapter_config.json").write_text('{"r": 4}')
    (node.cache_dir / ".partial" / "leftover").mkdir(parents=True)
    # Served from disk: the object store no longer has the files.
    for ref in (kept, loaded):
        node.store.delete(Digest(node.directory.known[ref].adapter_sha256.hex()))

    restarted = new_manager(engine, node.directory, reader, node.store, node.cache_dir)
    await restarted.start()
    assert sorted(str(s.adapter.descriptor.ref) for s in restarted.states()) == sorted(
        [str(kept), str(loaded)]
    )
    assert {s.tier for s in restarted.states()} == {Tier.DISK}
    assert not (node.cache_dir / ".partial").exists()
    assert not damaged_state.adapter.directory.exists()
    async with restarted.use(kept) as adapter:
        assert adapter.descriptor == node.directory.known[kept]
        assert await generate(engine, adapter) == output
    for state in restarted.states():
        await restarted.unload(state.adapter.descriptor.ref, remove_from_disk=False)


async def test_the_disk_budget_evicts_least_recently_used(
    node: Node, engine: TorchEngine, reader: RegistryReader, tmp_path: Path
) -> None:
    size = node.saved["seed0"].model_file.stat().st_size
    cache_dir = tmp_path / "small-cache"
    manager = new_manager(
        engine, node.directory, reader, node.store, cache_dir, max_disk_bytes=2 * size + 8192
    )
    refs = [await node.publish(f"seed{i}") for i in range(3)]
    for ref in refs:
        await manager.load(ref, Tier.DISK, pin=False)
    assert [str(s.adapter.descriptor.ref) for s in manager.states()] == [
        str(refs[2]),
        str(refs[1]),
    ]
    assert len(list(cache_dir.glob("*/*/adapter_model.safetensors"))) == 2


async def test_prefetch_fills_the_disk_tier_and_never_raises(node: Node) -> None:
    good = node.directory.known[await node.publish("seed0")]
    await node.manager.prefetch(good)
    state = node.manager.state(good.ref)
    assert state is not None and state.tier is Tier.DISK

    unregistered = node.directory.known[await node.publish("seed1", register=False)]
    await node.manager.prefetch(unregistered)
    assert node.manager.state(unregistered.ref) is None

    other_model = dataclasses.replace(good, ref=unique_ref("other"), base_model="other-llama")
    await node.manager.prefetch(other_model)
    assert node.manager.state(other_model.ref) is None


async def test_an_admin_move_into_a_pinned_full_tier_is_exhausted(node: Node) -> None:
    first, second, third = [await node.publish(f"seed{i}") for i in range(3)]
    for ref in (first, second):
        await node.manager.load(ref, Tier.CPU, pin=True)
    await node.manager.load(third, Tier.GPU, pin=False)
    with pytest.raises(ResourceExhausted, match="CPU adapter slot"):
        await node.manager.load(third, Tier.CPU, pin=False)
    state = node.manager.state(third)
    assert state is not None and state.tier is Tier.GPU
    # DISK always has room for an adapter whose files are already there.
    assert (await node.manager.load(third, Tier.DISK, pin=False)).tier is Tier.DISK

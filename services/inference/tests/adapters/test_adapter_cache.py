"""The tier bookkeeping alone: LRU order, pins and busy adapters, disk budget."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from openledger_inference.domain.adapter_cache import AdapterCache
from openledger_inference.domain.model import AdapterDescriptor, AdapterRef, LocalAdapter, Tier
from openledger_kit.errors import ResourceExhausted

NOW = datetime(2025, 1, 1, tzinfo=UTC)


def local(name: str, size: int = 100) -> LocalAdapter:
    ref = AdapterRef.parse(name)
    descriptor = AdapterDescriptor(
        ref=ref,
        base_model="tiny-llama",
        base_model_revision="r",
        adapter_sha256=b"\x01" * 32,
        adapter_config_sha256=b"\x02" * 32,
    )
    return LocalAdapter(descriptor=descriptor, directory=Path("/nowhere"), rank=4, size_bytes=size)


def cache_with(*names: str, gpu: int = 2, cpu: int = 2, disk: int = 10_000) -> AdapterCache:
    cache = AdapterCache(gpu_slots=gpu, cpu_slots=cpu, disk_bytes=disk)
    for name in names:
        cache.add(local(name), disk_bytes=100, now=NOW)
    return cache


def test_a_free_slot_needs_no_victim() -> None:
    cache = cache_with("aax@1", "bbx@1")
    cache.move("aax@1", Tier.GPU, NOW)
    assert cache.victims(Tier.GPU) == []


def test_the_least_recently_used_adapter_leaves_a_full_tier() -> None:
    cache = cache_with("aax@1", "bbx@1", "ccx@1")
    cache.move("aax@1", Tier.GPU, NOW)
    cache.move("bbx@1", Tier.GPU, NOW)
    cache.touch("aax@1", NOW)  # bb is now the least recently used
    assert [e.name for e in cache.victims(Tier.GPU, keep="ccx@1")] == ["bbx@1"]
    cache.touch("bbx@1", NOW)
    assert [e.name for e in cache.victims(Tier.GPU, keep="ccx@1")] == ["aax@1"]


def test_pinned_and_busy_adapters_are_never_chosen() -> None:
    cache = cache_with("aax@1", "bbx@1", "ccx@1")
    for name in ("aax@1", "bbx@1"):
        cache.move(name, Tier.GPU, NOW)
    entry_a = cache.get("aax@1")
    assert entry_a is not None
    entry_a.pinned = True
    assert [e.name for e in cache.victims(Tier.GPU)] == ["bbx@1"]
    entry_b = cache.get("bbx@1")
    assert entry_b is not None
    entry_b.active_requests = 1
    with pytest.raises(ResourceExhausted, match="pinned or busy"):
        cache.victims(Tier.GPU)
    entry_b.active_requests = 0
    entry_b.leaving = True
    with pytest.raises(ResourceExhausted):
        cache.victims(Tier.GPU)


def test_states_order_by_tier_then_recency_then_name() -> None:
    cache = cache_with("ddx@1", "ccx@1", "bbx@1", "aax@1")
    cache.move("ccx@1", Tier.GPU, NOW)
    cache.move("bbx@1", Tier.CPU, NOW)
    cache.touch("ddx@1", NOW)
    assert [e.name for e in cache.entries()] == ["ccx@1", "bbx@1", "ddx@1", "aax@1"]


def test_disk_budget_evicts_least_recently_used_disk_adapters_only() -> None:
    cache = cache_with("aax@1", "bbx@1", "ccx@1", disk=300)
    cache.move("aax@1", Tier.GPU, NOW)  # oldest, but its files are in use by the GPU tier
    assert cache.disk_victims(0) == []
    assert [e.name for e in cache.disk_victims(150)] == ["bbx@1", "ccx@1"]
    assert [e.name for e in cache.disk_victims(100)] == ["bbx@1"]
    with pytest.raises(ResourceExhausted, match="larger than the whole disk cache"):
        cache.disk_victims(301)
    entry_c = cache.get("ccx@1")
    assert entry_c is not None
    entry_c.pinned = True
    with pytest.raises(ResourceExhausted, match="full"):
        cache.disk_victims(250)


def test_used_disk_bytes_and_removal() -> None:
    cache = cache_with("aax@1", "bbx@1")
    assert cache.used_disk_bytes() == 200
    assert cache.remove("aax@1") is not None
    assert "aax@1" not in cache
    assert len(cache) == 1
    assert cache.remove("aax@1") is None

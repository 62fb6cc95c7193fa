"""The adapter cache's bookkeeping: which tier holds each adapter, how recently it was used,
who pinned it, how many requests use it, and which adapters must leave a full tier to make
room. Pure: it moves nothing itself; the adapter manager applies its decisions to the engine
and the disk."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime

from openledger_inference.domain.model import AdapterState, LocalAdapter, Tier
from openledger_kit.errors import ResourceExhausted

DOMAIN = "openledger.inference"


@dataclass
class CacheEntry:
    """One adapter the node holds; every held adapter has its files in the DISK cache."""

    adapter: LocalAdapter
    tier: Tier
    pinned: bool
    load_time: datetime
    """When it entered its current tier."""
    last_used_time: datetime | None
    recency: int
    """Order of the latest use or tier entry: the LRU key (clock readings may tie)."""
    disk_bytes: int
    active_requests: int = 0
    leaving: bool = False
    """An unload or demotion waits for its requests to finish; new requests wait for it."""
    moving: bool = False
    """Being moved between tiers right now (by the holder of the manager's lock)."""

    @property
    def name(self) -> str:
        return self.adapter.name

    @property
    def evictable(self) -> bool:
        return (
            not self.pinned and self.active_requests == 0 and not self.leaving and not self.moving
        )

    def state(self) -> AdapterState:
        return AdapterState(
            adapter=self.adapter,
            tier=self.tier,
            pinned=self.pinned,
            load_time=self.load_time,
            last_used_time=self.last_used_time,
            active_requests=self.active_requests,
        )


class AdapterCache:
    """Tier bookkeeping: ``gpu_slots`` and ``cpu_slots`` adapters in those tiers, and at most
    ``disk_bytes`` of files on disk (the files of every held adapter, whatever its tier)."""

    def __init__(self, *, gpu_slots: int, cpu_slots: int, disk_bytes: int) -> None:
        self._slots = {Tier.GPU: gpu_slots, Tier.CPU: cpu_slots}
        self.disk_bytes = disk_bytes
        self._entries: dict[str, CacheEntry] = {}
        self._counter = itertools.count(1)

    def __contains__(self, name: str) -> bool:
        return name in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, name: str) -> CacheEntry | None:
        return self._entries.get(name)

    def entries(self) -> list[CacheEntry]:
        """GPU, then CPU, then DISK; most recently used first; then by name."""
        return sorted(self._entries.values(), key=lambda e: (e.tier, -e.recency, e.name))

    def in_tier(self, tier: Tier) -> list[CacheEntry]:
        return [entry for entry in self._entries.values() if entry.tier is tier]

    def used_disk_bytes(self) -> int:
        return sum(entry.disk_bytes for entry in self._entries.values())

    def add(
        self, adapter: LocalAdapter, *, disk_bytes: int, now: datetime, used: bool = False
    ) -> CacheEntry:
        """Record a newly fetched (or re-indexed) adapter in the DISK tier; the caller made
        room first (``disk_victims``)."""
        entry = CacheEntry(
            adapter=adapter,
            tier=Tier.DISK,
            pinned=False,
            load_time=now,
            last_used_time=now if used else None,
            recency=next(self._counter),
            disk_bytes=disk_bytes,
        )
        self._entries[entry.name] = entry
        return entry

    def remove(self, name: str) -> CacheEntry | None:
        return self._entries.pop(name, None)

    def move(self, name: str, tier: Tier, now: datetime) -> CacheEntry:
        entry = self._entries[name]
        if entry.tier is not tier:
            entry.tier = tier
            entry.load_time = now
            entry.recency = next(self._counter)
        return entry

    def touch(self, name: str, now: datetime) -> None:
        """Mark a use: the adapter becomes the most recently used."""
        entry = self._entries[name]
        entry.last_used_time = now
        entry.recency = next(self._counter)

    def victims(self, tier: Tier, *, keep: str | None = None) -> list[CacheEntry]:
        """The adapters to demote out of ``tier`` (GPU or CPU) so that one more fits: none when
        there is a free slot, else the least recently used evictable one. ``keep`` (the
        adapter being brought in) is never chosen. ``ResourceExhausted`` when every slot holds
        a pinned or busy adapter."""
        held = [entry for entry in self.in_tier(tier) if entry.name != keep]
        if len(held) < self._slots[tier]:
            return []
        candidates = sorted((e for e in held if e.evictable), key=lambda e: e.recency)
        excess = len(held) - self._slots[tier] + 1
        if len(candidates) < excess:
            raise ResourceExhausted(
                f"every {tier.name} adapter slot ({self._slots[tier]}) holds a pinned or busy "
                "adapter",
                reason="ADAPTER_SLOTS_EXHAUSTED",
                domain=DOMAIN,
                metadata={"tier": tier.name, "slots": str(self._slots[tier])},
            )
        return candidates[:excess]

    def disk_victims(self, incoming_bytes: int) -> list[CacheEntry]:
        """The DISK-tier adapters whose files to delete so that ``incoming_bytes`` more fit,
        least recently used first. Adapters in the GPU and CPU tiers keep their files.
        ``ResourceExhausted`` when even deleting every evictable one is not enough."""
        if incoming_bytes > self.disk_bytes:
            raise ResourceExhausted(
                f"the adapter ({incoming_bytes} bytes) is larger than the whole disk cache "
                f"({self.disk_bytes} bytes)",
                reason="ADAPTER_CACHE_FULL",
                domain=DOMAIN,
            )
        overflow = self.used_disk_bytes() + incoming_bytes - self.disk_bytes
        chosen: list[CacheEntry] = []
        candidates = sorted(
            (e for e in self.in_tier(Tier.DISK) if e.evictable), key=lambda e: e.recency
        )
        for entry in candidates:
            if overflow <= 0:
                break
            chosen.append(entry)
            overflow -= entry.disk_bytes
        if overflow > 0:
            raise ResourceExhausted(
                f"the adapter disk cache ({self.disk_bytes} bytes) is full of adapters that "
                "are loaded, pinned or in use",
                reason="ADAPTER_CACHE_FULL",
                domain=DOMAIN,
            )
        return chosen

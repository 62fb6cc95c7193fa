"""The node's adapter manager: resolves an adapter version, fetches its files from the object
store into the local disk cache, checks them against the hash registered on ``ModelRegistry``
and against the served model, and moves adapters between the tiers (GPU, CPU, DISK) on demand,
least recently used out first, pinned adapters never.

Disk layout: ``cache_dir/<sha256 hex of the weights>/<adapter_id>@<version>/`` holds
``adapter_model.safetensors``, ``adapter_config.json`` and ``descriptor.json`` (what the node
learnt about the adapter). Two versions with identical weights get a directory each, so that
evicting one never takes the other's files. Downloads go to ``cache_dir/.partial/`` first and
are renamed into place only once every check passed, so the cache never holds an unchecked
adapter, and ``start()`` after a restart re-checks what it finds.

Concurrency: one fetch per adapter at a time (later callers await the first); moves between
tiers are serialised by one lock, since each may demote others to make room. An adapter that
an unload or a demotion is taking out of its tier is marked ``leaving``: the move waits for its
running requests, and new requests wait for the move.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import shutil
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eth_utils.crypto import keccak
from safetensors import SafetensorError, safe_open

from openledger_inference.domain.adapter_cache import DOMAIN, AdapterCache, CacheEntry
from openledger_inference.domain.model import (
    AdapterDescriptor,
    AdapterRef,
    AdapterState,
    LocalAdapter,
    RegisteredAdapter,
    Tier,
)
from openledger_inference.domain.ports import (
    AdapterDirectory,
    AdapterRegistry,
    Engine,
    ServedModel,
)
from openledger_inference.metrics import InferenceMetrics
from openledger_kit.errors import (
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    ResourceExhausted,
)
from openledger_kit.store import Digest, ObjectNotFound, ObjectStore

logger = logging.getLogger(__name__)

MODEL_FILE = "adapter_model.safetensors"
CONFIG_FILE = "adapter_config.json"
DESCRIPTOR_FILE = "descriptor.json"
PARTIAL_DIR = ".partial"
_CHUNK = 1 << 20
_MAX_CONFIG_BYTES = 1 << 20
_CACHE_ATTEMPTS = 3


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _label(tier: Tier) -> str:
    return tier.name.lower()


class AdapterManager:
    """The adapters of one node serving ``model`` on ``engine``: ``use`` one for a request,
    ``load`` / ``unload`` (admin), ``prefetch`` into the disk cache, and report ``states``."""

    def __init__(
        self,
        *,
        model: ServedModel,
        engine: Engine,
        directory: AdapterDirectory,
        registry: AdapterRegistry,
        store: ObjectStore,
        cache_dir: Path,
        max_disk_bytes: int,
        metrics: InferenceMetrics | None = None,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self._model = model
        self._engine = engine
        self._directory = directory
        self._registry = registry
        self._store = store
        self._cache_dir = cache_dir
        self._metrics = metrics
        self._clock = clock
        self._base_model_id = keccak(text=model.id)
        self._cache = AdapterCache(
            gpu_slots=engine.capacity.max_loras,
            cpu_slots=engine.capacity.max_cpu_loras,
            disk_bytes=max_disk_bytes,
        )
        self._lock = asyncio.Lock()
        self._fetches: dict[str, asyncio.Task[None]] = {}
        self._idle: dict[str, asyncio.Event] = {}
        self._settled: dict[str, asyncio.Event] = {}

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Index the disk cache a previous process left, re-checking every adapter's files;
        what fails a check, and any partial download, is deleted."""
        found = await asyncio.to_thread(self._scan_cache_dir)
        async with self._lock:
            for adapter, disk_bytes in found:
                if adapter.name in self._cache:
                    continue
                try:
                    await self._make_disk_room(disk_bytes)
                except ResourceExhausted:
                    logger.info("adapter cache over its size: dropping %s", adapter.name)
                    await asyncio.to_thread(_remove_adapter_dir, adapter.directory)
                    continue
                self._cache.add(adapter, disk_bytes=disk_bytes, now=self._clock())
        logger.info("adapter cache: %d adapters on disk in %s", len(self._cache), self._cache_dir)

    # ------------------------------------------------------------------ queries

    def states(self) -> list[AdapterState]:
        """GPU, then CPU, then DISK; most recently used first; then by name."""
        return [entry.state() for entry in self._cache.entries()]

    def state(self, ref: AdapterRef) -> AdapterState | None:
        entry = self._cache.get(str(ref))
        return None if entry is None else entry.state()

    # ------------------------------------------------------------------ serving

    def use(self, ref: AdapterRef) -> contextlib.AbstractAsyncContextManager[LocalAdapter]:
        """The adapter in the GPU tier, kept there (an active request) until the context
        exits. Raises ``NotFound`` (unknown or unregistered), ``FailedPrecondition`` (another
        base model or revision, rank too high, hash mismatch) or ``ResourceExhausted`` (every
        GPU slot holds a pinned or busy adapter)."""
        return self._use(ref)

    @contextlib.asynccontextmanager
    async def _use(self, ref: AdapterRef) -> AsyncIterator[LocalAdapter]:
        entry = await self._acquire(ref)
        try:
            yield entry.adapter
        finally:
            self._release(entry)

    async def _acquire(self, ref: AdapterRef) -> CacheEntry:
        name = str(ref)
        entry = self._cache.get(name)
        if entry is not None and entry.tier is Tier.GPU and not entry.leaving and not entry.moving:
            # Already servable: no await between the check and the count, so no move can
            # slip in between.
            self._count_hit(entry.tier)
            return self._activate(entry)
        if entry is None:
            if self._metrics is not None:
                self._metrics.cache_misses.inc()
        else:
            self._count_hit(entry.tier)
        misses = 0
        while True:
            await self._ensure_cached(ref, None)
            async with self._lock:
                entry = self._cache.get(name)
                settled = None
                if entry is not None and entry.leaving:
                    settled = self._settled[name]
                elif entry is not None:
                    await self._place(entry, Tier.GPU, pinned=entry.pinned)
                    return self._activate(entry)
            if settled is not None:
                await settled.wait()
                continue
            # Evicted from disk between its fetch and this request getting the lock.
            misses += 1
            if misses == _CACHE_ATTEMPTS:
                raise _cache_churn(name)

    def _activate(self, entry: CacheEntry) -> CacheEntry:
        entry.active_requests += 1
        self._cache.touch(entry.name, self._clock())
        return entry

    def _release(self, entry: CacheEntry) -> None:
        # Synchronous, so that a cancelled request still gives its adapter back.
        entry.active_requests -= 1
        if entry.name in self._cache:
            self._cache.touch(entry.name, self._clock())
        if entry.active_requests == 0 and (idle := self._idle.get(entry.name)) is not None:
            idle.set()

    def _count_hit(self, tier: Tier) -> None:
        if self._metrics is not None:
            self._metrics.cache_hits.labels(_label(tier)).inc()

    # ------------------------------------------------------------------ admin

    async def load(self, ref: AdapterRef, tier: Tier, *, pin: bool) -> AdapterState:
        """Bring the adapter into ``tier`` (fetching it if needed) and set its pin. Already in
        the tier: only the pin changes; in a faster tier: it is demoted once its running
        requests finished. ``ResourceExhausted`` when every slot of the tier is pinned or
        busy."""
        name = str(ref)
        for _ in range(_CACHE_ATTEMPTS):
            await self._ensure_cached(ref, None)
            entry = self._cache.get(name)
            if entry is not None and tier > entry.tier:
                async with self._leaving(name) as held:
                    if held is not None:
                        await self._settle(held, tier, pin)
                        return held.state()
                continue
            async with self._lock:
                entry = self._cache.get(name)
                if entry is None or entry.leaving or tier > entry.tier:
                    continue
                await self._settle(entry, tier, pin)
                return entry.state()
        raise _cache_churn(name)

    async def _settle(self, entry: CacheEntry, tier: Tier, pin: bool) -> None:
        """Move ``entry`` into ``tier`` with pin ``pin`` (under the lock; idle to demote)."""
        if tier < entry.tier:
            await self._place(entry, tier, pinned=pin)
        elif tier > entry.tier:
            entry.pinned = pin
            await self._demote(entry, tier, evicted=False)
        elif pin != entry.pinned and tier is not Tier.DISK:
            await self._engine.add_adapter(entry.adapter, tier, pin)
        entry.pinned = pin

    async def unload(self, ref: AdapterRef, *, remove_from_disk: bool) -> AdapterState | None:
        """Take the adapter out of the GPU and CPU tiers once its running requests finished,
        clear its pin, and with ``remove_from_disk`` delete its files. Returns what is left
        (None: nothing held)."""
        async with self._leaving(str(ref)) as entry:
            if entry is None:
                return None
            if entry.tier is not Tier.DISK:
                await self._demote(entry, Tier.DISK, evicted=False)
            entry.pinned = False
            if not remove_from_disk:
                return entry.state()
            self._cache.remove(entry.name)
            await asyncio.to_thread(_remove_adapter_dir, entry.adapter.directory)
            return None

    @contextlib.asynccontextmanager
    async def _leaving(self, name: str) -> AsyncIterator[CacheEntry | None]:
        """Hold adapter ``name`` for a move out of its tier: no new request takes it
        meanwhile, and the body runs under the lock once its running requests finished. The
        body gets None when the node does not hold the adapter."""
        entry = self._cache.get(name)
        while entry is not None and entry.leaving:
            await self._settled[name].wait()
            entry = self._cache.get(name)
        if entry is None:
            yield None
            return
        entry.leaving = True
        settled = self._settled[name] = asyncio.Event()
        idle = self._idle[name] = asyncio.Event()
        try:
            while True:
                async with self._lock:
                    if entry.active_requests == 0:
                        yield entry
                        return
                    idle.clear()
                await idle.wait()
        finally:
            entry.leaving = False
            del self._idle[name]
            del self._settled[name]
            settled.set()

    # ------------------------------------------------------------------ prefetch

    async def prefetch(self, descriptor: AdapterDescriptor) -> None:
        """Fetch a newly published adapter of the served model into the DISK tier. Adapters
        of other base models are ignored; a bad adapter is logged, never raised."""
        if descriptor.base_model != self._model.id:
            logger.debug("not prefetching %s: base model %s", descriptor.ref, descriptor.base_model)
            return
        try:
            await self._ensure_cached(descriptor.ref, descriptor)
        except (NotFound, FailedPrecondition, InvalidArgument, ResourceExhausted) as error:
            logger.warning("prefetch of adapter %s refused: %s", descriptor.ref, error.message)

    # ------------------------------------------------------------------ tiers

    async def _place(self, entry: CacheEntry, tier: Tier, *, pinned: bool) -> None:
        """Promote ``entry`` into the faster ``tier`` (under the lock), demoting the least
        recently used evictable adapters of that tier to make room."""
        if tier >= entry.tier:
            return
        # Marked so that making room in the faster tier never picks it from its own tier.
        entry.moving = True
        try:
            for victim in self._cache.victims(tier, keep=entry.name):
                await self._demote(victim, Tier(tier + 1), evicted=True)
            source = entry.tier
            started = time.perf_counter()
            await self._engine.add_adapter(entry.adapter, tier, pinned)
            self._cache.move(entry.name, tier, self._clock())
        finally:
            entry.moving = False
        if self._metrics is not None:
            self._metrics.load_seconds.labels(_label(source)).observe(time.perf_counter() - started)

    async def _demote(self, entry: CacheEntry, tier: Tier, *, evicted: bool) -> None:
        """Move ``entry`` (idle) down to ``tier`` (under the lock). An evicted GPU adapter
        goes to CPU when room can be made there, else straight to DISK; an adapter an admin
        moves to a full CPU tier raises ``ResourceExhausted``."""
        entry.moving = True
        try:
            target = tier
            if target is Tier.CPU:
                try:
                    victims = self._cache.victims(Tier.CPU, keep=entry.name)
                except ResourceExhausted:
                    if not evicted:
                        raise
                    target = Tier.DISK
                else:
                    for victim in victims:
                        await self._demote(victim, Tier.DISK, evicted=True)
            if target is Tier.DISK:
                await self._engine.remove_adapter(entry.name)
            else:
                await self._engine.add_adapter(entry.adapter, target, entry.pinned)
            source = entry.tier
            self._cache.move(entry.name, target, self._clock())
            if evicted and self._metrics is not None:
                self._metrics.cache_evictions.labels(_label(source)).inc()
        finally:
            entry.moving = False

    async def _make_disk_room(self, incoming_bytes: int) -> None:
        """Delete the least recently used DISK-tier adapters so that ``incoming_bytes`` fit
        (under the lock)."""
        for victim in self._cache.disk_victims(incoming_bytes):
            self._cache.remove(victim.name)
            await asyncio.to_thread(_remove_adapter_dir, victim.adapter.directory)
            if self._metrics is not None:
                self._metrics.cache_evictions.labels(_label(Tier.DISK)).inc()

    # ------------------------------------------------------------------ fetching

    async def _ensure_cached(self, ref: AdapterRef, descriptor: AdapterDescriptor | None) -> None:
        """The adapter in the disk cache: fetched once however many callers ask at once."""
        name = str(ref)
        if name in self._cache:
            return
        task = self._fetches.get(name)
        if task is None:
            task = asyncio.create_task(self._fetch(ref, descriptor), name=f"fetch {name}")
            self._fetches[name] = task
            task.add_done_callback(lambda done: self._fetch_done(name, done))
        # A caller that gives up must not cancel the fetch the others wait for.
        await asyncio.shield(task)

    def _fetch_done(self, name: str, task: asyncio.Task[None]) -> None:
        if self._fetches.get(name) is task:
            del self._fetches[name]
        if not task.cancelled():
            task.exception()  # retrieved here too: every waiter may have gone

    async def _fetch(self, ref: AdapterRef, descriptor: AdapterDescriptor | None) -> None:
        started = time.perf_counter()
        descriptor, registered = await self._resolve(ref, descriptor)
        fetched = await asyncio.to_thread(self._download, descriptor, registered)
        try:
            async with self._lock:
                await self._make_disk_room(fetched.disk_bytes)
                adapter = await asyncio.to_thread(self._commit, fetched)
                self._cache.add(adapter, disk_bytes=fetched.disk_bytes, now=self._clock())
        finally:
            await asyncio.to_thread(shutil.rmtree, fetched.directory, True)
        if self._metrics is not None:
            self._metrics.load_seconds.labels("remote").observe(time.perf_counter() - started)
        logger.info("adapter %s fetched and verified (rank %d)", ref, adapter.rank)

    async def _resolve(
        self, ref: AdapterRef, descriptor: AdapterDescriptor | None
    ) -> tuple[AdapterDescriptor, RegisteredAdapter]:
        """The adapter's descriptor and registration, checked against the served model."""
        if descriptor is None:
            descriptor = await self._directory.describe(ref)
            if descriptor is None:
                raise NotFound(
                    f"adapter {ref} is unknown to ModelFactory",
                    reason="ADAPTER_NOT_FOUND",
                    domain=DOMAIN,
                    metadata={"adapter": str(ref)},
                )
        registered = await self._registry.registered(ref)
        if registered is None:
            raise NotFound(
                f"adapter {ref} is not registered on ModelRegistry",
                reason="ADAPTER_NOT_REGISTERED",
                domain=DOMAIN,
                metadata={"adapter": str(ref)},
            )
        model = self._model
        if descriptor.base_model != model.id or registered.base_model_id != self._base_model_id:
            raise FailedPrecondition(
                f"adapter {ref} was trained on base model {descriptor.base_model!r}; this node "
                f"serves {model.id!r}",
                reason="ADAPTER_BASE_MODEL_MISMATCH",
                domain=DOMAIN,
                metadata={"adapter": str(ref), "base_model": descriptor.base_model},
            )
        if descriptor.base_model_revision != model.revision:
            raise FailedPrecondition(
                f"adapter {ref} was trained on revision {descriptor.base_model_revision!r} of "
                f"{model.id!r}; this node serves revision {model.revision!r}",
                reason="ADAPTER_REVISION_MISMATCH",
                domain=DOMAIN,
                metadata={"adapter": str(ref)},
            )
        if descriptor.adapter_sha256 != registered.adapter_sha256:
            raise _hash_mismatch(ref, registered.adapter_sha256, descriptor.adapter_sha256)
        return descriptor, registered

    def _download(self, descriptor: AdapterDescriptor, registered: RegisteredAdapter) -> _Fetched:
        """Copy both files from the object store into a partial directory and check them
        there: the weights against the registry's hash, the config against the descriptor,
        the rank against the engine. The store's own addressing is not trusted."""
        ref = descriptor.ref
        partial = self._cache_dir / PARTIAL_DIR / uuid.uuid4().hex
        partial.mkdir(parents=True)
        try:
            weights_sha = self._copy_object(ref, descriptor.adapter_sha256, partial / MODEL_FILE)
            if weights_sha != registered.adapter_sha256:
                raise _hash_mismatch(ref, registered.adapter_sha256, weights_sha)
            config_sha = self._copy_object(
                ref, descriptor.adapter_config_sha256, partial / CONFIG_FILE
            )
            if config_sha != descriptor.adapter_config_sha256:
                raise FailedPrecondition(
                    f"adapter {ref}: hash mismatch of {CONFIG_FILE} (fetched "
                    f"{config_sha.hex()}, described {descriptor.adapter_config_sha256.hex()})",
                    reason="ADAPTER_HASH_MISMATCH",
                    domain=DOMAIN,
                    metadata={"adapter": str(ref)},
                )
            rank = self._check_files(ref, partial)
            _write_descriptor(partial / DESCRIPTOR_FILE, descriptor)
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
        return _Fetched(descriptor, partial, rank, _directory_bytes(partial))

    def _copy_object(self, ref: AdapterRef, sha256: bytes, target: Path) -> bytes:
        hasher = hashlib.sha256()
        try:
            with (
                self._store.open(Digest(sha256.hex()), verify=False) as source,
                target.open("wb") as sink,
            ):
                while chunk := source.read(_CHUNK):
                    hasher.update(chunk)
                    sink.write(chunk)
        except ObjectNotFound:
            raise NotFound(
                f"adapter {ref}: object sha256:{sha256.hex()} is not in the object store",
                reason="ADAPTER_FILES_NOT_FOUND",
                domain=DOMAIN,
                metadata={"adapter": str(ref)},
            ) from None
        return hasher.digest()

    def _check_files(self, ref: AdapterRef, directory: Path) -> int:
        """The adapter's rank, after checking the config is a LoRA config within the
        engine's rank limit and the weights are a well-formed safetensors file."""
        rank = _read_rank(ref, directory / CONFIG_FILE)
        limit = self._engine.capacity.max_lora_rank
        if rank > limit:
            raise FailedPrecondition(
                f"adapter {ref} has LoRA rank {rank}; this node serves ranks up to {limit}",
                reason="ADAPTER_RANK_TOO_HIGH",
                domain=DOMAIN,
                metadata={"adapter": str(ref), "rank": str(rank), "max_lora_rank": str(limit)},
            )
        try:
            with safe_open(str(directory / MODEL_FILE), framework="numpy") as weights:
                if not any("lora_" in key for key in weights.keys()):
                    raise _bad_files(ref, f"{MODEL_FILE} holds no LoRA weights")
        except SafetensorError as error:
            raise _bad_files(ref, f"{MODEL_FILE} is not a safetensors file: {error}") from None
        return rank

    def _commit(self, fetched: _Fetched) -> LocalAdapter:
        """Move a checked download into its place in the cache (under the lock)."""
        descriptor = fetched.descriptor
        final = self._adapter_dir(descriptor)
        if final.exists():
            shutil.rmtree(final)  # a stale copy the index did not hold
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(fetched.directory, final)
        return LocalAdapter(
            descriptor=descriptor,
            directory=final,
            rank=fetched.rank,
            size_bytes=(final / MODEL_FILE).stat().st_size,
        )

    def _adapter_dir(self, descriptor: AdapterDescriptor) -> Path:
        return self._cache_dir / descriptor.adapter_sha256.hex() / str(descriptor.ref)

    # ------------------------------------------------------------------ restart

    def _scan_cache_dir(self) -> list[tuple[LocalAdapter, int]]:
        """The valid adapters in the cache directory, oldest first; the rest is deleted."""
        shutil.rmtree(self._cache_dir / PARTIAL_DIR, ignore_errors=True)
        if not self._cache_dir.is_dir():
            return []
        found: list[tuple[float, LocalAdapter, int]] = []
        for weights_dir in sorted(self._cache_dir.iterdir()):
            if not weights_dir.is_dir():
                continue
            for directory in sorted(weights_dir.iterdir()):
                try:
                    adapter = self._reindex(weights_dir.name, directory)
                except (OSError, ValueError, KeyError, TypeError, FailedPrecondition) as error:
                    logger.warning("dropping cached adapter %s: %s", directory, error)
                    _remove_adapter_dir(directory)
                    continue
                stamp = (directory / DESCRIPTOR_FILE).stat().st_mtime
                found.append((stamp, adapter, _directory_bytes(directory)))
            if weights_dir.is_dir() and not any(weights_dir.iterdir()):
                weights_dir.rmdir()
        found.sort(key=lambda item: item[0])
        return [(adapter, size) for _, adapter, size in found]

    def _reindex(self, weights_hex: str, directory: Path) -> LocalAdapter:
        descriptor = _read_descriptor(directory / DESCRIPTOR_FILE)
        ref = descriptor.ref
        if directory.name != str(ref) or weights_hex != descriptor.adapter_sha256.hex():
            raise ValueError("its place does not match its descriptor")
        if (
            descriptor.base_model != self._model.id
            or descriptor.base_model_revision != self._model.revision
        ):
            raise ValueError("it belongs to another base model or revision")
        if _file_sha256(directory / MODEL_FILE) != descriptor.adapter_sha256:
            raise ValueError(f"{MODEL_FILE} no longer matches its hash")
        if _file_sha256(directory / CONFIG_FILE) != descriptor.adapter_config_sha256:
            raise ValueError(f"{CONFIG_FILE} no longer matches its hash")
        rank = self._check_files(ref, directory)
        return LocalAdapter(
            descriptor=descriptor,
            directory=directory,
            rank=rank,
            size_bytes=(directory / MODEL_FILE).stat().st_size,
        )


@dataclass(frozen=True)
class _Fetched:
    """A checked download waiting in its partial directory."""

    descriptor: AdapterDescriptor
    directory: Path
    rank: int
    disk_bytes: int


def _hash_mismatch(ref: AdapterRef, registered: bytes, actual: bytes) -> FailedPrecondition:
    return FailedPrecondition(
        f"adapter {ref}: hash mismatch: ModelRegistry has sha256 {registered.hex()}, the "
        f"adapter's weights hash to {actual.hex()}",
        reason="ADAPTER_HASH_MISMATCH",
        domain=DOMAIN,
        metadata={"adapter": str(ref), "registered_sha256": registered.hex()},
    )


def _cache_churn(name: str) -> ResourceExhausted:
    return ResourceExhausted(
        f"adapter {name} keeps being evicted from the disk cache before it can be loaded",
        reason="ADAPTER_CACHE_FULL",
        domain=DOMAIN,
    )


def _bad_files(ref: AdapterRef, detail: str) -> FailedPrecondition:
    return FailedPrecondition(
        f"adapter {ref}: {detail}",
        reason="ADAPTER_FILES_INVALID",
        domain=DOMAIN,
        metadata={"adapter": str(ref)},
    )


def _read_rank(ref: AdapterRef, path: Path) -> int:
    if path.stat().st_size > _MAX_CONFIG_BYTES:
        raise _bad_files(ref, f"{CONFIG_FILE} is larger than {_MAX_CONFIG_BYTES} bytes")
    try:
        config: Any = json.loads(path.read_bytes())
    except ValueError as error:
        raise _bad_files(ref, f"{CONFIG_FILE} is not JSON: {error}") from None
    if not isinstance(config, dict):
        raise _bad_files(ref, f"{CONFIG_FILE} is not a JSON object")
    if config.get("peft_type", "LORA") != "LORA":
        raise _bad_files(ref, f"{CONFIG_FILE} is a {config['peft_type']} config, not LORA")
    rank = config.get("r")
    if not isinstance(rank, int) or isinstance(rank, bool) or rank <= 0:
        raise _bad_files(ref, f"{CONFIG_FILE} has no positive integer rank `r`")
    return rank


def _file_sha256(path: Path) -> bytes:
    hasher = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(_CHUNK):
            hasher.update(chunk)
    return hasher.digest()


def _directory_bytes(directory: Path) -> int:
    return sum(path.stat().st_size for path in directory.iterdir() if path.is_file())


def _remove_adapter_dir(directory: Path) -> None:
    """Delete one adapter's directory and its weights directory once empty."""
    shutil.rmtree(directory, ignore_errors=True)
    with contextlib.suppress(OSError):
        directory.parent.rmdir()


def _write_descriptor(path: Path, descriptor: AdapterDescriptor) -> None:
    data = {
        "adapter": str(descriptor.ref),
        "base_model": descriptor.base_model,
        "base_model_revision": descriptor.base_model_revision,
        "adapter_sha256": descriptor.adapter_sha256.hex(),
        "adapter_config_sha256": descriptor.adapter_config_sha256.hex(),
        "prompt_template": descriptor.prompt_template,
        "task_template": descriptor.task_template,
        "fee_per_1k_tokens": str(descriptor.fee_per_1k_tokens),
        "owner_address": descriptor.owner_address,
    }
    path.write_text(json.dumps(data, sort_keys=True, indent=2))


def _read_descriptor(path: Path) -> AdapterDescriptor:
    data: Any = json.loads(path.read_text())
    if not isinstance(data, dict):
        raise ValueError(f"{DESCRIPTOR_FILE} is not a JSON object")
    try:
        ref = AdapterRef.parse(str(data["adapter"]))
    except InvalidArgument as error:
        raise ValueError(error.message) from None
    return AdapterDescriptor(
        ref=ref,
        base_model=str(data["base_model"]),
        base_model_revision=str(data["base_model_revision"]),
        adapter_sha256=bytes.fromhex(data["adapter_sha256"]),
        adapter_config_sha256=bytes.fromhex(data["adapter_config_sha256"]),
        prompt_template=str(data["prompt_template"]),
        task_template=str(data["task_template"]),
        fee_per_1k_tokens=int(data["fee_per_1k_tokens"]),
        owner_address=str(data["owner_address"]),
    )

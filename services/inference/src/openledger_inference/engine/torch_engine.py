"""The torch engine: transformers on the CPU or one CUDA device, with continuous batching of
requests for different adapters (applied per row by ``multi_lora``).

One background task schedules; the torch work of each step runs in a worker thread
(``asyncio.to_thread``) so the event loop keeps serving gRPC meanwhile. A step decodes one token
for every running sequence in one forward pass (rows route to their own adapters) and prefills
the requests that joined since the last step in a second one; the joiners' caches are then
merged into the running batch (``kv``), so requests join and leave at every step.

Attention is eager: its mask is additive and finite, so a padded key gets exactly zero weight
and a row that is all padding (a prefill row shorter than its mates) yields finite values rather
than NaN; sdpa's fused kernels differ on both counts and change results with the batch shape.

Adapters a running or queued request uses are never torn out from under it: removing one (or
moving it to the CPU tier) takes it out of the GPU tier's names at once, so no new request can
use it, and frees its slot when its last request finishes. Until then it counts towards
``max_loras``, since it still occupies memory."""

from __future__ import annotations

import asyncio
import collections
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import torch
from transformers import DynamicCache, PreTrainedModel

from openledger_inference.domain.model import (
    EngineCapacity,
    EngineKind,
    EngineLoad,
    EngineOutput,
    EngineRequest,
    FinishReason,
    LocalAdapter,
    Tier,
)
from openledger_inference.domain.ports import ServedModel
from openledger_inference.engine.checks import check_prompt, check_rank
from openledger_inference.engine.kv import KvBatch, concat, from_cache
from openledger_inference.engine.multi_lora import HostAdapter, MultiLora, read_adapter
from openledger_inference.engine.sampling import RowSampler, choose_tokens
from openledger_kit.errors import (
    FailedPrecondition,
    InvalidArgument,
    ResourceExhausted,
    Unavailable,
)
from openledger_ml.models.loading import load_causal_lm


@dataclass(eq=False)
class _GpuAdapter:
    host: HostAdapter
    slot: int
    users: int = 0
    """Queued and running requests on this adapter."""
    retired: bool = False


class _Generation:
    """The handle of one request: its outputs in order, then nothing."""

    def __init__(self, cancel: Callable[[], None]) -> None:
        self._cancel = cancel
        self._outputs: asyncio.Queue[EngineOutput] = asyncio.Queue()
        self._start_time: datetime | None = None

    def __aiter__(self) -> AsyncIterator[EngineOutput]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[EngineOutput]:
        while True:
            output = await self._outputs.get()
            yield output
            if output.finish_reason is not None:
                return

    def cancel(self) -> None:
        self._cancel()

    @property
    def start_time(self) -> datetime | None:
        return self._start_time


@dataclass(eq=False)
class _Sequence:
    request: EngineRequest
    handle: _Generation
    adapter: _GpuAdapter | None
    sampler: RowSampler
    generated: int = 0
    next_token: int = -1
    """The last sampled token: the next decoding step's input."""
    finished: bool = False


class TorchEngine:
    kind = EngineKind.TORCH

    def __init__(
        self,
        model: ServedModel,
        *,
        device: str = "cpu",
        max_concurrent_requests: int = 8,
        max_queued_requests: int = 64,
        max_loras: int = 8,
        max_cpu_loras: int = 16,
        max_lora_rank: int = 64,
        max_context_tokens: int | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        context = max_context_tokens or model.context_length
        if context > model.context_length:
            raise InvalidArgument(
                "max_context_tokens",
                f"{context} is beyond {model.id}'s context length {model.context_length}",
            )
        self.version = f"torch {torch.__version__}"
        self.model = model
        name, count, memory = _describe_device(device)
        self.capacity = EngineCapacity(
            max_concurrent_requests=max_concurrent_requests,
            max_loras=max_loras,
            max_cpu_loras=max_cpu_loras,
            max_lora_rank=max_lora_rank,
            max_context_tokens=context,
            device=name,
            accelerator_count=count,
            accelerator_memory_bytes=memory,
        )
        self._device = device
        self._dtype = dtype
        self._max_queued = max_queued_requests
        self._lm: PreTrainedModel | None = None
        self._slots: MultiLora | None = None
        self._stop_ids: frozenset[int] = frozenset()
        self._gpu: dict[str, _GpuAdapter] = {}
        self._retired: list[_GpuAdapter] = []
        self._cpu: dict[str, HostAdapter] = {}
        self._queue: collections.deque[_Sequence] = collections.deque()
        self._running: list[_Sequence] = []
        """The batch's sequences, in the order of ``_batch``'s rows."""
        self._batch: KvBatch | None = None
        self._wake = asyncio.Event()
        self._model_lock = asyncio.Lock()
        """Held while a forward pass runs or the adapters in the model change."""
        self._adapter_lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._accepting = False

    async def start(self) -> None:
        if self._task is not None:
            return
        lm = await asyncio.to_thread(
            load_causal_lm, self.model.path, device=self._device, dtype=self._dtype
        )
        self._lm, self._slots = lm, MultiLora(lm, self.capacity.max_loras)
        self._stop_ids = _eos_ids(lm)
        self._accepting = True
        self._task = asyncio.create_task(self._run(), name="torch-engine")

    async def stop(self) -> None:
        self._accepting = False
        for sequence in [*self._queue, *self._running]:
            self._finish(sequence, FinishReason.CANCELLED)
        self._queue.clear()
        if self._task is not None:
            self._wake.set()
            await self._task
            self._task = None
        self._running, self._batch = [], None
        self._gpu.clear()
        self._retired.clear()
        self._cpu.clear()
        self._lm = self._slots = None
        if self._device.startswith("cuda"):
            torch.cuda.empty_cache()

    def load(self) -> EngineLoad:
        running = sum(not sequence.finished for sequence in self._running)
        batch = self._batch
        cached = batch.rows * batch.length if batch is not None else 0
        room = self.capacity.max_concurrent_requests * self.capacity.max_context_tokens
        return EngineLoad(
            queue_depth=len(self._queue),
            running_requests=running,
            kv_cache_usage=min(1.0, cached / room),
        )

    def submit(self, request: EngineRequest) -> _Generation:
        if not self._accepting:
            raise Unavailable("the torch engine is not running")
        check_prompt(
            request.prompt_token_ids, self.model.vocab_size, self.capacity.max_context_tokens
        )
        free_slots = max(0, self.capacity.max_concurrent_requests - len(self._running))
        if len(self._queue) >= self._max_queued + free_slots:
            raise ResourceExhausted(
                f"{len(self._queue)} requests are already waiting for a batch slot",
                reason="ENGINE_QUEUE_FULL",
            )
        adapter = None
        if request.adapter is not None:
            adapter = self._gpu.get(request.adapter.name)
            if adapter is None:
                raise FailedPrecondition(
                    f"adapter {request.adapter.name} is not loaded in the GPU tier",
                    reason="ADAPTER_NOT_LOADED",
                )
            adapter.users += 1
        sampler = RowSampler(request.sampling, request.prompt_token_ids, self._device)
        handle = _Generation(lambda: self._cancel(sequence))
        sequence = _Sequence(request=request, handle=handle, adapter=adapter, sampler=sampler)
        self._queue.append(sequence)
        self._wake.set()
        return handle

    async def add_adapter(self, adapter: LocalAdapter, tier: Tier, pinned: bool) -> None:
        # Pinning is the adapter manager's business: this engine never evicts on its own.
        check_rank(adapter, self.capacity.max_lora_rank)
        async with self._adapter_lock:
            if tier is Tier.GPU:
                await self._add_to_gpu(adapter)
            elif tier is Tier.CPU:
                await self._add_to_cpu(adapter)
            else:
                raise InvalidArgument("tier", f"an engine holds adapters in GPU or CPU, not {tier}")

    async def remove_adapter(self, name: str) -> None:
        async with self._adapter_lock:
            self._cpu.pop(name, None)
            await self._retire(name)

    async def _add_to_gpu(self, adapter: LocalAdapter) -> None:
        if self._slots is None:
            raise Unavailable("the torch engine is not running")
        if adapter.name in self._gpu:
            return
        if len(self._gpu) + len(self._retired) >= self.capacity.max_loras:
            raise ResourceExhausted(
                f"the GPU tier holds {self.capacity.max_loras} adapters (max_loras)",
                reason="GPU_TIER_FULL",
            )
        host = self._cpu.get(adapter.name)
        if host is None:
            host = await asyncio.to_thread(read_adapter, adapter, self.capacity.max_lora_rank)
        slots = self._slots
        async with self._model_lock:
            slot = await asyncio.to_thread(slots.inject, host)
        self._gpu[adapter.name] = _GpuAdapter(host=host, slot=slot)
        self._cpu.pop(adapter.name, None)

    async def _add_to_cpu(self, adapter: LocalAdapter) -> None:
        if adapter.name in self._cpu:
            return
        if len(self._cpu) >= self.capacity.max_cpu_loras:
            raise ResourceExhausted(
                f"the CPU tier holds {self.capacity.max_cpu_loras} adapters (max_cpu_loras)",
                reason="CPU_TIER_FULL",
            )
        on_gpu = self._gpu.get(adapter.name)
        if on_gpu is not None:
            self._cpu[adapter.name] = on_gpu.host
            await self._retire(adapter.name)
            return
        host = await asyncio.to_thread(read_adapter, adapter, self.capacity.max_lora_rank)
        self._cpu[adapter.name] = host

    async def _retire(self, name: str) -> None:
        """Take ``name`` out of the GPU tier; its slot goes when its last request ends."""
        adapter = self._gpu.pop(name, None)
        if adapter is not None:
            adapter.retired = True
            self._retired.append(adapter)
            await self._release_retired()

    async def _release_retired(self) -> None:
        idle = [adapter for adapter in self._retired if adapter.users == 0]
        if not idle or self._slots is None:
            return
        self._retired = [adapter for adapter in self._retired if adapter.users > 0]
        slots = self._slots
        async with self._model_lock:
            for adapter in idle:
                await asyncio.to_thread(slots.delete, adapter.slot)

    def _cancel(self, sequence: _Sequence) -> None:
        if sequence.finished:
            return
        if sequence in self._queue:
            self._queue.remove(sequence)
        self._finish(sequence, FinishReason.CANCELLED)
        self._wake.set()

    def _finish(
        self,
        sequence: _Sequence,
        reason: FinishReason,
        token_ids: tuple[int, ...] = (),
        error: str = "",
    ) -> None:
        if sequence.finished:
            return
        sequence.finished = True
        if sequence.adapter is not None:
            sequence.adapter.users -= 1
            if sequence.adapter.retired and sequence.adapter.users == 0:
                self._wake.set()
        sequence.handle._outputs.put_nowait(EngineOutput(token_ids, reason, error))

    async def _run(self) -> None:
        while True:
            # Cleared before anything is looked at, so a wake-up during the awaits below is kept.
            self._wake.clear()
            keep = [i for i, sequence in enumerate(self._running) if not sequence.finished]
            running = [self._running[i] for i in keep]
            if not running:
                self._running, self._batch = [], None
            await self._release_retired()
            if not self._accepting:
                return
            if not running and not self._queue:
                await self._wake.wait()
                continue
            joining: list[_Sequence] = []
            while self._queue and len(running) + len(joining) < (
                self.capacity.max_concurrent_requests
            ):
                sequence = self._queue.popleft()
                sequence.handle._start_time = datetime.now(UTC)
                joining.append(sequence)
            self._running = running + joining
            try:
                async with self._model_lock:
                    tokens = await asyncio.to_thread(self._step, keep, running, joining)
            except Exception as error:  # noqa: BLE001 - the failure ends its requests, not the loop
                for sequence in self._running:
                    self._finish(
                        sequence, FinishReason.ERROR, error=f"{type(error).__name__}: {error}"
                    )
                self._running, self._batch = [], None
                continue
            for sequence, token in zip(self._running, tokens, strict=True):
                self._advance(sequence, token)

    def _advance(self, sequence: _Sequence, token: int) -> None:
        if sequence.finished:  # cancelled while its step ran
            return
        if token in self._stop_ids or token in sequence.request.sampling.stop_token_ids:
            self._finish(sequence, FinishReason.STOP)
            return
        sequence.generated += 1
        sequence.next_token = token
        sequence.sampler.record(token)
        total = len(sequence.request.prompt_token_ids) + sequence.generated
        if (
            sequence.generated >= sequence.request.sampling.max_tokens
            or total >= self.capacity.max_context_tokens
        ):
            self._finish(sequence, FinishReason.LENGTH, (token,))
        else:
            sequence.handle._outputs.put_nowait(EngineOutput((token,)))

    def _step(
        self, keep: list[int], running: list[_Sequence], joining: list[_Sequence]
    ) -> list[int]:
        """One decoding step for ``running`` (rows ``keep`` of the batch) and the prefill of
        ``joining``; the next token of each, in that order. Runs in a worker thread."""
        with torch.inference_mode():
            tokens: list[int] = []
            batch = self._batch
            if running and batch is not None:
                if len(keep) != batch.rows:
                    batch = batch.select(keep)
                assert batch is not None
                logits, batch = self._decode(batch, running)
                tokens += choose_tokens(logits, [s.sampler for s in running])
            else:
                batch = None
            if joining:
                logits, joined = self._prefill(joining)
                tokens += choose_tokens(logits, [s.sampler for s in joining])
                batch = concat(batch, joined)
            self._batch = batch
            return tokens

    def _decode(self, batch: KvBatch, rows: list[_Sequence]) -> tuple[torch.Tensor, KvBatch]:
        device = batch.mask.device
        input_ids = torch.tensor([[s.next_token] for s in rows], device=device)
        mask = torch.cat([batch.mask, batch.mask.new_ones((batch.rows, 1))], dim=1)
        logits, cache = self._forward(
            rows, input_ids, mask, batch.positions.unsqueeze(1), batch.cache()
        )
        return logits, from_cache(cache, mask, batch.positions + 1)

    def _prefill(self, rows: list[_Sequence]) -> tuple[torch.Tensor, KvBatch]:
        length = max(len(s.request.prompt_token_ids) for s in rows)
        input_ids = torch.zeros((len(rows), length), dtype=torch.long)
        mask = torch.zeros((len(rows), length), dtype=torch.long)
        for i, sequence in enumerate(rows):
            prompt = sequence.request.prompt_token_ids
            input_ids[i, length - len(prompt) :] = torch.tensor(prompt)
            mask[i, length - len(prompt) :] = 1
        input_ids, mask = input_ids.to(self._device), mask.to(self._device)
        positions = (mask.cumsum(dim=1) - 1).clamp(min=0)
        logits, cache = self._forward(rows, input_ids, mask, positions, DynamicCache())
        return logits, from_cache(cache, mask, mask.sum(dim=1))

    def _forward(
        self,
        rows: list[_Sequence],
        input_ids: torch.Tensor,
        mask: torch.Tensor,
        positions: torch.Tensor,
        cache: DynamicCache,
    ) -> tuple[torch.Tensor, DynamicCache]:
        assert self._lm is not None and self._slots is not None
        slots = [s.adapter.slot if s.adapter is not None else None for s in rows]
        with self._slots.routing(slots):
            output = self._lm(
                input_ids=input_ids,
                attention_mask=mask,
                position_ids=positions,
                cache=cache,
                use_cache=True,
                logits_to_keep=1,
            )
        return output.logits[:, -1, :], output.cache


def _eos_ids(lm: PreTrainedModel) -> frozenset[int]:
    ids: set[int] = set()
    for source in (lm.config, lm.generation_config):
        value = getattr(source, "eos_token_id", None) if source is not None else None
        if isinstance(value, int):
            ids.add(value)
        elif isinstance(value, list | tuple):
            ids.update(int(v) for v in value)
    return frozenset(ids)


def _describe_device(device: str) -> tuple[str, int, int]:
    """The device's name, accelerator count and accelerator memory."""
    if device == "cpu":
        return "cpu", 0, 0
    if not device.startswith("cuda"):
        raise InvalidArgument("device", f"{device!r} is neither cpu nor cuda[:n]")
    if not torch.cuda.is_available():
        raise Unavailable(f"device {device}: CUDA is not available on this machine")
    properties = torch.cuda.get_device_properties(torch.device(device))
    return properties.name, 1, int(properties.total_memory)

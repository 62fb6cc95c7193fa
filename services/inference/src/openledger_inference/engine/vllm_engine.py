"""The vLLM engine: one ``AsyncLLM`` serving the base model with LoRA enabled, a ``LoRARequest``
per request naming the adapter ``id@version``, token ids in and out (no detokenisation).

vLLM is an optional extra (it pins its own torch and transformers and needs a GPU), so ``vllm``
is imported only when an engine is built; the pure translation functions above the engine class
import nothing from it.

Admission is ours, not vLLM's: at most ``max_concurrent_requests`` requests are inside vLLM
(which runs them all, ``max_num_seqs`` being the same number) and at most
``max_queued_requests`` wait in front of it. That bound is what makes backpressure
(``RESOURCE_EXHAUSTED``) and a request's ``start_time`` exact, and it is what ``load()``
reports; the KV-cache usage comes from vLLM's scheduler statistics."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from openledger_inference.domain.model import (
    EngineCapacity,
    EngineKind,
    EngineLoad,
    EngineOutput,
    EngineRequest,
    FinishReason,
    LocalAdapter,
    Sampling,
    Tier,
)
from openledger_inference.domain.ports import ServedModel
from openledger_inference.engine.checks import check_prompt, check_rank
from openledger_kit.errors import (
    FailedPrecondition,
    InvalidArgument,
    ResourceExhausted,
    Unavailable,
)

logger = logging.getLogger(__name__)

VLLM_LORA_RANKS = (1, 8, 16, 32, 64, 128, 256, 320, 512)
"""The ``max_lora_rank`` values vLLM accepts; its LoRA buffers are sized to the one chosen."""

_LORA_ID_SPACE = 2**31 - 1
"""vLLM needs a positive int per adapter; 31 bits stay a plain int on every path it takes."""


# ------------------------------------------------------------------ translation (no vLLM here)


def lora_rank_slot(max_lora_rank: int) -> int:
    """The smallest rank vLLM accepts that holds adapters of rank up to ``max_lora_rank``."""
    for rank in VLLM_LORA_RANKS:
        if rank >= max_lora_rank:
            return rank
    raise FailedPrecondition(
        f"OL_INFERENCE_MAX_LORA_RANK {max_lora_rank} is above vLLM's largest LoRA rank "
        f"{VLLM_LORA_RANKS[-1]}"
    )


def lora_int_id(name: str, taken: Mapping[int, str]) -> int:
    """vLLM's integer id of adapter ``name``: derived from the name alone, so it is the same on
    every node and after every restart, and moved past ids ``taken`` by other names (vLLM
    requires one id per adapter and does not check it)."""
    digest = hashlib.sha256(name.encode()).digest()
    candidate = int.from_bytes(digest[:8], "big") % _LORA_ID_SPACE + 1
    while taken.get(candidate, name) != name:
        candidate = candidate % _LORA_ID_SPACE + 1
    return candidate


def engine_args(
    model: ServedModel,
    *,
    max_concurrent_requests: int,
    max_loras: int,
    max_cpu_loras: int,
    max_lora_rank: int,
    max_context_tokens: int,
    gpu_memory_utilization: float,
    enforce_eager: bool,
) -> dict[str, Any]:
    """Keyword arguments of ``AsyncEngineArgs``. vLLM's CPU cache holds every adapter it knows,
    active ones included, so it is sized to both of our tiers. The model's generation config
    stays on (vLLM's default): it is where extra end-of-sequence ids are declared, and vLLM
    takes only those from it when it is given explicit ``SamplingParams``."""
    return {
        "model": str(model.path),
        "tokenizer": str(model.path),
        "max_model_len": max_context_tokens,
        "max_num_seqs": max_concurrent_requests,
        "gpu_memory_utilization": gpu_memory_utilization,
        "enable_lora": True,
        "max_loras": max_loras,
        "max_cpu_loras": max_loras + max_cpu_loras,
        "max_lora_rank": lora_rank_slot(max_lora_rank),
        "enforce_eager": enforce_eager,
        # The node owns request logging; scheduler statistics still reach our stat logger.
        "disable_log_stats": True,
        "enable_log_requests": False,
    }


def sampling_kwargs(sampling: Sampling, room: int) -> dict[str, Any]:
    """Keyword arguments of ``SamplingParams`` (``output_kind`` aside, which needs vLLM): token
    ids only, no detokenisation, no stop strings (the node matches those on text). ``room`` is
    what the context window leaves after the prompt; vLLM would end there too (LENGTH), but
    asking for no more than fits keeps it from ever refusing the request."""
    return {
        "n": 1,
        "max_tokens": min(sampling.max_tokens, room),
        "temperature": sampling.temperature,
        "top_p": sampling.top_p,
        # 0 disables top-k in vLLM as in Sampling.
        "top_k": sampling.top_k,
        "seed": sampling.seed,
        "stop_token_ids": list(sampling.stop_token_ids),
        "repetition_penalty": sampling.repetition_penalty,
        "detokenize": False,
        "skip_special_tokens": False,
    }


_FINISH_REASONS = {
    "stop": FinishReason.STOP,
    "length": FinishReason.LENGTH,
    "abort": FinishReason.CANCELLED,
    "error": FinishReason.ERROR,
    # Repetition detection is never switched on; were it, ending early is a stop.
    "repetition": FinishReason.STOP,
}


def finish_reason(reason: str) -> FinishReason:
    """Our finish reason for vLLM's (``stop``, ``length``, ``abort``, ``error``, ...)."""
    try:
        return _FINISH_REASONS[reason]
    except KeyError:
        return FinishReason.ERROR


def engine_outputs(
    token_ids: tuple[int, ...], reason: str | None, stop_reason: int | str | None
) -> list[EngineOutput]:
    """One vLLM delta as ``EngineOutput``s of one token each, the finish reason on the last.
    vLLM merges the deltas a slow reader has not collected yet; the engine contract streams
    token by token. vLLM keeps the token that stopped a sequence (end-of-sequence,
    ``stop_reason`` None, or a stop token id, ``stop_reason`` that id) in its output; the
    contract leaves it out."""
    if reason is None:
        return [EngineOutput((token,)) for token in token_ids]
    finish = finish_reason(reason)
    if finish is FinishReason.STOP and not isinstance(stop_reason, str) and token_ids:
        token_ids = token_ids[:-1]
    error = f"vLLM finished the request with {reason!r}" if finish is FinishReason.ERROR else ""
    last = EngineOutput(token_ids[-1:], finish, error)
    return [*(EngineOutput((token,)) for token in token_ids[:-1]), last]


# ------------------------------------------------------------------------------------ engine


@dataclass
class _Adapter:
    adapter: LocalAdapter
    lora_id: int
    tier: Tier
    pinned: bool


class _KvUsage:
    """The latest KV-cache usage vLLM's scheduler reported (0–1)."""

    value: float = 0.0


def _stat_logger_factory(sink: _KvUsage) -> Callable[[Any, int], Any]:
    """A per-engine vLLM stat logger that keeps the scheduler's KV-cache usage in ``sink``."""
    from vllm.v1.metrics.loggers import StatLoggerBase

    class KvUsageLogger(StatLoggerBase):  # type: ignore[misc]
        def __init__(self, vllm_config: Any, engine_index: int = 0) -> None:
            pass

        def record(
            self,
            scheduler_stats: Any,
            iteration_stats: Any,
            mm_cache_stats: Any = None,
            engine_idx: int = 0,
        ) -> None:
            if scheduler_stats is not None:
                sink.value = float(scheduler_stats.kv_cache_usage)

        def log_engine_initialized(self) -> None:
            pass

    return KvUsageLogger


class VllmEngine:
    """``Engine`` over vLLM's ``AsyncLLM`` (one GPU)."""

    kind = EngineKind.VLLM

    def __init__(
        self,
        model: ServedModel,
        *,
        max_concurrent_requests: int = 8,
        max_queued_requests: int = 64,
        max_loras: int = 8,
        max_cpu_loras: int = 16,
        max_lora_rank: int = 64,
        max_context_tokens: int | None = None,
        gpu_memory_utilization: float = 0.9,
        enforce_eager: bool = False,
    ) -> None:
        try:
            import torch
            import vllm
        except ImportError as e:
            raise FailedPrecondition(
                f"OL_INFERENCE_ENGINE=vllm needs the vllm package ({e}); install "
                "requirements/vllm.txt or use the inference-vllm image"
            ) from e
        if not torch.cuda.is_available():
            raise FailedPrecondition("OL_INFERENCE_ENGINE=vllm needs a CUDA GPU; none is visible")
        context = max_context_tokens or model.context_length
        if context > model.context_length:
            raise InvalidArgument(
                "max_context_tokens",
                f"{context} is beyond {model.id}'s context length {model.context_length}",
            )
        self.model = model
        self.version = f"vllm {vllm.__version__}"
        self.capacity = EngineCapacity(
            max_concurrent_requests=max_concurrent_requests,
            max_loras=max_loras,
            max_cpu_loras=max_cpu_loras,
            max_lora_rank=max_lora_rank,
            max_context_tokens=context,
            device="cuda",
            accelerator_count=torch.cuda.device_count(),
            accelerator_memory_bytes=torch.cuda.get_device_properties(0).total_memory,
        )
        self._args = engine_args(
            model,
            max_concurrent_requests=max_concurrent_requests,
            max_loras=max_loras,
            max_cpu_loras=max_cpu_loras,
            max_lora_rank=max_lora_rank,
            max_context_tokens=context,
            gpu_memory_utilization=gpu_memory_utilization,
            enforce_eager=enforce_eager,
        )
        self._max_queued = max_queued_requests
        self._llm: Any = None
        self._kv = _KvUsage()
        self._adapters: dict[str, _Adapter] = {}
        self._adapter_lock = asyncio.Lock()
        self._lora_names: dict[int, str] = {}
        self._running: set[_Handle] = set()
        self._waiting: deque[_Handle] = deque()

    async def start(self) -> None:
        if self._llm is not None:
            return
        from vllm.engine.arg_utils import AsyncEngineArgs
        from vllm.v1.engine.async_llm import AsyncLLM

        # Built on the event loop, as vLLM's own server does: the engine core runs in its own
        # process, and the output handler task must live on this loop.
        self._llm = AsyncLLM.from_engine_args(
            AsyncEngineArgs(**self._args), stat_loggers=[_stat_logger_factory(self._kv)]
        )
        logger.info("%s serving %s from %s", self.version, self.model.id, self.model.path)

    async def stop(self) -> None:
        llm, self._llm = self._llm, None
        handles = [*self._waiting, *self._running]
        for handle in handles:
            handle.cancel()
        # Let each cancelled consumer send its abort before the engine core goes away.
        await asyncio.gather(*(handle.wait() for handle in handles))
        if llm is not None:
            llm.shutdown()
        self._adapters.clear()
        self._lora_names.clear()

    def load(self) -> EngineLoad:
        return EngineLoad(
            queue_depth=len(self._waiting),
            running_requests=len(self._running),
            kv_cache_usage=self._kv.value,
        )

    def submit(self, request: EngineRequest) -> _Handle:
        if self._llm is None:
            raise Unavailable("the vLLM engine is not running")
        check_prompt(
            request.prompt_token_ids, self.model.vocab_size, self.capacity.max_context_tokens
        )
        held = None
        if request.adapter is not None:
            held = self._adapters.get(request.adapter.name)
            if held is None or held.tier is not Tier.GPU:
                raise FailedPrecondition(
                    f"adapter {request.adapter.name} is not in the GPU tier of this engine",
                    reason="ADAPTER_NOT_LOADED",
                )
        free = len(self._running) < self.capacity.max_concurrent_requests
        if not free and len(self._waiting) >= self._max_queued:
            raise ResourceExhausted(
                f"the engine runs {len(self._running)} requests and queues "
                f"{len(self._waiting)}; try again later",
                reason="ENGINE_QUEUE_FULL",
            )
        handle = _Handle(self, request, held)
        if free:
            self._admit(handle)
        else:
            self._waiting.append(handle)
        return handle

    async def add_adapter(self, adapter: LocalAdapter, tier: Tier, pinned: bool) -> None:
        check_rank(adapter, self.capacity.max_lora_rank)
        if tier not in (Tier.GPU, Tier.CPU):
            raise InvalidArgument("tier", f"an engine holds adapters in GPU or CPU, not {tier}")
        # Only the GPU tier pins: a CPU-tier adapter is one vLLM may evict from its GPU slots.
        pinned = pinned and tier is Tier.GPU
        async with self._adapter_lock:
            if self._llm is None:
                raise Unavailable("the vLLM engine is not running")
            held = self._adapters.get(adapter.name)
            if held is not None and (held.tier, held.pinned) == (tier, pinned):
                return
            self._check_room(adapter.name, tier)
            if held is not None and held.pinned and not pinned:
                # vLLM has no unpin: the adapter is dropped and added again, unpinned.
                await self._drop(held)
                held = None
            if held is None:
                held = await self._add_lora(adapter)
            if pinned and not held.pinned:
                await self._llm.pin_lora(held.lora_id)
            held.tier, held.pinned = tier, pinned

    async def remove_adapter(self, name: str) -> None:
        async with self._adapter_lock:
            held = self._adapters.get(name)
            if held is not None:
                await self._drop(held)

    def _check_room(self, name: str, tier: Tier) -> None:
        limit = self.capacity.max_loras if tier is Tier.GPU else self.capacity.max_cpu_loras
        others = sum(held.tier is tier and n != name for n, held in self._adapters.items())
        if others >= limit:
            knob = "max_loras" if tier is Tier.GPU else "max_cpu_loras"
            raise ResourceExhausted(
                f"the {tier.name} tier holds {limit} adapters ({knob})",
                reason=f"{tier.name}_TIER_FULL",
            )

    async def _add_lora(self, adapter: LocalAdapter) -> _Adapter:
        held = _Adapter(adapter, lora_int_id(adapter.name, self._lora_names), Tier.CPU, False)
        # vLLM reads the adapter into host memory now and moves it onto the GPU for the batches
        # that use it; our two tiers differ only in what a request may use.
        if not await self._llm.add_lora(self._lora_request(held)):
            raise FailedPrecondition(
                f"adapter {adapter.name}: vLLM refused to load it from {adapter.directory}",
                reason="ADAPTER_INCOMPATIBLE",
            )
        self._adapters[adapter.name] = held
        self._lora_names[held.lora_id] = adapter.name
        return held

    async def _drop(self, held: _Adapter) -> None:
        # A request still using it is unaffected: its LoRARequest names the files, and vLLM
        # loads them again for it.
        del self._adapters[held.adapter.name]
        del self._lora_names[held.lora_id]
        await self._llm.remove_lora(held.lora_id)

    def _lora_request(self, held: _Adapter) -> Any:
        from vllm.lora.request import LoRARequest

        return LoRARequest(
            lora_name=held.adapter.name,
            lora_int_id=held.lora_id,
            lora_path=str(held.adapter.directory),
        )

    def _admit(self, handle: _Handle) -> None:
        self._running.add(handle)
        handle.begin(self._llm)

    def _finished(self, handle: _Handle) -> None:
        """``handle`` ended (or was cancelled): free its place and admit the next in line."""
        if handle in self._running:
            self._running.discard(handle)
            if self._waiting and self._llm is not None:
                self._admit(self._waiting.popleft())
        else:
            try:
                self._waiting.remove(handle)
            except ValueError:
                pass


class _Handle:
    """``GenerationHandle`` of one vLLM request."""

    def __init__(self, engine: VllmEngine, request: EngineRequest, held: _Adapter | None) -> None:
        self._engine = engine
        self._request = request
        self._held = held
        # vLLM aborts by request id; ours must be unique even when a client reuses its own.
        self._vllm_id = f"{request.request_id or 'request'}-{uuid.uuid4().hex}"
        self._outputs: asyncio.Queue[EngineOutput] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._done = False
        self._start_time: datetime | None = None

    @property
    def start_time(self) -> datetime | None:
        return self._start_time

    def begin(self, llm: Any) -> None:
        self._start_time = datetime.now(UTC)
        self._task = asyncio.get_running_loop().create_task(self._run(llm))

    async def wait(self) -> None:
        """Until the consumer task of this request has ended."""
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)

    def cancel(self) -> None:
        if self._done:
            return
        # Cancelling the consumer is vLLM's own client-disconnect path: ``generate`` aborts the
        # request in the engine core, also when it was not registered there yet (which an
        # ``abort`` by id would miss).
        if self._task is not None:
            self._task.cancel()
        self._finish(EngineOutput((), FinishReason.CANCELLED))

    async def __aiter__(self) -> AsyncIterator[EngineOutput]:
        while True:
            output = await self._outputs.get()
            yield output
            if output.finish_reason is not None:
                return

    async def _run(self, llm: Any) -> None:
        from vllm.inputs import TokensPrompt
        from vllm.sampling_params import RequestOutputKind, SamplingParams

        room = self._engine.capacity.max_context_tokens - len(self._request.prompt_token_ids)
        params = SamplingParams(
            **sampling_kwargs(self._request.sampling, room), output_kind=RequestOutputKind.DELTA
        )
        lora = None if self._held is None else self._engine._lora_request(self._held)
        prompt = TokensPrompt(prompt_token_ids=list(self._request.prompt_token_ids))
        try:
            async for out in llm.generate(prompt, params, self._vllm_id, lora_request=lora):
                completion = out.outputs[0]
                for output in engine_outputs(
                    tuple(int(t) for t in completion.token_ids),
                    completion.finish_reason,
                    completion.stop_reason,
                ):
                    if output.finish_reason is not None:
                        self._finish(output)
                        return
                    self._outputs.put_nowait(output)
            self._finish(EngineOutput((), FinishReason.ERROR, "vLLM ended the request unfinished"))
        except asyncio.CancelledError:
            raise
        except Exception as e:  # vLLM's errors are not ours to type: the request ends ERROR
            logger.exception("vLLM request %s failed", self._vllm_id)
            self._finish(EngineOutput((), FinishReason.ERROR, f"{type(e).__name__}: {e}"))

    def _finish(self, output: EngineOutput) -> None:
        if self._done:
            return
        self._done = True
        self._outputs.put_nowait(output)
        self._engine._finished(self)

"""The inference node: validated requests in, metered completions out.

``InferenceNode`` is what ``InferenceService`` serves. For each generation it decides who pays,
answers idempotent retries, checks the request against the served model (vocabulary, context
window, base model, the adapter's prompt template), reads the fee rate from ``ModelRegistry``,
holds the adapter on the device while the engine generates, turns tokens into text with stop
sequences, and records every completion (whatever its finish reason) in the ledger, which
publishes it once.

Streams and unary calls share one path: ``generate`` is ``generate_stream`` consumed to its last
delta. Every error the client can act on (bad input, fees, adapters, queue full) is raised
before the first delta; after it the stream ends with a last delta whose completion says how it
finished. A client that goes away (``CancelledError`` in the task, or the stream closed early)
ends the generation CANCELLED; that completion is recorded before the cancellation propagates.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from eth_utils.address import is_address, to_checksum_address

from openledger_inference.domain.ledger import CompletionLedger, utc_now
from openledger_inference.domain.model import (
    AdapterRef,
    AdapterState,
    Completion,
    CompletionDelta,
    EngineCapacity,
    EngineKind,
    EngineRequest,
    FeeRate,
    FinishReason,
    GenerationRequest,
    LocalAdapter,
    NodeIdentity,
    NodeLoadReport,
    Tier,
    Timings,
    Usage,
)
from openledger_inference.domain.ports import AdapterRegistry, Engine, GenerationHandle
from openledger_inference.domain.prompts import PromptEncoder
from openledger_inference.domain.replay import RequestReplay
from openledger_inference.domain.text import OutputText
from openledger_inference.metrics import InferenceMetrics
from openledger_kit.errors import (
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Unavailable,
)
from openledger_kit.ids import new_id
from openledger_kit.values import Caller

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

DOMAIN = "openledger.inference"
THROUGHPUT_WINDOW_SECONDS = 60.0
HEARTBEAT_DISK_ADAPTERS = 100
"""DISK-tier adapters a load report lists (most recently used first): heartbeats stay small
on nodes with large disk caches, and the router only needs the likely hits."""


def new_inference_id() -> str:
    """A UUIDv7 string (RFC 9562): inference ids sort by creation time."""
    return new_id()


class AdapterManager(Protocol):
    """The node's tiered adapter cache (``adapter_manager.AdapterManager``)."""

    def use(self, ref: AdapterRef) -> AbstractAsyncContextManager[LocalAdapter]:
        """Hold ``ref`` in the GPU tier while the block runs (fetching and verifying it
        first when needed)."""

    async def load(self, ref: AdapterRef, tier: Tier, *, pin: bool) -> AdapterState: ...

    async def unload(self, ref: AdapterRef, *, remove_from_disk: bool) -> AdapterState | None: ...

    def states(self) -> list[AdapterState]: ...


@dataclass(frozen=True)
class NodeStatusView:
    """What ``GetNodeStatus`` reports."""

    identity: NodeIdentity
    engine: EngineKind
    engine_version: str
    base_models: tuple[str, ...]
    capacity: EngineCapacity
    load: NodeLoadReport
    healthy: bool
    draining: bool
    pool_state: str
    """Empty outside a pool, else the ``NodeState`` name the router gave (``ACTIVE``)."""
    start_time: datetime


@dataclass
class _Attempt:
    """A generation with a request id: retries of the id wait for ``future``. Once its
    completion is being recorded, the record's outcome settles it, whatever happens to the
    caller."""

    future: asyncio.Future[Completion]
    recording: bool = False

    def settle(self, record: asyncio.Future[Completion]) -> None:
        if self.future.done():
            return
        if record.cancelled():
            self.future.cancel()
        elif (error := record.exception()) is not None:
            self.future.set_exception(error)
            self.future.exception()
        else:
            self.future.set_result(record.result())


@dataclass(frozen=True)
class _Plan:
    """A request checked against the node, ready for the engine."""

    request: GenerationRequest
    payer: str
    create_time: datetime
    adapter: LocalAdapter | None
    prompt_token_ids: tuple[int, ...]
    fee_rate: FeeRate


class InferenceNode:
    """One node's generations, adapters and status (see the module docstring)."""

    def __init__(
        self,
        *,
        engine: Engine,
        adapters: AdapterManager,
        registry: AdapterRegistry,
        ledger: CompletionLedger,
        metrics: InferenceMetrics | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._engine = engine
        self._adapters = adapters
        self._registry = registry
        self._ledger = ledger
        self._metrics = metrics
        self._clock = clock
        self.identity = NodeIdentity()
        self._pool_state = ""
        self._draining = False
        self._started = False
        self._start_time = clock()
        self._tokenizer: PreTrainedTokenizerBase | None = None
        self._prompts: PromptEncoder | None = None
        self._running: dict[tuple[str, str], _Attempt] = {}
        """Generations with a request id, by (payer, request id): retries wait for them."""
        self._recording: set[asyncio.Task[Completion]] = set()
        self._loads: RequestReplay[AdapterState] = RequestReplay()
        self._unloads: RequestReplay[AdapterState | None] = RequestReplay()
        self._produced: deque[tuple[float, int]] = deque()
        """(monotonic time, output tokens) over the last minute, for tokens/s."""

    # ------------------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        """Load the tokenizer and start the ledger (which publishes what a previous process
        recorded but did not publish). The engine is started by its owner."""
        from openledger_ml.models.loading import load_tokenizer

        model = self._engine.model
        self._tokenizer = await asyncio.to_thread(load_tokenizer, model.path)
        self._prompts = PromptEncoder(self._tokenizer, model.vocab_size)
        await self._ledger.start()
        self._started = True
        self._start_time = self._clock()

    async def stop(self) -> None:
        """Finish recording and stop the ledger. Stop the engine first: its generations then
        end CANCELLED and are recorded."""
        self._started = False
        if self._recording:
            await asyncio.gather(*self._recording, return_exceptions=True)
        await self._ledger.stop()

    def set_pool_state(self, state: str, *, draining: bool) -> None:
        self._pool_state = state
        self._draining = draining

    # ------------------------------------------------------------------------ generation

    async def generate(self, request: GenerationRequest, caller: Caller) -> Completion:
        """Run one generation to its end (see ``generate_stream``)."""
        stream = self.generate_stream(request, caller)
        completion: Completion | None = None
        async for delta in stream:
            completion = delta.completion or completion
        if completion is None:
            raise AssertionError("a generation stream ended without its completion")
        return completion

    async def generate_stream(
        self, request: GenerationRequest, caller: Caller
    ) -> AsyncGenerator[CompletionDelta, None]:
        """The deltas of one generation; the last one carries the completion. Errors before
        generation starts are raised before the first delta."""
        self._check_serving()
        payer = self._payer(request, caller)
        if not request.request_id:
            async with contextlib.aclosing(self._generate(request, payer, None)) as deltas:
                async for delta in deltas:
                    yield delta
            return
        key = (payer, request.request_id)
        while (running := self._running.get(key)) is not None:
            try:
                completion = await asyncio.shield(running.future)
            except asyncio.CancelledError:
                if running.future.cancelled():
                    continue  # it ended before generating: this retry generates
                raise
            yield self._replay(completion)
            return
        attempt = _Attempt(asyncio.get_running_loop().create_future())
        self._running[key] = attempt
        attempt.future.add_done_callback(lambda _: self._forget(key, attempt))
        try:
            recorded = await self._ledger.find(payer, request.request_id)
            if recorded is not None:
                attempt.future.set_result(recorded)
                yield self._replay(recorded)
                return
            async with contextlib.aclosing(self._generate(request, payer, attempt)) as deltas:
                async for delta in deltas:
                    yield delta
        except BaseException as exc:
            if not attempt.recording and not attempt.future.done():
                if isinstance(exc, asyncio.CancelledError | GeneratorExit):
                    attempt.future.cancel()
                else:
                    attempt.future.set_exception(exc)
                    attempt.future.exception()  # retries waiting re-raise it; nobody else
            raise

    def _forget(self, key: tuple[str, str], attempt: _Attempt) -> None:
        if self._running.get(key) is attempt:
            del self._running[key]

    async def _generate(
        self, request: GenerationRequest, payer: str, attempt: _Attempt | None
    ) -> AsyncGenerator[CompletionDelta, None]:
        create_time = self._clock()
        self._check_request(request)
        ref = request.spec.adapter
        if ref is None:
            plan = await self._plan(request, payer, create_time, None)
            async with contextlib.aclosing(self._run(plan, attempt)) as deltas:
                async for delta in deltas:
                    yield delta
            return
        async with self._adapters.use(ref) as adapter:
            plan = await self._plan(request, payer, create_time, adapter)
            async with contextlib.aclosing(self._run(plan, attempt)) as deltas:
                async for delta in deltas:
                    yield delta

    async def _run(
        self, plan: _Plan, attempt: _Attempt | None
    ) -> AsyncGenerator[CompletionDelta, None]:
        spec = plan.request.spec
        inference_id = new_inference_id()
        handle = self._engine.submit(
            EngineRequest(
                request_id=inference_id,
                prompt_token_ids=plan.prompt_token_ids,
                adapter=plan.adapter,
                sampling=spec.sampling,
            )
        )
        text = OutputText(self._decode, spec.sampling.stop_sequences, plan.prompt_token_ids)
        tokens: list[int] = []
        first_token_time: datetime | None = None
        finish: FinishReason | None = None
        error = ""
        index = 0
        new_tokens: list[int] = []
        new_text = ""
        outputs = aiter(handle)
        try:
            async for output in outputs:
                new_tokens, new_text = [], ""
                for token in output.token_ids:
                    new_tokens.append(token)
                    new_text += text.push(token)
                    if text.stopped is not None:
                        break
                if new_tokens:
                    first_token_time = first_token_time or self._clock()
                    tokens += new_tokens
                    self._produced.append((time.monotonic(), len(new_tokens)))
                if text.stopped is not None:
                    handle.cancel()
                    finish = FinishReason.STOP
                elif output.finish_reason is not None:
                    finish, error = output.finish_reason, output.error
                if finish is not None:
                    break
                if new_tokens or new_text:
                    yield self._delta(plan, inference_id, index, new_text, new_tokens)
                    index += 1
                    new_tokens, new_text = [], ""
        except (asyncio.CancelledError, GeneratorExit):
            handle.cancel()
            text.finish()
            completion = self._completion(
                plan, inference_id, handle, tokens, text, FinishReason.CANCELLED, "",
                first_token_time,
            )  # fmt: skip
            await self._record(completion, plan, attempt)
            raise
        finally:
            # A no-op once the generation finished; otherwise (a failure here) the engine
            # must not keep generating for nobody.
            handle.cancel()
            await _close(outputs)
        if finish is None:
            finish, error = FinishReason.ERROR, "the engine ended the generation without a reason"
        if finish is not FinishReason.STOP or text.stopped is None:
            new_text += text.finish()
            if text.stopped is not None and finish is FinishReason.LENGTH:
                finish = FinishReason.STOP
        completion = self._completion(
            plan, inference_id, handle, tokens, text, finish, error, first_token_time
        )
        completion = await self._record(completion, plan, attempt)
        yield self._delta(plan, inference_id, index, new_text, new_tokens, completion)

    def _completion(
        self,
        plan: _Plan,
        inference_id: str,
        handle: GenerationHandle,
        tokens: Sequence[int],
        text: OutputText,
        finish: FinishReason,
        error: str,
        first_token_time: datetime | None,
    ) -> Completion:
        prompt_tokens, output_tokens = len(plan.prompt_token_ids), len(tokens)
        billed = finish is not FinishReason.ERROR and not (
            finish is FinishReason.CANCELLED and output_tokens == 0
        )
        fee = plan.fee_rate.fee_for(prompt_tokens + output_tokens) if billed else 0
        adapter = plan.adapter
        return Completion(
            inference_id=inference_id,
            adapter=None if adapter is None else adapter.descriptor.ref,
            adapter_sha256=b"" if adapter is None else adapter.descriptor.adapter_sha256,
            base_model=self._engine.model.id,
            node=self.identity.node,
            provider_address=self.identity.provider_address,
            payer_address=plan.payer,
            prompt_token_ids=plan.prompt_token_ids,
            output_token_ids=tuple(tokens),
            output_text=text.text,
            finish_reason=finish,
            matched_stop_sequence=(
                text.stopped.sequence
                if text.stopped is not None and finish is FinishReason.STOP
                else ""
            ),
            usage=Usage(prompt_tokens, output_tokens, fee, plan.fee_rate),
            timings=Timings(
                create_time=plan.create_time,
                start_time=handle.start_time,
                first_token_time=first_token_time,
                complete_time=self._clock(),
            ),
            error_message=error if finish is FinishReason.ERROR else "",
        )

    async def _record(
        self, completion: Completion, plan: _Plan, attempt: _Attempt | None
    ) -> Completion:
        """Record (and publish) ``completion``, finishing even if the caller is cancelled
        meanwhile: a generation that ran is always metered, and retries of its request id
        wait for the record rather than generate again."""
        self._observe(completion)
        task = asyncio.ensure_future(
            self._ledger.record(completion, request_id=plan.request.request_id)
        )
        self._recording.add(task)
        task.add_done_callback(self._recording.discard)
        if attempt is not None:
            attempt.recording = True
            task.add_done_callback(attempt.settle)
        return await asyncio.shield(task)

    def _delta(
        self,
        plan: _Plan,
        inference_id: str,
        index: int,
        text: str,
        tokens: Sequence[int],
        completion: Completion | None = None,
    ) -> CompletionDelta:
        first = index == 0
        return CompletionDelta(
            inference_id=inference_id,
            index=index,
            text=text,
            token_ids=tuple(tokens),
            adapter=plan.request.spec.adapter if first else None,
            base_model=self._engine.model.id if first else "",
            node=self.identity.node if first else "",
            completion=completion,
        )

    def _replay(self, completion: Completion) -> CompletionDelta:
        """A recorded completion as a whole stream: one last delta."""
        return CompletionDelta(
            inference_id=completion.inference_id,
            index=0,
            adapter=completion.adapter,
            base_model=completion.base_model,
            node=completion.node,
            completion=completion,
        )

    # -------------------------------------------------------------------------- checks

    def _check_serving(self) -> None:
        if self._draining:
            raise Unavailable(
                "the node is draining: send the request to another node",
                reason="NODE_DRAINING",
                domain=DOMAIN,
            )
        if not self._started:
            raise Unavailable("the node is starting", reason="NODE_STARTING", domain=DOMAIN)

    def _payer(self, request: GenerationRequest, caller: Caller) -> str:
        """The router (service token) names the payer; a signed user pays for itself."""
        if request.payer_address:
            if not caller.service:
                raise PermissionDenied(
                    "payer_address may only be set by the pool router (service token); "
                    "a signed request is billed to its signer",
                    reason="PAYER_NOT_ALLOWED",
                    domain=DOMAIN,
                )
            if not is_address(request.payer_address):
                raise InvalidArgument("payer_address", "must be a 0x-prefixed address")
            return str(to_checksum_address(request.payer_address))
        if caller.service:
            return ""
        return caller.address or ""

    def _check_request(self, request: GenerationRequest) -> None:
        """The rules that need the served model but not the adapter."""
        spec, model = request.spec, self._engine.model
        if spec.base_model and spec.base_model != model.id:
            raise FailedPrecondition(
                f"this node serves base model {model.id!r}, not {spec.base_model!r}",
                reason="BASE_MODEL_NOT_SERVED",
                domain=DOMAIN,
            )
        sampling = spec.sampling
        if sampling.top_k > model.vocab_size:
            raise InvalidArgument(
                "spec.sampling.top_k", f"must be at most the vocabulary size {model.vocab_size}"
            )
        for i, token in enumerate(sampling.stop_token_ids):
            if token >= model.vocab_size:
                raise InvalidArgument(
                    f"spec.sampling.stop_token_ids[{i}]",
                    f"{token} is not below the vocabulary size {model.vocab_size}",
                )

    async def _plan(
        self,
        request: GenerationRequest,
        payer: str,
        create_time: datetime,
        adapter: LocalAdapter | None,
    ) -> _Plan:
        spec = request.spec
        if (
            adapter is not None
            and spec.base_model
            and adapter.descriptor.base_model != (spec.base_model)
        ):
            raise InvalidArgument(
                "spec.base_model",
                f"adapter {adapter.descriptor.ref} is on base model "
                f"{adapter.descriptor.base_model!r}, not {spec.base_model!r}",
            )
        prompts = self._prompt_encoder()
        descriptor = None if adapter is None else adapter.descriptor
        prompt_ids = await asyncio.to_thread(prompts.encode, spec.input, descriptor)
        self._check_context(request, len(prompt_ids))
        rate = await self._fee_rate(spec.adapter)
        largest = rate.fee_for(len(prompt_ids) + spec.sampling.max_tokens)
        if request.max_fee is not None and largest > request.max_fee:
            raise FailedPrecondition(
                f"the largest possible fee {largest} wei (prompt {len(prompt_ids)} + max_tokens "
                f"{spec.sampling.max_tokens} tokens at {rate.fee_per_1k_tokens} wei per 1k) "
                f"exceeds max_fee {request.max_fee}",
                reason="MAX_FEE_EXCEEDED",
                domain=DOMAIN,
                metadata={"largest_fee": str(largest), "max_fee": str(request.max_fee)},
            )
        return _Plan(request, payer, create_time, adapter, prompt_ids, rate)

    def _check_context(self, request: GenerationRequest, prompt_tokens: int) -> None:
        window = self._engine.capacity.max_context_tokens
        spec = request.spec
        if prompt_tokens >= window:
            raise InvalidArgument(
                _input_field(request),
                f"the input is {prompt_tokens} tokens; the context window is {window}, which "
                "must also hold at least one output token",
            )
        if prompt_tokens + spec.sampling.max_tokens > window:
            raise InvalidArgument(
                "spec.sampling.max_tokens",
                f"{spec.sampling.max_tokens} output tokens after {prompt_tokens} input tokens "
                f"exceed the context window of {window}: at most {window - prompt_tokens}",
            )

    async def _fee_rate(self, ref: AdapterRef | None) -> FeeRate:
        if ref is None:
            return await self._registry.base_model_fee(self._engine.model.id)
        registered = await self._registry.registered(ref)
        if registered is None:
            raise NotFound(
                f"adapter {ref} is not registered in ModelRegistry",
                reason="ADAPTER_NOT_REGISTERED",
                domain=DOMAIN,
            )
        return FeeRate(registered.fee_per_1k_tokens, registered.block_number)

    # -------------------------------------------------------------------------- adapters

    async def load_adapter(
        self, ref: AdapterRef, tier: Tier, *, pin: bool, caller: Caller, request_id: str = ""
    ) -> AdapterState:
        """Admin: bring ``ref`` into ``tier``; a retry with ``request_id`` gets the first
        result."""

        async def load() -> AdapterState:
            _require_admin(caller)
            return await self._adapters.load(ref, tier, pin=pin)

        return await self._loads.run(request_id, load)

    async def unload_adapter(
        self, ref: AdapterRef, *, remove_from_disk: bool, caller: Caller, request_id: str = ""
    ) -> AdapterState | None:
        """Admin: drop ``ref`` from the GPU and CPU tiers (and the disk); a retry with
        ``request_id`` gets the first result."""

        async def unload() -> AdapterState | None:
            _require_admin(caller)
            return await self._adapters.unload(ref, remove_from_disk=remove_from_disk)

        return await self._unloads.run(request_id, unload)

    def list_adapters(self) -> list[AdapterState]:
        """Every adapter held, by tier (GPU, CPU, DISK), then most recently used first, then
        by reference."""
        return sorted(self._adapters.states(), key=_adapter_order)

    # ---------------------------------------------------------------------------- status

    def status(self) -> NodeStatusView:
        engine = self._engine
        return NodeStatusView(
            identity=self.identity,
            engine=engine.kind,
            engine_version=engine.version,
            base_models=(engine.model.id,),
            capacity=engine.capacity,
            load=self.load_report(),
            healthy=self._started,
            draining=self._draining,
            pool_state=self._pool_state,
            start_time=self._start_time,
        )

    def load_report(self) -> NodeLoadReport:
        """Queue, running requests, output tokens per second over the last minute and the
        adapters held (GPU and CPU tiers, then the most recently used on DISK)."""
        load = self._engine.load()
        if self._metrics is not None:
            self._metrics.queue_depth.set(load.queue_depth)
            self._metrics.running_requests.set(load.running_requests)
        states = self.list_adapters()
        resident = [s for s in states if s.tier is not Tier.DISK]
        on_disk = [s for s in states if s.tier is Tier.DISK][:HEARTBEAT_DISK_ADAPTERS]
        return NodeLoadReport(
            queue_depth=load.queue_depth,
            running_requests=load.running_requests,
            tokens_per_second=self._tokens_per_second(),
            kv_cache_usage=load.kv_cache_usage,
            adapters=[(s.adapter.name, s.tier, s.pinned) for s in resident + on_disk],
        )

    # --------------------------------------------------------------------------- helpers

    def _prompt_encoder(self) -> PromptEncoder:
        if self._prompts is None:
            raise Unavailable("the node is starting", reason="NODE_STARTING", domain=DOMAIN)
        return self._prompts

    def _decode(self, ids: Sequence[int]) -> str:
        if self._tokenizer is None:
            raise Unavailable("the node is starting", reason="NODE_STARTING", domain=DOMAIN)
        text = self._tokenizer.decode(list(ids), skip_special_tokens=True)
        return text if isinstance(text, str) else "".join(text)

    def _tokens_per_second(self) -> float:
        horizon = time.monotonic() - THROUGHPUT_WINDOW_SECONDS
        while self._produced and self._produced[0][0] < horizon:
            self._produced.popleft()
        return sum(n for _, n in self._produced) / THROUGHPUT_WINDOW_SECONDS

    def _observe(self, completion: Completion) -> None:
        if self._metrics is None:
            return
        timings = completion.timings
        first = timings.first_token_time
        self._metrics.generation_finished(
            None if completion.adapter is None else str(completion.adapter),
            completion.finish_reason.value,
            output_tokens=completion.usage.output_tokens,
            time_to_first_token=(
                None if first is None else (first - timings.create_time).total_seconds()
            ),
            decode_seconds=(
                0.0 if first is None else (timings.complete_time - first).total_seconds()
            ),
        )
        load = self._engine.load()
        self._metrics.queue_depth.set(load.queue_depth)
        self._metrics.running_requests.set(load.running_requests)


def _input_field(request: GenerationRequest) -> str:
    value = request.spec.input
    if value.prompt_token_ids is not None:
        return "spec.prompt_tokens.token_ids"
    if value.chat is not None:
        return "spec.chat.messages"
    return "spec.prompt"


def _require_admin(caller: Caller) -> None:
    if not caller.admin:
        raise PermissionDenied(
            "loading and unloading adapters needs the admin role",
            reason="ADMIN_REQUIRED",
            domain=DOMAIN,
        )


def _adapter_order(state: AdapterState) -> tuple[int, float, str, int]:
    last_used = state.last_used_time
    recency = 0.0 if last_used is None else -last_used.timestamp()
    ref = state.adapter.descriptor.ref
    return (int(state.tier), recency, ref.adapter_id, ref.version)


async def _close(outputs: AsyncIterator[object]) -> None:
    aclose = getattr(outputs, "aclose", None)
    if aclose is not None:
        with contextlib.suppress(Exception):
            await aclose()

"""``openledger.inference.v1`` messages ⇄ the inference domain's values.

Pure functions, no I/O: the node's servicer uses them all, the pool router reuses the capacity,
load, residency and tier converters for heartbeats and ``ListNodes``. Requests go through the
domain's validators (``domain.spec``), so an invalid field is refused with ``InvalidArgument``
naming its proto path (``spec.sampling.top_p``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from google.protobuf.duration_pb2 import Duration

from openledger.inference.v1 import adapter_pb2, generation_pb2, node_pb2
from openledger.inference.v1 import inference_service_pb2 as pb
from openledger_inference.domain import spec as domain_spec
from openledger_inference.domain.model import (
    AdapterState,
    ChatMessage,
    ChatRole,
    Completion,
    CompletionDelta,
    EngineCapacity,
    EngineKind,
    FinishReason,
    GenerationInput,
    GenerationRequest,
    GenerationSpec,
    NodeLoadReport,
    Tier,
    Timings,
    Usage,
)
from openledger_inference.domain.node import NodeStatusView
from openledger_kit.errors import InvalidArgument
from openledger_kit.values_proto import timestamp

_ROLES = {
    generation_pb2.CHAT_ROLE_SYSTEM: ChatRole.SYSTEM,
    generation_pb2.CHAT_ROLE_USER: ChatRole.USER,
    generation_pb2.CHAT_ROLE_ASSISTANT: ChatRole.ASSISTANT,
}
_FINISH_REASONS = {
    FinishReason.STOP: generation_pb2.FINISH_REASON_STOP,
    FinishReason.LENGTH: generation_pb2.FINISH_REASON_LENGTH,
    FinishReason.CANCELLED: generation_pb2.FINISH_REASON_CANCELLED,
    FinishReason.ERROR: generation_pb2.FINISH_REASON_ERROR,
}
_TIERS = {
    Tier.GPU: adapter_pb2.ADAPTER_TIER_GPU,
    Tier.CPU: adapter_pb2.ADAPTER_TIER_CPU,
    Tier.DISK: adapter_pb2.ADAPTER_TIER_DISK,
}
_ENGINES = {
    EngineKind.TORCH: node_pb2.ENGINE_KIND_TORCH,
    EngineKind.VLLM: node_pb2.ENGINE_KIND_VLLM,
}
_NODE_STATE_PREFIX = "NODE_STATE_"


# ------------------------------------------------------------------ requests


def spec_from_proto(message: generation_pb2.GenerationSpec, field: str = "spec") -> GenerationSpec:
    """A validated ``GenerationSpec``; ``InvalidArgument`` naming the field under ``field``."""
    sampling = message.sampling
    return domain_spec.build_spec(
        adapter=message.adapter,
        base_model=message.base_model,
        input=_input_from_proto(message, field),
        sampling=domain_spec.build_sampling(
            max_tokens=sampling.max_tokens,
            temperature=sampling.temperature if sampling.HasField("temperature") else None,
            top_p=sampling.top_p if sampling.HasField("top_p") else None,
            top_k=sampling.top_k,
            seed=sampling.seed if sampling.HasField("seed") else None,
            stop_sequences=tuple(sampling.stop_sequences),
            stop_token_ids=tuple(sampling.stop_token_ids),
            repetition_penalty=(
                sampling.repetition_penalty if sampling.HasField("repetition_penalty") else None
            ),
            field=f"{field}.sampling",
        ),
        field=field,
    )


def _input_from_proto(message: generation_pb2.GenerationSpec, field: str) -> GenerationInput:
    which = message.WhichOneof("input")
    if which == "prompt":
        return GenerationInput(prompt=message.prompt)
    if which == "prompt_tokens":
        return GenerationInput(prompt_token_ids=tuple(message.prompt_tokens.token_ids))
    if which == "chat":
        return GenerationInput(chat=_chat_from_proto(message.chat, f"{field}.chat"))
    raise InvalidArgument(f"{field}.input", "set exactly one of prompt, prompt_tokens or chat")


def _chat_from_proto(chat: generation_pb2.ChatConversation, field: str) -> tuple[ChatMessage, ...]:
    messages = []
    for index, message in enumerate(chat.messages):
        role = _ROLES.get(message.role)
        if role is None:
            raise InvalidArgument(
                f"{field}.messages[{index}].role", "set the role (SYSTEM, USER or ASSISTANT)"
            )
        messages.append(ChatMessage(role=role, content=message.content))
    return tuple(messages)


def generation_request_from_proto(
    request: pb.GenerateRequest | pb.GenerateStreamRequest,
) -> GenerationRequest:
    """A node's ``Generate``/``GenerateStream`` request as the domain takes it."""
    if not request.HasField("spec"):
        raise InvalidArgument("spec", "the generation spec is required")
    return GenerationRequest(
        spec=spec_from_proto(request.spec),
        request_id=request.request_id,
        payer_address=request.payer_address,
        max_fee=domain_spec.parse_max_fee(request.max_fee, "max_fee"),
    )


# ------------------------------------------------------------------ completions


def finish_reason_to_proto(reason: FinishReason) -> generation_pb2.FinishReason:
    return _FINISH_REASONS[reason]


def usage_to_proto(usage: Usage) -> generation_pb2.Usage:
    return generation_pb2.Usage(
        prompt_tokens=usage.prompt_tokens,
        output_tokens=usage.output_tokens,
        fee=str(usage.fee),
        fee_per_1k_tokens=str(usage.fee_rate.fee_per_1k_tokens),
        fee_rate_block_number=usage.fee_rate.block_number,
    )


def _duration(start: datetime, end: datetime) -> Duration:
    duration = Duration()
    # Wall-clock stamps: a clock stepped back must not yield a negative duration.
    duration.FromTimedelta(max(end - start, timedelta(0)))
    return duration


def timings_to_proto(timings: Timings) -> generation_pb2.GenerationTimings:
    """Durations from the request's arrival; the queue ends when prefill starts (or, for a
    request that never left the queue, when it ended); no first token, no
    ``time_to_first_token``."""
    message = generation_pb2.GenerationTimings(
        queue_duration=_duration(timings.create_time, timings.start_time or timings.complete_time),
        total_duration=_duration(timings.create_time, timings.complete_time),
    )
    if timings.first_token_time is not None:
        message.time_to_first_token.CopyFrom(
            _duration(timings.create_time, timings.first_token_time)
        )
    return message


def completion_to_proto(completion: Completion) -> generation_pb2.Completion:
    return generation_pb2.Completion(
        inference_id=completion.inference_id,
        adapter=str(completion.adapter) if completion.adapter is not None else "",
        adapter_sha256=completion.adapter_sha256,
        base_model=completion.base_model,
        node=completion.node,
        output_text=completion.output_text,
        output_token_ids=completion.output_token_ids,
        finish_reason=finish_reason_to_proto(completion.finish_reason),
        matched_stop_sequence=completion.matched_stop_sequence,
        usage=usage_to_proto(completion.usage),
        timings=timings_to_proto(completion.timings),
        create_time=timestamp(completion.timings.create_time),
        error_message=completion.error_message,
    )


def chunk_to_proto(delta: CompletionDelta) -> generation_pb2.CompletionChunk:
    """The identity goes on chunk 0 only; finish reason, usage and timings on the last one
    (the delta that carries the finished completion)."""
    chunk = generation_pb2.CompletionChunk(
        inference_id=delta.inference_id,
        index=delta.index,
        text_delta=delta.text,
        token_ids=delta.token_ids,
    )
    if delta.index == 0:
        chunk.adapter = str(delta.adapter) if delta.adapter is not None else ""
        chunk.base_model = delta.base_model
        chunk.node = delta.node
    completion = delta.completion
    if completion is not None:
        if delta.index == 0:
            # A one-chunk stream (an idempotent replay): identity and outcome together.
            chunk.adapter = str(completion.adapter) if completion.adapter is not None else ""
            chunk.base_model = completion.base_model
            chunk.node = completion.node
        chunk.finish_reason = finish_reason_to_proto(completion.finish_reason)
        chunk.matched_stop_sequence = completion.matched_stop_sequence
        chunk.usage.CopyFrom(usage_to_proto(completion.usage))
        chunk.timings.CopyFrom(timings_to_proto(completion.timings))
        chunk.error_message = completion.error_message
    return chunk


# ------------------------------------------------------------------ adapters and tiers


def tier_to_proto(tier: Tier) -> adapter_pb2.AdapterTier:
    return _TIERS[tier]


def tier_from_proto(tier: adapter_pb2.AdapterTier, field: str = "tier") -> Tier | None:
    """The tier, None for UNSPECIFIED; ``InvalidArgument`` naming ``field`` for an unknown
    number."""
    if tier == adapter_pb2.ADAPTER_TIER_UNSPECIFIED:
        return None
    for domain_tier, number in _TIERS.items():
        if number == tier:
            return domain_tier
    raise InvalidArgument(field, f"{tier} is not an AdapterTier")


def loaded_adapter_to_proto(state: AdapterState) -> adapter_pb2.LoadedAdapter:
    local = state.adapter
    message = adapter_pb2.LoadedAdapter(
        adapter=local.name,
        base_model=local.descriptor.base_model,
        tier=tier_to_proto(state.tier),
        pinned=state.pinned,
        rank=local.rank,
        size_bytes=local.size_bytes,
        adapter_sha256=local.descriptor.adapter_sha256,
        load_time=timestamp(state.load_time),
        active_requests=state.active_requests,
    )
    if state.last_used_time is not None:
        message.last_used_time.CopyFrom(timestamp(state.last_used_time))
    return message


def residency_to_proto(adapter: str, tier: Tier, pinned: bool) -> adapter_pb2.AdapterResidency:
    return adapter_pb2.AdapterResidency(adapter=adapter, tier=tier_to_proto(tier), pinned=pinned)


def residency_from_proto(
    message: adapter_pb2.AdapterResidency, field: str = "adapters"
) -> tuple[str, Tier, bool]:
    tier = tier_from_proto(message.tier, f"{field}.tier")
    if tier is None:
        raise InvalidArgument(f"{field}.tier", "set the tier the adapter is in")
    return message.adapter, tier, message.pinned


# ------------------------------------------------------------------ node


def engine_kind_to_proto(kind: EngineKind) -> node_pb2.EngineKind:
    return _ENGINES[kind]


def engine_kind_from_proto(kind: node_pb2.EngineKind, field: str = "engine") -> EngineKind:
    for domain_kind, number in _ENGINES.items():
        if number == kind:
            return domain_kind
    raise InvalidArgument(field, "set the engine (TORCH or VLLM)")


def capacity_to_proto(capacity: EngineCapacity) -> node_pb2.NodeCapacity:
    return node_pb2.NodeCapacity(
        max_concurrent_requests=capacity.max_concurrent_requests,
        max_loras=capacity.max_loras,
        max_cpu_loras=capacity.max_cpu_loras,
        max_lora_rank=capacity.max_lora_rank,
        max_context_tokens=capacity.max_context_tokens,
        device=capacity.device,
        accelerator_count=capacity.accelerator_count,
        accelerator_memory_bytes=capacity.accelerator_memory_bytes,
    )


def capacity_from_proto(message: node_pb2.NodeCapacity) -> EngineCapacity:
    return EngineCapacity(
        max_concurrent_requests=message.max_concurrent_requests,
        max_loras=message.max_loras,
        max_cpu_loras=message.max_cpu_loras,
        max_lora_rank=message.max_lora_rank,
        max_context_tokens=message.max_context_tokens,
        device=message.device,
        accelerator_count=message.accelerator_count,
        accelerator_memory_bytes=message.accelerator_memory_bytes,
    )


def load_report_to_proto(report: NodeLoadReport) -> node_pb2.NodeLoad:
    return node_pb2.NodeLoad(
        queue_depth=report.queue_depth,
        running_requests=report.running_requests,
        tokens_per_second=report.tokens_per_second,
        kv_cache_usage=report.kv_cache_usage,
        adapters=[residency_to_proto(*entry) for entry in report.adapters],
    )


def load_report_from_proto(message: node_pb2.NodeLoad, field: str = "load") -> NodeLoadReport:
    return NodeLoadReport(
        queue_depth=message.queue_depth,
        running_requests=message.running_requests,
        tokens_per_second=message.tokens_per_second,
        kv_cache_usage=message.kv_cache_usage,
        adapters=[
            residency_from_proto(entry, f"{field}.adapters[{index}]")
            for index, entry in enumerate(message.adapters)
        ],
    )


def node_state_to_proto(state: str) -> node_pb2.NodeState:
    """A state name (``ACTIVE``) as the enum; empty (outside a pool) is UNSPECIFIED."""
    if not state:
        return node_pb2.NODE_STATE_UNSPECIFIED
    name = state if state.startswith(_NODE_STATE_PREFIX) else _NODE_STATE_PREFIX + state
    return node_pb2.NodeState.Value(name)  # type: ignore[return-value]


def node_status_to_proto(view: NodeStatusView) -> node_pb2.NodeStatus:
    return node_pb2.NodeStatus(
        node=view.identity.node,
        provider_address=view.identity.provider_address,
        engine=engine_kind_to_proto(view.engine),
        engine_version=view.engine_version,
        base_models=view.base_models,
        capacity=capacity_to_proto(view.capacity),
        load=load_report_to_proto(view.load),
        healthy=view.healthy,
        draining=view.draining,
        pool_state=node_state_to_proto(view.pool_state),
        start_time=timestamp(view.start_time),
    )

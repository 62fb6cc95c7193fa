"""Proto ⇄ domain conversions of the node's API: requests validated with the field named,
completions and chunks as the proto documents them, and the node converters the router reuses
round-tripping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from openledger.inference.v1 import adapter_pb2, generation_pb2, node_pb2
from openledger.inference.v1 import inference_service_pb2 as pb
from openledger_inference.api import convert
from openledger_inference.domain.model import (
    AdapterDescriptor,
    AdapterRef,
    AdapterState,
    ChatRole,
    Completion,
    CompletionDelta,
    EngineCapacity,
    FeeRate,
    FinishReason,
    LocalAdapter,
    NodeLoadReport,
    Tier,
    Timings,
    Usage,
)
from openledger_kit.errors import InvalidArgument

T0 = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
REF = AdapterRef("legal-qa", 3)


def completion(**overrides: object) -> Completion:
    values: dict[str, object] = {
        "inference_id": "0190a0b0-0000-7000-8000-000000000001",
        "adapter": REF,
        "adapter_sha256": b"\x01" * 32,
        "base_model": "tiny-llama",
        "node": "nodes/n1",
        "provider_address": "",
        "payer_address": "",
        "prompt_token_ids": (1, 2, 3),
        "output_token_ids": (7, 8),
        "output_text": "hi",
        "finish_reason": FinishReason.LENGTH,
        "matched_stop_sequence": "",
        "usage": Usage(3, 2, 5, FeeRate(1000, 42)),
        "timings": Timings(
            create_time=T0,
            start_time=T0 + timedelta(milliseconds=10),
            first_token_time=T0 + timedelta(milliseconds=30),
            complete_time=T0 + timedelta(milliseconds=50),
        ),
    }
    values.update(overrides)
    return Completion(**values)  # type: ignore[arg-type]


def test_a_request_becomes_a_validated_generation_request() -> None:
    request = pb.GenerateRequest(
        spec=generation_pb2.GenerationSpec(
            adapter="legal-qa@3",
            chat=generation_pb2.ChatConversation(
                messages=[
                    generation_pb2.ChatMessage(role=generation_pb2.CHAT_ROLE_SYSTEM, content="s"),
                    generation_pb2.ChatMessage(role=generation_pb2.CHAT_ROLE_USER, content="u"),
                ]
            ),
            sampling=generation_pb2.SamplingParams(
                max_tokens=5, top_p=0.5, seed=0, stop_sequences=["\n"], stop_token_ids=[2]
            ),
        ),
        request_id="r1",
        max_fee="123",
    )
    converted = convert.generation_request_from_proto(request)
    assert converted.request_id == "r1" and converted.max_fee == 123
    spec = converted.spec
    assert spec.adapter == REF and spec.base_model == ""
    assert spec.input.chat is not None
    assert [m.role for m in spec.input.chat] == [ChatRole.SYSTEM, ChatRole.USER]
    sampling = spec.sampling
    assert sampling.max_tokens == 5 and sampling.top_p == 0.5 and sampling.seed == 0
    # Unset optional fields take the documented defaults; a set 0 seed stays 0.
    assert sampling.temperature == 1.0 and sampling.repetition_penalty == 1.0
    assert sampling.stop_sequences == ("\n",) and sampling.stop_token_ids == (2,)

    greedy = pb.GenerateRequest(
        spec=generation_pb2.GenerationSpec(
            base_model="tiny-llama",
            prompt_tokens=generation_pb2.PromptTokens(token_ids=[4, 5]),
            sampling=generation_pb2.SamplingParams(temperature=0.0),
        )
    )
    converted = convert.generation_request_from_proto(greedy)
    assert converted.spec.sampling.greedy and converted.spec.sampling.seed is None
    assert converted.spec.input.prompt_token_ids == (4, 5) and converted.max_fee is None


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (pb.GenerateRequest(), "spec"),
        (pb.GenerateRequest(spec=generation_pb2.GenerationSpec(base_model="m")), "spec.input"),
        (
            pb.GenerateRequest(
                spec=generation_pb2.GenerationSpec(
                    base_model="m",
                    chat=generation_pb2.ChatConversation(
                        messages=[
                            generation_pb2.ChatMessage(
                                role=generation_pb2.CHAT_ROLE_USER, content="a"
                            ),
                            generation_pb2.ChatMessage(content="b"),
                        ]
                    ),
                )
            ),
            "spec.chat.messages[1].role",
        ),
        (
            pb.GenerateRequest(
                spec=generation_pb2.GenerationSpec(
                    base_model="m",
                    prompt="x",
                    sampling=generation_pb2.SamplingParams(top_p=0.0),
                )
            ),
            "spec.sampling.top_p",
        ),
        (
            pb.GenerateRequest(spec=generation_pb2.GenerationSpec(adapter="legal-qa", prompt="x")),
            "spec.adapter",
        ),
        (
            pb.GenerateRequest(
                spec=generation_pb2.GenerationSpec(base_model="m", prompt="x"), max_fee="-1"
            ),
            "max_fee",
        ),
    ],
)
def test_invalid_requests_name_the_field(request_: pb.GenerateRequest, field: str) -> None:
    with pytest.raises(InvalidArgument) as raised:
        convert.generation_request_from_proto(request_)
    assert raised.value.field == field


def test_a_completion_as_the_proto_documents_it() -> None:
    message = convert.completion_to_proto(completion())
    assert message.adapter == "legal-qa@3" and message.node == "nodes/n1"
    assert message.finish_reason == generation_pb2.FINISH_REASON_LENGTH
    assert list(message.output_token_ids) == [7, 8]
    assert message.usage.fee == "5" and message.usage.fee_per_1k_tokens == "1000"
    assert message.usage.fee_rate_block_number == 42
    assert message.timings.queue_duration.ToTimedelta() == timedelta(milliseconds=10)
    assert message.timings.time_to_first_token.ToTimedelta() == timedelta(milliseconds=30)
    assert message.timings.total_duration.ToTimedelta() == timedelta(milliseconds=50)
    assert message.create_time.ToDatetime(tzinfo=UTC) == T0

    base = convert.completion_to_proto(
        completion(
            adapter=None,
            adapter_sha256=b"",
            finish_reason=FinishReason.CANCELLED,
            timings=Timings(T0, None, None, T0 + timedelta(seconds=1)),
        )
    )
    assert base.adapter == "" and base.finish_reason == generation_pb2.FINISH_REASON_CANCELLED
    assert not base.timings.HasField("time_to_first_token")
    assert base.timings.queue_duration.ToTimedelta() == timedelta(seconds=1)


def test_chunks_carry_identity_first_and_the_outcome_last() -> None:
    first = convert.chunk_to_proto(
        CompletionDelta(
            "id", 0, text="a", token_ids=(1,), adapter=REF, base_model="tiny-llama", node="n"
        )
    )
    assert first.adapter == "legal-qa@3" and first.base_model == "tiny-llama"
    assert first.finish_reason == generation_pb2.FINISH_REASON_UNSPECIFIED
    assert not first.HasField("usage")
    middle = convert.chunk_to_proto(
        CompletionDelta("id", 1, text="b", token_ids=(2,), adapter=REF, base_model="tiny-llama")
    )
    assert middle.adapter == "" and middle.base_model == "" and middle.text_delta == "b"
    last = convert.chunk_to_proto(CompletionDelta("id", 2, completion=completion()))
    assert last.finish_reason == generation_pb2.FINISH_REASON_LENGTH
    assert last.usage.output_tokens == 2 and last.HasField("timings")
    assert last.adapter == "" and not last.token_ids

    replay = convert.chunk_to_proto(
        CompletionDelta("id", 0, text="hi", token_ids=(7, 8), completion=completion())
    )
    assert replay.adapter == "legal-qa@3" and replay.base_model == "tiny-llama"
    assert replay.finish_reason == generation_pb2.FINISH_REASON_LENGTH


def test_adapters_tiers_capacity_load_and_status() -> None:
    descriptor = AdapterDescriptor(REF, "tiny-llama", "rev", b"\x02" * 32, b"\x03" * 32)
    local = LocalAdapter(descriptor, Path("/nowhere"), rank=8, size_bytes=1234)
    loaded = convert.loaded_adapter_to_proto(AdapterState(local, Tier.CPU, True, T0, None, 2))
    assert loaded.adapter == "legal-qa@3" and loaded.tier == adapter_pb2.ADAPTER_TIER_CPU
    assert loaded.pinned and loaded.rank == 8 and loaded.size_bytes == 1234
    assert loaded.active_requests == 2 and not loaded.HasField("last_used_time")

    for tier in Tier:
        assert convert.tier_from_proto(convert.tier_to_proto(tier)) is tier
    assert convert.tier_from_proto(adapter_pb2.ADAPTER_TIER_UNSPECIFIED) is None
    with pytest.raises(InvalidArgument) as unknown:
        convert.tier_from_proto(99, "filter.tier")  # type: ignore[arg-type]
    assert unknown.value.field == "filter.tier"

    capacity = EngineCapacity(8, 4, 16, 64, 2048, "cpu")
    assert convert.capacity_from_proto(convert.capacity_to_proto(capacity)) == capacity
    residency = [("a-b@1", Tier.GPU, True), ("c-d@2", Tier.DISK, False)]
    report = NodeLoadReport(1, 2, 3.5, 0.25, residency)
    assert convert.load_report_from_proto(convert.load_report_to_proto(report)) == report
    no_tier = node_pb2.NodeLoad(adapters=[adapter_pb2.AdapterResidency(adapter="a-b@1")])
    with pytest.raises(InvalidArgument) as missing:
        convert.load_report_from_proto(no_tier, "load")
    assert missing.value.field == "load.adapters[0].tier"

    assert convert.node_state_to_proto("") == node_pb2.NODE_STATE_UNSPECIFIED
    assert convert.node_state_to_proto("ACTIVE") == node_pb2.NODE_STATE_ACTIVE
    assert convert.node_state_to_proto("NODE_STATE_DRAINING") == node_pb2.NODE_STATE_DRAINING

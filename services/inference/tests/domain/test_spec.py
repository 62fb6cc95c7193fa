"""Structural validation of GenerationSpec and SamplingParams: defaults, every range rule, and
errors naming the proto field."""

from __future__ import annotations

import math
from typing import Any

import pytest

from openledger_inference.domain.model import (
    DEFAULT_MAX_TOKENS,
    AdapterRef,
    ChatMessage,
    ChatRole,
    GenerationInput,
    Sampling,
)
from openledger_inference.domain.spec import (
    build_sampling,
    build_spec,
    chat_role,
    parse_max_fee,
)
from openledger_kit.errors import InvalidArgument

UNSET: dict[str, Any] = {
    "max_tokens": 0,
    "temperature": None,
    "top_p": None,
    "top_k": 0,
    "seed": None,
    "stop_sequences": (),
    "stop_token_ids": (),
    "repetition_penalty": None,
}


def sampling(**changes: Any) -> Sampling:
    return build_sampling(**{**UNSET, **changes})


def test_unset_fields_take_the_documented_defaults() -> None:
    assert sampling() == Sampling(
        max_tokens=DEFAULT_MAX_TOKENS,
        temperature=1.0,
        top_p=1.0,
        top_k=0,
        seed=None,
        stop_sequences=(),
        stop_token_ids=(),
        repetition_penalty=1.0,
    )


def test_values_in_range_are_kept() -> None:
    value = sampling(
        max_tokens=8192,
        temperature=0.0,
        top_p=0.5,
        top_k=40,
        seed=0,
        stop_sequences=["\n\n", "日本"],
        stop_token_ids=[7],
        repetition_penalty=2.0,
    )
    assert value.greedy and value.seed == 0 and value.max_tokens == 8192
    assert value.stop_sequences == ("\n\n", "日本") and value.stop_token_ids == (7,)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"max_tokens": 8193}, "spec.sampling.max_tokens"),
        ({"max_tokens": -1}, "spec.sampling.max_tokens"),
        ({"temperature": 2.01}, "spec.sampling.temperature"),
        ({"temperature": -0.1}, "spec.sampling.temperature"),
        ({"temperature": math.nan}, "spec.sampling.temperature"),
        ({"top_p": 0.0}, "spec.sampling.top_p"),
        ({"top_p": 1.5}, "spec.sampling.top_p"),
        ({"top_k": -1}, "spec.sampling.top_k"),
        ({"seed": 2**64}, "spec.sampling.seed"),
        ({"seed": -1}, "spec.sampling.seed"),
        ({"repetition_penalty": 0.0}, "spec.sampling.repetition_penalty"),
        ({"repetition_penalty": 2.5}, "spec.sampling.repetition_penalty"),
        ({"stop_sequences": ["a"] * 9}, "spec.sampling.stop_sequences"),
        ({"stop_sequences": ["ok", ""]}, "spec.sampling.stop_sequences[1]"),
        ({"stop_sequences": ["é" * 65]}, "spec.sampling.stop_sequences[0]"),
        ({"stop_sequences": ["\ud800"]}, "spec.sampling.stop_sequences[0]"),
        ({"stop_token_ids": list(range(17))}, "spec.sampling.stop_token_ids"),
        ({"stop_token_ids": [3, -2]}, "spec.sampling.stop_token_ids[1]"),
    ],
)
def test_out_of_range_values_name_their_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        sampling(**changes)
    assert caught.value.field == field


def test_the_field_prefix_is_the_callers() -> None:
    with pytest.raises(InvalidArgument) as caught:
        build_sampling(**{**UNSET, "top_p": 2.0}, field="request.spec.sampling")
    assert caught.value.field == "request.spec.sampling.top_p"


def spec(**changes: Any) -> Any:
    arguments: dict[str, Any] = {
        "adapter": "legal-qa@3",
        "base_model": "",
        "input": GenerationInput(prompt="Hello"),
        "sampling": Sampling(),
    }
    return build_spec(**{**arguments, **changes})


def test_an_adapter_spec_parses_the_reference() -> None:
    value = spec()
    assert value.adapter == AdapterRef("legal-qa", 3) and value.base_model == ""


def test_a_base_model_spec_needs_the_base_model() -> None:
    assert spec(adapter="", base_model="tiny-llama").adapter is None
    with pytest.raises(InvalidArgument) as caught:
        spec(adapter="")
    assert caught.value.field == "spec.base_model"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"adapter": "legal-qa"}, "spec.adapter"),
        ({"adapter": "Legal@1"}, "spec.adapter"),
        ({"adapter": "legal-qa@0"}, "spec.adapter"),
        ({"base_model": "Not A Model"}, "spec.base_model"),
        ({"input": GenerationInput()}, "spec.input"),
        ({"input": GenerationInput(prompt="a", prompt_token_ids=(1,))}, "spec.input"),
        ({"input": GenerationInput(prompt="")}, "spec.prompt"),
        ({"input": GenerationInput(prompt="x" * (128 * 1024 + 1))}, "spec.prompt"),
        ({"input": GenerationInput(prompt="bad \udc80")}, "spec.prompt"),
        ({"input": GenerationInput(prompt_token_ids=())}, "spec.prompt_tokens.token_ids"),
        ({"input": GenerationInput(prompt_token_ids=(1, -1))}, "spec.prompt_tokens.token_ids[1]"),
        ({"input": GenerationInput(chat=())}, "spec.chat.messages"),
    ],
)
def test_bad_specs_name_their_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        spec(**changes)
    assert caught.value.field == field


def chat(*messages: tuple[ChatRole, str]) -> GenerationInput:
    return GenerationInput(chat=tuple(ChatMessage(role, text) for role, text in messages))


def test_chat_rules() -> None:
    ok = chat((ChatRole.SYSTEM, "Be brief."), (ChatRole.USER, "Hi"), (ChatRole.ASSISTANT, ""))
    assert spec(input=ok).input == ok
    cases = [
        (chat((ChatRole.USER, "Hi"), (ChatRole.SYSTEM, "late")), "spec.chat.messages[1].role"),
        (chat((ChatRole.USER, "")), "spec.chat.messages[0].content"),
        (chat((ChatRole.ASSISTANT, ""), (ChatRole.USER, "Hi")), "spec.chat.messages[0].content"),
        (chat(*[(ChatRole.USER, "x")] * 257), "spec.chat.messages"),
        (chat(*[(ChatRole.USER, "x" * 70_000)] * 2), "spec.chat.messages"),
    ]
    for value, field in cases:
        with pytest.raises(InvalidArgument) as caught:
            spec(input=value)
        assert caught.value.field == field


def test_chat_roles_from_enum_names() -> None:
    assert chat_role("CHAT_ROLE_ASSISTANT", "f") is ChatRole.ASSISTANT
    assert chat_role("CHAT_ROLE_SYSTEM", "f") is ChatRole.SYSTEM
    for bad in ("CHAT_ROLE_UNSPECIFIED", "CHAT_ROLE_TOOL"):
        with pytest.raises(InvalidArgument) as caught:
            chat_role(bad, "spec.chat.messages[2].role")
        assert caught.value.field == "spec.chat.messages[2].role"


def test_max_fee() -> None:
    assert parse_max_fee("") is None
    assert parse_max_fee("0") == 0
    assert parse_max_fee("1500000000000000") == 1_500_000_000_000_000
    assert parse_max_fee(str(2**256 - 1)) == 2**256 - 1
    for bad in ("-1", "1.5", "1e18", " 1", "١٢", str(2**256)):
        with pytest.raises(InvalidArgument) as caught:
            parse_max_fee(bad)
        assert caught.value.field == "max_fee"

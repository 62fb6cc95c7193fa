"""Policy defaults, resolution of the proto's zero values, and validation naming the field."""

from __future__ import annotations

import dataclasses

import pytest

from openledger_datanet.domain.curation import DUPLICATE_REASONS, PiiType, Policy, Reason
from openledger_kit.errors import InvalidArgument


def test_default_policy_is_valid_and_resolves_server_defaults() -> None:
    policy = Policy.default()
    policy.validate()
    assert Policy().effective_ngram_size == 3
    assert Policy().effective_slash_window_size == 100
    assert Policy().effective_pii_types == frozenset(PiiType)
    assert Policy().effective_counted_reasons == frozenset(Reason) - DUPLICATE_REASONS
    assert Policy(slash_counted_reasons=(Reason.NEAR_DUPLICATE,)).effective_counted_reasons == {
        Reason.NEAR_DUPLICATE
    }


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"near_duplicate_threshold": 1.5}, "near_duplicate_threshold"),
        ({"near_duplicate_threshold": float("nan")}, "near_duplicate_threshold"),
        ({"near_duplicate_ngram_size": 17}, "near_duplicate_ngram_size"),
        ({"min_length_chars": 50, "max_length_chars": 10}, "max_length_chars"),
        ({"semantic_dedupe_enabled": True, "semantic_duplicate_threshold": 0.0},
         "semantic_duplicate_threshold"),
        ({"allowed_languages": ("EN",)}, "allowed_languages"),
        ({"allowed_languages": ("eng",)}, "allowed_languages"),
        ({"text_field_paths": ("text",)}, "text_field_paths"),
        ({"text_field_paths": ("/a~2b",)}, "text_field_paths"),
        ({"max_symbol_ratio": -0.1}, "max_symbol_ratio"),
        ({"slash_window_size": 100_001}, "slash_window_size"),
        ({"slash_amount": "1e18"}, "slash_amount"),
        ({"slash_amount": "-5"}, "slash_amount"),
    ],
)  # fmt: skip
def test_validate_names_the_invalid_field(change: dict[str, object], field: str) -> None:
    policy = dataclasses.replace(Policy.default(), **change)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument) as raised:
        policy.validate()
    assert raised.value.field == f"curation_policy.{field}"


def test_slash_amount_is_bounded_by_the_stake_only_when_given() -> None:
    policy = dataclasses.replace(Policy.default(), slash_amount="1000")
    policy.validate()
    policy.validate(stake_required=1000)
    with pytest.raises(InvalidArgument, match="stake_required"):
        policy.validate(prefix="datanet.curation_policy", stake_required=999)
    assert policy.slash_amount_wei == 1000


def test_enum_values_are_the_proto_names_without_prefix() -> None:
    assert Reason.NEAR_DUPLICATE.value == "NEAR_DUPLICATE"
    assert Reason["PII_DETECTED"] is Reason.PII_DETECTED
    assert PiiType.EMAIL_ADDRESS.placeholder == "[EMAIL_ADDRESS]"
    assert len(Reason) == 12 and len(PiiType) == 9

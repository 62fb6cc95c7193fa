"""Method choice by model size and features, and the mix of span and gradient credits."""

from __future__ import annotations

import pytest

from openledger_attribution.domain.policy import (
    Method,
    MethodWeights,
    PolicyConfig,
    choose_methods,
    combine,
)
from openledger_kit.errors import FailedPrecondition, InvalidArgument

SIZED = PolicyConfig(
    gradient_only_max_parameters=50_000_000,
    span_only_min_parameters=3_000_000_000,
    span_weight_bps=4_000,
)


def test_the_default_policy_combines_when_features_exist_and_spans_otherwise() -> None:
    config = PolicyConfig()
    assert choose_methods(135_000_000, True, config) == MethodWeights(Method.COMBINED, 5_000)
    assert choose_methods(135_000_000, False, config) == MethodWeights(Method.SPAN, 10_000)
    assert choose_methods(70_000_000_000, True, config).method is Method.SPAN


def test_model_size_picks_the_method() -> None:
    assert choose_methods(1_000_000, True, SIZED) == MethodWeights(Method.GRADIENT, 0)
    assert choose_methods(50_000_000, True, SIZED).method is Method.GRADIENT
    assert choose_methods(50_000_001, True, SIZED) == MethodWeights(Method.COMBINED, 4_000)
    assert choose_methods(3_000_000_000, True, SIZED).method is Method.COMBINED
    assert choose_methods(3_000_000_001, True, SIZED).method is Method.SPAN
    assert choose_methods(1_000_000, False, SIZED).method is Method.SPAN


def test_a_requested_method_needs_features_beyond_span() -> None:
    weights = choose_methods(70_000_000_000, True, SIZED, requested=Method.GRADIENT)
    assert weights == MethodWeights(Method.GRADIENT, 0)
    assert choose_methods(1, False, SIZED, requested=Method.SPAN).method is Method.SPAN
    with pytest.raises(FailedPrecondition) as refused:
        choose_methods(1, False, SIZED, requested=Method.COMBINED)
    assert refused.value.reason == "NO_GRADIENT_FEATURES"


def test_invalid_configuration_is_refused() -> None:
    with pytest.raises(InvalidArgument) as error:
        PolicyConfig(span_weight_bps=10_000)
    assert error.value.field == "policy.span_weight_bps"
    with pytest.raises(InvalidArgument) as error:
        PolicyConfig(gradient_only_max_parameters=10, span_only_min_parameters=10)
    assert error.value.field == "policy.span_only_min_parameters"
    with pytest.raises(InvalidArgument):
        MethodWeights(Method.SPAN, 5_000)
    with pytest.raises(InvalidArgument):
        choose_methods(0, True, SIZED)


def test_combine_normalises_each_method_then_mixes() -> None:
    weights = MethodWeights(Method.COMBINED, 2_500)
    span = {"a": 3.0, "b": 1.0}
    gradient = {"a": 0.002, "c": 0.006, "d": -0.004}
    scores = combine(span, gradient, weights)
    assert scores == pytest.approx(
        {"a": 0.25 * 0.75 + 0.75 * 0.25, "b": 0.25 * 0.25, "c": 0.75 * 0.75, "d": 0.75 * -0.5}
    )
    assert sum(v for v in scores.values() if v > 0) == pytest.approx(1.0)


def test_a_method_without_positive_credit_leaves_its_weight_to_the_other() -> None:
    weights = MethodWeights(Method.COMBINED, 5_000)
    assert combine({}, {"a": 2.0, "b": 6.0}, weights) == pytest.approx({"a": 0.25, "b": 0.75})
    assert combine({"a": 1.0}, {"b": -1.0}, weights) == {"a": 1.0}
    assert combine({}, {"b": -1.0}, weights) == {}


def test_single_methods_use_only_their_own_credits() -> None:
    span_only = combine({"a": 2.0, "b": 2.0}, {"c": 5.0}, MethodWeights(Method.SPAN, 10_000))
    assert span_only == {"a": 0.5, "b": 0.5}
    gradient_only = combine({"a": 2.0}, {"c": 5.0, "d": -5.0}, MethodWeights(Method.GRADIENT, 0))
    assert gradient_only == {"c": 1.0, "d": -1.0}

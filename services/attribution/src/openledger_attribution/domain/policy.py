"""Which attribution method scores a completion, and how two methods' credits mix.

The choice follows cost and signal. Gradient influence needs the adapter's training-time
features and one backward pass of the base model per completion: on a small model that is cheap
and it is the sharper signal (it sees paraphrase, not only verbatim text); on a large model the
backward pass dominates a worker's time, while span matching costs the same for any model size
(one suffix-array lookup per span). So, by default:

- no gradient features (or no adapter): SPAN;
- base model above ``span_only_min_parameters``: SPAN, even with features;
- base model at or below ``gradient_only_max_parameters``: GRADIENT alone;
- otherwise: COMBINED, the spans weighted ``span_weight_bps``.

``gradient_only_max_parameters`` is 0 by default, so an adapter with features on a model under
the size limit gets COMBINED (what ``AttributionMethod`` documents for an unspecified method):
verbatim reuse stays visible as spans while influence credits what was paraphrased.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from openledger_kit.errors import FailedPrecondition, InvalidArgument

MAX_BPS = 10_000


class Method(StrEnum):
    """How contributions are scored (``openledger.attribution.v1.AttributionMethod``)."""

    SPAN = "SPAN"
    GRADIENT = "GRADIENT"
    COMBINED = "COMBINED"


@dataclass(frozen=True)
class PolicyConfig:
    """The size limits and the mix; see the module docstring."""

    gradient_only_max_parameters: int = 0
    span_only_min_parameters: int = 7_000_000_000
    span_weight_bps: int = 5_000

    def __post_init__(self) -> None:
        if self.gradient_only_max_parameters < 0:
            raise InvalidArgument("policy.gradient_only_max_parameters", "must be >= 0")
        if self.span_only_min_parameters <= self.gradient_only_max_parameters:
            raise InvalidArgument(
                "policy.span_only_min_parameters",
                "must be above policy.gradient_only_max_parameters",
            )
        if not 0 < self.span_weight_bps < MAX_BPS:
            raise InvalidArgument(
                "policy.span_weight_bps", "must be strictly between 0 and 10000 (a real mix)"
            )


@dataclass(frozen=True)
class MethodWeights:
    """The method and the span scores' weight in basis points (10000 for SPAN, 0 for
    GRADIENT); the gradient scores get the rest."""

    method: Method
    span_weight_bps: int

    def __post_init__(self) -> None:
        if not 0 <= self.span_weight_bps <= MAX_BPS:
            raise InvalidArgument("span_weight_bps", "must be between 0 and 10000")
        expected = {Method.SPAN: MAX_BPS, Method.GRADIENT: 0}.get(self.method)
        if expected is not None and self.span_weight_bps != expected:
            raise InvalidArgument(
                "span_weight_bps", f"{self.method} takes span_weight_bps {expected}"
            )

    @classmethod
    def of(cls, method: Method, config: PolicyConfig) -> MethodWeights:
        if method is Method.SPAN:
            return cls(method, MAX_BPS)
        if method is Method.GRADIENT:
            return cls(method, 0)
        return cls(method, config.span_weight_bps)

    @property
    def uses_span(self) -> bool:
        return self.span_weight_bps > 0

    @property
    def uses_gradient(self) -> bool:
        return self.span_weight_bps < MAX_BPS


def choose_methods(
    base_model_parameters: int,
    has_features: bool,
    config: PolicyConfig,
    *,
    requested: Method | None = None,
) -> MethodWeights:
    """The method for a completion on a base model of ``base_model_parameters`` parameters
    whose adapter has (``has_features``) gradient features or not. ``requested`` (an ad-hoc
    ``Attribute`` call's method) overrides the size rule but still needs the features."""
    if base_model_parameters <= 0:
        raise InvalidArgument("base_model_parameters", "must be positive")
    if requested is not None:
        if requested is not Method.SPAN and not has_features:
            raise FailedPrecondition(
                f"method {requested} needs an adapter with gradient features",
                reason="NO_GRADIENT_FEATURES",
            )
        return MethodWeights.of(requested, config)
    if not has_features or base_model_parameters > config.span_only_min_parameters:
        return MethodWeights.of(Method.SPAN, config)
    if base_model_parameters <= config.gradient_only_max_parameters:
        return MethodWeights.of(Method.GRADIENT, config)
    return MethodWeights.of(Method.COMBINED, config)


def combine(
    span_credits: Mapping[str, float],
    gradient_credits: Mapping[str, float],
    weights: MethodWeights,
) -> dict[str, float]:
    """Each contributor's final score: ``w * span + (1 - w) * gradient`` after dividing each
    method's credits by that method's total positive credit, so both are on the same scale
    (the positive scores of one method sum to 1) and negative influence stays negative on it.

    A method that found no positive credit (no span matched, or every influence was negative)
    has nothing to normalise by: its weight goes to the other method, so evidence from one
    method still pays. Contributors whose final score is 0 are left out."""
    span = _normalised(span_credits) if weights.uses_span else None
    gradient = _normalised(gradient_credits) if weights.uses_gradient else None
    span_weight = weights.span_weight_bps / MAX_BPS
    if span is None:
        span_weight = 0.0
    elif gradient is None:
        span_weight = 1.0
    scores: dict[str, float] = {}
    for part, weight in ((span, span_weight), (gradient, 1 - span_weight)):
        if part is None or weight == 0.0:
            continue
        for contributor, value in part.items():
            scores[contributor] = scores.get(contributor, 0.0) + weight * value
    return {contributor: score for contributor, score in scores.items() if score != 0.0}


def _normalised(credits: Mapping[str, float]) -> dict[str, float] | None:
    positive = sum(value for value in credits.values() if value > 0)
    if positive <= 0:
        return None
    return {contributor: value / positive for contributor, value in credits.items()}

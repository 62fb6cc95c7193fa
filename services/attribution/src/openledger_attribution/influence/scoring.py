"""Influence of each training example on a completion, from projected LoRA gradients, and its
split into contributor credits (rewards) and negative influence (the datanet penalty path).

The score of training example z for a completion q is the damped influence-function inner
product ``s(z, q) = g_qᵀ (F + λI)⁻¹ g_z`` (positive: training on z made q more likely), with
g the projected gradients and ``F = ΦᵀΦ / N`` the empirical Fisher (the Gauss-Newton Hessian
of the LoRA loss) of the N stored features Φ, in the projected space: the TRAK form.

Why TRAK's form and not DataInf's:
- DataInf approximates each layer's ``(F_l + λ_l I)⁻¹`` by averaging Sherman-Morrison inverses of
  the rank-one terms, so that nothing bigger than a layer's gradient is ever inverted; it needs
  per-layer gradients and its error grows with the layer's dimension. The stored features are
  one projected vector per example (the layers mixed by the projection), so DataInf's per-layer
  structure is not available, and in dim ≤ 8192 there is no need to approximate: the exact
  damped inverse costs one Cholesky solve of the smaller of ``dim×dim`` and ``N×N``.
- The preconditioned features ``Ψ = Φ (F + λI)⁻¹`` are computed once per adapter and cached;
  a completion then costs one ``Ψ g_q`` mat-vec, as much as undamped dot-product scoring.
  When N < dim, Ψ comes from the N×N Gram matrix through the push-through identity
  ``Φ (ΦᵀΦ/N + λI)⁻¹ = (ΦΦᵀ/N + λI)⁻¹ Φ``: the same matrix, cheaper.

Damping: ``λ = damping × tr(F) / dim``, the damping relative to F's mean eigenvalue, so one
setting suits adapters whose gradients differ in scale by orders of magnitude. Small damping
trusts the curvature (and its noise in directions few examples span); large damping tends to
plain dot products scaled by 1/λ.

Per contributor, the score is the sum over the contributor's records. Contributors with a
positive sum share the credits in proportion to it. A contributor is reported as negative when
its sum is below ``-negative_z · σ · √n``: σ is the root mean square of the completion's
per-example scores (the spread of influence around zero, "no influence") and n the
contributor's number of records, so the threshold is z standard deviations of a sum of n
examples of typical influence: a contributor is not reported for owning many records, nor for
small negative noise.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch

from openledger_attribution.influence.features import TrainingFeatures
from openledger_kit.errors import InvalidArgument


@dataclass(frozen=True)
class InfluenceParameters:
    damping: float = 0.1
    """λ relative to the mean eigenvalue of the features' Fisher matrix (see the module)."""
    top_examples: int = 10
    """Examples kept in ``InfluenceResult.top``, by largest |score|."""
    negative_z: float = 3.0
    """How many standard deviations below zero a contributor's sum must be to be reported."""

    def __post_init__(self) -> None:
        if not (math.isfinite(self.damping) and self.damping > 0):
            raise InvalidArgument("parameters.damping", f"must be positive, got {self.damping}")
        if self.top_examples < 0:
            raise InvalidArgument(
                "parameters.top_examples", f"must not be negative, got {self.top_examples}"
            )
        if not (math.isfinite(self.negative_z) and self.negative_z >= 0):
            raise InvalidArgument(
                "parameters.negative_z", f"must not be negative, got {self.negative_z}"
            )


@dataclass(frozen=True)
class ExampleInfluence:
    snapshot_index: int
    score: float


@dataclass(frozen=True)
class InfluenceResult:
    top: tuple[ExampleInfluence, ...]
    """The ``top_examples`` examples of largest |score|, by score descending (negative
    influence last), then snapshot index ascending."""
    credits: Mapping[str, float]
    """Contributor → share of the positive contributor sums; sums to 1, or empty when no
    contributor's sum is positive."""
    negative: Mapping[str, float]
    """Contributor → its (negative) sum, for contributors beyond the negative threshold."""
    contributor_scores: Mapping[str, float]
    """Contributor → the sum of its records' scores (may be negative), for every contributor
    with a record in the features."""


class InfluenceScorer:
    """Scores completions' projected gradients against one adapter's training features."""

    def __init__(
        self,
        features: TrainingFeatures,
        contributors: Sequence[str],
        params: InfluenceParameters = InfluenceParameters(),  # noqa: B008  # frozen, immutable
    ) -> None:
        """``contributors[i]`` owns snapshot record i (every record of the snapshot, also those
        without features)."""
        indexes = features.snapshot_indexes
        if features.examples == 0:
            raise InvalidArgument("features", "no training example has features")
        if int(indexes.max()) >= len(contributors):
            raise InvalidArgument(
                "contributors",
                f"{len(contributors)} contributors for a snapshot with record index"
                f" {int(indexes.max())}",
            )
        self.params = params
        self.dim = features.projection_dim
        names = sorted({contributors[i] for i in indexes.tolist()})
        self._names = names
        slot = {name: k for k, name in enumerate(names)}
        self._owner = torch.tensor([slot[contributors[i]] for i in indexes.tolist()])
        self._counts = torch.bincount(self._owner, minlength=len(names)).to(torch.float64)
        self._indexes = indexes.tolist()
        # float32 for the per-query mat-vec (as fast as plain dot products); the solve itself
        # runs in float64.
        self._preconditioned = precondition(features.features, params.damping).to(torch.float32)

    def score(self, queries: torch.Tensor) -> list[InfluenceResult]:
        """``queries``: [Q, dim] projected completion gradients → one result per row."""
        if queries.dim() != 2 or queries.shape[1] != self.dim:
            raise InvalidArgument("queries", f"must be [Q, {self.dim}], got {tuple(queries.shape)}")
        scores = self.example_scores(queries).to(torch.float64)
        return [self._result(row) for row in scores]

    def example_scores(self, queries: torch.Tensor) -> torch.Tensor:
        """float32 [Q, N]: every training example's score for every query."""
        return queries.to(torch.float32) @ self._preconditioned.T

    def _result(self, scores: torch.Tensor) -> InfluenceResult:
        sums = torch.zeros(len(self._names), dtype=torch.float64).index_add_(0, self._owner, scores)
        positive = sums.clamp(min=0)
        total = float(positive.sum())
        credits = (
            {
                name: float(value) / total
                for name, value in zip(self._names, positive.tolist(), strict=True)
                if value > 0
            }
            if total > 0
            else {}
        )
        sigma = float(scores.square().mean().sqrt())
        limits = -self.params.negative_z * sigma * self._counts.sqrt()
        negative = {
            name: float(value)
            for name, value, limit in zip(self._names, sums.tolist(), limits.tolist(), strict=True)
            if value < limit
        }
        return InfluenceResult(
            top=self._top(scores),
            credits=credits,
            negative=negative,
            contributor_scores=dict(zip(self._names, sums.tolist(), strict=True)),
        )

    def _top(self, scores: torch.Tensor) -> tuple[ExampleInfluence, ...]:
        k = min(self.params.top_examples, scores.numel())
        if k == 0:
            return ()
        # topk alone breaks ties at the k-th magnitude arbitrarily; every example tied with
        # it is taken, and the lower snapshot indexes (rows are in index order) win.
        magnitude = scores.abs()
        kth = torch.topk(magnitude, k, sorted=False).values.min()
        candidates = torch.nonzero(magnitude >= kth).flatten().tolist()
        candidates.sort(key=lambda i: (-float(magnitude[i]), i))
        chosen = [ExampleInfluence(self._indexes[i], float(scores[i])) for i in candidates[:k]]
        return tuple(sorted(chosen, key=lambda e: (-e.score, e.snapshot_index)))


def precondition(features: torch.Tensor, damping: float) -> torch.Tensor:
    """``Φ (ΦᵀΦ/N + λI)⁻¹`` (float64 [N, dim]) for features Φ [N, dim], with
    ``λ = damping · tr(ΦᵀΦ/N) / dim``; computed in float64 through a Cholesky solve of the
    smaller Gram matrix."""
    phi = features.to(torch.float64)
    n, dim = phi.shape
    lam = damping * float(phi.square().sum()) / (n * dim)
    if lam == 0:
        # All-zero features (an adapter whose loss was flat): every score is zero.
        return phi
    if n >= dim:
        system = phi.T @ phi / n + lam * torch.eye(dim, dtype=torch.float64)
        # (F + λI) is symmetric, so Φ (F + λI)⁻¹ = ((F + λI)⁻¹ Φᵀ)ᵀ.
        return torch.cholesky_solve(phi.T, torch.linalg.cholesky(system)).T
    gram = phi @ phi.T / n + lam * torch.eye(n, dtype=torch.float64)
    return torch.cholesky_solve(phi, torch.linalg.cholesky(gram))

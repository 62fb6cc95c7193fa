import pytest
import torch

from openledger_attribution.influence.features import TrainingFeatures
from openledger_attribution.influence.scoring import (
    ExampleInfluence,
    InfluenceParameters,
    InfluenceScorer,
    precondition,
)
from openledger_kit.errors import InvalidArgument


def _features(phi: torch.Tensor, indexes: list[int] | None = None) -> TrainingFeatures:
    n = phi.shape[0]
    return TrainingFeatures(
        features=phi.to(torch.float16),
        snapshot_indexes=torch.tensor(indexes if indexes is not None else list(range(n))),
        projection_dim=phi.shape[1],
        projection_seed=0,
        snapshot="s",
        merkle_root="0x",
    )


def _direct(phi: torch.Tensor, damping: float) -> torch.Tensor:
    """Φ (ΦᵀΦ/N + λI)⁻¹ with λ = damping · mean eigenvalue, by a plain dense solve."""
    phi = phi.double()
    n, dim = phi.shape
    fisher = phi.T @ phi / n
    lam = damping * float(torch.linalg.eigvalsh(fisher).mean())
    solved: torch.Tensor = torch.linalg.solve(
        fisher + lam * torch.eye(dim, dtype=torch.float64), phi.T
    )
    return solved.T


@pytest.mark.parametrize(("n", "dim"), [(200, 32), (10, 64)])
@pytest.mark.parametrize("damping", [0.01, 0.1, 1.0])
def test_preconditioner_matches_direct_solve(n: int, dim: int, damping: float) -> None:
    """Both the dim×dim path (N ≥ dim) and the Gram path (N < dim) give the direct formula."""
    generator = torch.Generator().manual_seed(n + dim)
    phi = torch.randn(n, dim, generator=generator) * torch.linspace(0.1, 3.0, dim)

    assert torch.allclose(precondition(phi, damping), _direct(phi, damping), rtol=1e-8, atol=1e-10)


def test_scores_are_preconditioned_inner_products() -> None:
    generator = torch.Generator().manual_seed(1)
    phi = torch.randn(50, 16, generator=generator).to(torch.float16).float()
    queries = torch.randn(3, 16, generator=generator)
    scorer = InfluenceScorer(_features(phi), [f"c{i % 5}" for i in range(50)])

    expected = queries.double() @ _direct(phi, 0.1).T

    assert torch.allclose(scorer.example_scores(queries).double(), expected, rtol=1e-4, atol=1e-5)


def test_large_damping_tends_to_dot_products_and_small_damping_whitens() -> None:
    """One dominant direction in the features: plain dot products rank by it; the damped
    inverse discounts it (what every example shares says little about any one of them)."""
    generator = torch.Generator().manual_seed(2)
    phi = torch.randn(100, 8, generator=generator)
    phi[:, 0] *= 20.0
    query = torch.randn(1, 8, generator=generator)
    query[0, 0] = 20.0
    dot = (query @ phi.T)[0]

    def scores(damping: float) -> torch.Tensor:
        return InfluenceScorer(
            _features(phi), ["c"] * 100, InfluenceParameters(damping=damping)
        ).example_scores(query)[0]

    def correlation(a: torch.Tensor, b: torch.Tensor) -> float:
        return float(torch.corrcoef(torch.stack([a.double(), b.double()]))[0, 1])

    assert correlation(scores(1e4), dot) > 0.999
    assert correlation(scores(1e-3), dot) < 0.9
    # λ scales the scores down: a hundred times the damping, about a hundredth of the scores.
    ratio = float(scores(1e4).norm() / scores(1e6).norm())
    assert 90 < ratio < 110


def _identity_scorer(contributors: list[str], **params: float) -> InfluenceScorer:
    """Features I (dim = N): every score is the query's own entry times one positive constant,
    so a query sets the per-example scores directly."""
    n = len(contributors)
    return InfluenceScorer(_features(torch.eye(n)), contributors, InfluenceParameters(**params))  # type: ignore[arg-type]


def test_credits_are_shares_of_positive_contributor_sums() -> None:
    scorer = _identity_scorer(["a", "a", "b", "c", "c", "d"])
    query = torch.tensor([[1.0, 2.0, 1.0, 3.0, -1.0, -0.5]])

    (result,) = scorer.score(query)

    scale = result.contributor_scores["b"]  # b's single record has query value 1
    assert result.contributor_scores == pytest.approx(
        {"a": 3 * scale, "b": scale, "c": 2 * scale, "d": -0.5 * scale}
    )
    assert result.credits == pytest.approx({"a": 0.5, "b": 1 / 6, "c": 1 / 3})
    assert sum(result.credits.values()) == pytest.approx(1.0)
    assert "d" not in result.credits


def test_no_positive_contributor_gives_no_credits() -> None:
    scorer = _identity_scorer(["a", "b"])

    (result,) = scorer.score(torch.tensor([[-1.0, -2.0]]))

    assert result.credits == {}


def test_negative_rule_uses_z_sigma_of_a_sum_of_n_examples() -> None:
    contributors = ["good"] * 4 + ["bad"] * 4 + ["meh"] + ["n"] * 8
    values = [1.0] * 4 + [-2.0] * 4 + [-0.5] + [0.1, -0.05] * 4
    # σ, the RMS of the values, is 1.093: bad's sum -8 is below -3σ√4 = -6.56, meh's -0.5 is
    # above -3σ√1 = -3.28.
    query = torch.tensor([values])

    (result,) = _identity_scorer(contributors).score(query)

    scale = result.contributor_scores["good"] / 4
    assert result.negative == pytest.approx({"bad": -8 * scale})
    assert result.contributor_scores["meh"] < 0
    assert "meh" not in result.credits and "bad" not in result.credits
    (everyone,) = _identity_scorer(contributors, negative_z=0.0).score(query)
    assert set(everyone.negative) == {"bad", "meh"}


def test_top_examples_by_magnitude_ordered_by_score() -> None:
    features = _features(torch.eye(5), indexes=[3, 5, 8, 13, 21])
    scorer = InfluenceScorer(features, ["x"] * 22, InfluenceParameters(top_examples=3))

    (result,) = scorer.score(torch.tensor([[0.5, -4.0, 3.0, 0.1, 2.0]]))

    assert [e.snapshot_index for e in result.top] == [8, 21, 5]
    assert isinstance(result.top[0], ExampleInfluence) and result.top[0].score > 0
    assert result.top[-1].score < 0


def test_invalid_inputs_name_the_field() -> None:
    with pytest.raises(InvalidArgument, match="parameters.damping"):
        InfluenceParameters(damping=0.0)
    with pytest.raises(InvalidArgument, match="parameters.negative_z"):
        InfluenceParameters(negative_z=-1.0)
    with pytest.raises(InvalidArgument, match="contributors"):
        InfluenceScorer(_features(torch.eye(3), indexes=[0, 1, 5]), ["a"] * 5)
    scorer = _identity_scorer(["a", "b"])
    with pytest.raises(InvalidArgument, match="queries"):
        scorer.score(torch.zeros(1, 3))


def test_ties_at_the_cut_go_to_the_lower_snapshot_index() -> None:
    scorer = InfluenceScorer(
        _features(torch.eye(4), indexes=[2, 4, 6, 8]),
        ["x"] * 9,
        InfluenceParameters(top_examples=2),
    )

    (result,) = scorer.score(torch.tensor([[1.0, -1.0, 1.0, 1.0]]))

    assert [e.snapshot_index for e in result.top] == [2, 4]

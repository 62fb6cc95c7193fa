import pytest
import torch

from openledger_attribution.influence.query import Completion, QueryGradients
from openledger_kit.errors import InvalidArgument
from openledger_ml.gradients import completion_features
from openledger_ml.lora import lora_parameters
from openledger_ml.projection import Projector
from services.attribution.tests.influence.support import (
    PROJECTION_DIM,
    PROJECTION_SEED,
    planted_examples,
    train_adapter,
)


@pytest.fixture(scope="module")
def model() -> torch.nn.Module:
    torch.set_num_threads(1)
    return train_adapter(planted_examples()[:4], steps=5)


def test_batched_features_equal_one_completion_at_a_time(model: torch.nn.Module) -> None:
    """Padding the batch changes nothing: each row is ``completion_features`` of its own."""
    completions = [
        e.completion(n) for e, n in zip(planted_examples(), (3, 9, 6, 12, 1), strict=False)
    ]
    queries = QueryGradients(model, projection_dim=PROJECTION_DIM, projection_seed=PROJECTION_SEED)

    batched = queries.features(completions, batch_size=3)

    params = lora_parameters(model)
    projector = Projector([(n, p.numel()) for n, p in params], PROJECTION_DIM, PROJECTION_SEED)
    one_by_one = torch.stack(
        [
            completion_features(model, params, c.prompt_ids, c.output_ids, projector)
            for c in completions
        ]
    )
    assert batched.shape == (5, PROJECTION_DIM)
    assert torch.allclose(batched, one_by_one, rtol=1e-4, atol=1e-6)
    assert batched.norm(dim=1).min() > 0


def test_invalid_completions_name_the_field(model: torch.nn.Module) -> None:
    queries = QueryGradients(model, projection_dim=PROJECTION_DIM, projection_seed=PROJECTION_SEED)
    with pytest.raises(InvalidArgument, match=r"completions\[1\].output_ids"):
        queries.features([Completion((1, 2), (3,)), Completion((1, 2), ())])
    with pytest.raises(InvalidArgument, match=r"completions\[0\].prompt_ids"):
        queries.features([Completion((1, 5000), (3,))])
    with pytest.raises(InvalidArgument, match=r"completions\[0\]: 600 tokens"):
        queries.features([Completion((1,) * 590, (3,) * 10)])

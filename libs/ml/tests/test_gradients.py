from __future__ import annotations

import pytest
import torch
from peft import PeftModel
from transformers import AutoModelForCausalLM, PreTrainedModel

from openledger_ml.gradients import (
    completion_features,
    per_example_gradients,
    per_example_lora_gradients,
)
from openledger_ml.lora import attach_lora, lora_config, lora_parameters
from openledger_ml.models.tiny import build_tiny_llama
from openledger_ml.projection import Projector
from openledger_ml.templates import IGNORE_INDEX

PAD = 3
# (input ids, number of leading prompt tokens without loss); lengths differ, so the batch
# is right-padded.
EXAMPLES = [
    ([12, 40, 7, 99, 250, 31, 8, 64, 2], 4),
    ([5, 77, 18, 401], 1),
    ([300, 6, 45, 45, 45, 120, 9], 3),
]


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> PeftModel:
    model_dir = build_tiny_llama(
        tmp_path_factory.mktemp("tiny") / "model",
        vocab_size=512,
        hidden_size=32,
        intermediate_size=64,
    )
    peft_model = attach_lora(
        AutoModelForCausalLM.from_pretrained(model_dir),
        # Dropout on: the features must not see it.
        lora_config(rank=4, alpha=8, dropout=0.3, target_modules=["q_proj", "v_proj"]),
        seed=0,
    )
    # Non-zero B, as after training (a fresh B is zero, which makes A's gradients zero).
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for name, parameter in lora_parameters(peft_model):
            if ".lora_B." in name:
                parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.5)
    return peft_model.train()


def _labels(ids: list[int], prompt: int) -> list[int]:
    return [IGNORE_INDEX] * prompt + ids[prompt:]


def _batch(examples: list[tuple[list[int], int]]) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(ids) for ids, _ in examples)
    input_ids = [ids + [PAD] * (width - len(ids)) for ids, _ in examples]
    labels = [
        _labels(ids, prompt) + [IGNORE_INDEX] * (width - len(ids)) for ids, prompt in examples
    ]
    return torch.tensor(input_ids), torch.tensor(labels)


def _loop_gradients(model: PeftModel, ids: list[int], prompt: int) -> dict[str, torch.Tensor]:
    """One example at a time, unpadded, with the model's own loss and autograd."""
    params = lora_parameters(model)
    model.eval()
    try:
        model.zero_grad()
        loss = model(
            input_ids=torch.tensor([ids]), labels=torch.tensor([_labels(ids, prompt)])
        ).loss
        loss.backward()
        grads = {name: p.grad.detach().clone() for name, p in params if p.grad is not None}
        model.zero_grad()
    finally:
        model.train()
    assert len(grads) == len(params)
    return grads


def _projector(model: PeftModel, dim: int = 24) -> Projector:
    return Projector([(name, p.numel()) for name, p in lora_parameters(model)], dim, seed=5)


def test_vmap_gradients_equal_one_example_at_a_time(model: PeftModel) -> None:
    input_ids, labels = _batch(EXAMPLES)
    batched = per_example_lora_gradients(model, lora_parameters(model), input_ids, labels)
    for row, (ids, prompt) in enumerate(EXAMPLES):
        expected = _loop_gradients(model, ids, prompt)
        assert set(batched) == set(expected)
        for name, grad in expected.items():
            assert grad.abs().max() > 0
            torch.testing.assert_close(batched[name][row], grad, rtol=0, atol=1e-5)


def test_projected_features_match_the_loop(model: PeftModel) -> None:
    projector = _projector(model)
    input_ids, labels = _batch(EXAMPLES)
    features = per_example_gradients(model, lora_parameters(model), input_ids, labels, projector)
    assert features.shape == (len(EXAMPLES), projector.dim)
    assert features.dtype == torch.float32
    for row, (ids, prompt) in enumerate(EXAMPLES):
        grads = _loop_gradients(model, ids, prompt)
        expected = projector.project({name: g.unsqueeze(0) for name, g in grads.items()})[0]
        torch.testing.assert_close(features[row], expected, rtol=0, atol=1e-5)


def test_padding_does_not_change_an_example(model: PeftModel) -> None:
    projector = _projector(model)
    params = lora_parameters(model)
    short = EXAMPLES[1]
    alone = per_example_gradients(model, params, *_batch([short]), projector)[0]
    padded = per_example_gradients(model, params, *_batch(EXAMPLES), projector)[1]
    torch.testing.assert_close(padded, alone, rtol=0, atol=1e-5)


def test_the_model_is_left_as_it_was(model: PeftModel) -> None:
    base = model.get_base_model()
    assert isinstance(base, PreTrainedModel)
    before = base.config._attn_implementation
    assert model.training
    per_example_gradients(model, lora_parameters(model), *_batch(EXAMPLES), _projector(model))
    assert model.training
    assert base.config._attn_implementation == before
    assert all(p.grad is None for _, p in lora_parameters(model))


def test_an_example_without_labels_has_zero_features(model: PeftModel) -> None:
    input_ids = torch.tensor([[12, 40, 7, 99]])
    labels = torch.full_like(input_ids, IGNORE_INDEX)
    features = per_example_gradients(
        model, lora_parameters(model), input_ids, labels, _projector(model)
    )
    assert torch.equal(features, torch.zeros_like(features))


def test_completion_features_are_the_features_of_prompt_plus_output(model: PeftModel) -> None:
    projector = _projector(model)
    ids, prompt = EXAMPLES[0]
    features = completion_features(
        model, lora_parameters(model), ids[:prompt], ids[prompt:], projector
    )
    grads = _loop_gradients(model, ids, prompt)
    expected = projector.project({name: g.unsqueeze(0) for name, g in grads.items()})[0]
    assert features.shape == (projector.dim,)
    torch.testing.assert_close(features, expected, rtol=0, atol=1e-5)
    with pytest.raises(ValueError, match="output_ids"):
        completion_features(model, lora_parameters(model), ids, [], projector)


def test_parameters_of_another_model_are_refused(model: PeftModel) -> None:
    stranger = [("w", torch.nn.Parameter(torch.zeros(2)))]
    with pytest.raises(ValueError, match="not parameters of the model"):
        per_example_lora_gradients(model, stranger, *_batch(EXAMPLES))

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import torch
from peft import PeftModel
from safetensors import safe_open
from transformers import AutoModelForCausalLM, PreTrainedModel

from openledger_ml.lora import (
    add_adapter,
    attach_lora,
    file_sha256,
    load_adapter,
    lora_config,
    lora_parameters,
    save_adapter,
)
from openledger_ml.models.tiny import build_tiny_llama

TARGETS = ("v_proj", "q_proj")
INPUT = torch.tensor([[5, 17, 42, 99, 7, 3, 250, 11]])


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_llama(
        tmp_path_factory.mktemp("tiny") / "model",
        vocab_size=512,
        hidden_size=32,
        intermediate_size=64,
    )


def _base(model_dir: Path) -> PreTrainedModel:
    model = AutoModelForCausalLM.from_pretrained(model_dir)
    assert isinstance(model, PreTrainedModel)
    model.train(False)
    return model


def _trained(model_dir: Path, seed: int) -> PeftModel:
    """A LoRA model whose B matrices are non-zero, as after training (fresh B is zero)."""
    model = attach_lora(
        _base(model_dir),
        lora_config(rank=4, alpha=8, dropout=0.0, target_modules=TARGETS),
        seed=seed,
    )
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, parameter in lora_parameters(model):
            if ".lora_B." in name:
                parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.5)
    return model.eval()


def _logits(model: torch.nn.Module) -> torch.Tensor:
    with torch.no_grad():
        logits: torch.Tensor = model(input_ids=INPUT).logits
    return logits


def test_lora_config() -> None:
    config = lora_config(rank=8, alpha=16.0, dropout=0.05, target_modules=TARGETS)
    assert (config.r, config.lora_alpha, config.lora_dropout) == (8, 16.0, 0.05)
    assert sorted(config.target_modules or ()) == ["q_proj", "v_proj"]
    assert config.bias == "none"
    assert config.task_type == "CAUSAL_LM"


def test_attach_lora_is_seeded_and_leaves_the_global_rng_alone(model_dir: Path) -> None:
    config = lora_config(rank=4, alpha=8, dropout=0.0, target_modules=TARGETS)
    state = torch.random.get_rng_state()
    first = lora_parameters(attach_lora(_base(model_dir), config, seed=3))
    assert torch.equal(torch.random.get_rng_state(), state)
    again = lora_parameters(attach_lora(_base(model_dir), config, seed=3))
    other = lora_parameters(attach_lora(_base(model_dir), config, seed=4))
    assert [name for name, _ in first] == [name for name, _ in again]
    assert all(torch.equal(a, b) for (_, a), (_, b) in zip(first, again, strict=True))
    lora_a = [i for i, (name, _) in enumerate(first) if ".lora_A." in name]
    assert not any(torch.equal(first[i][1], other[i][1]) for i in lora_a)


def test_lora_parameters_are_canonical(model_dir: Path) -> None:
    names = [name for name, _ in lora_parameters(_trained(model_dir, seed=1))]
    assert names == sorted(names)
    assert names[:4] == [
        "model.layers.0.self_attn.q_proj.lora_A.weight",
        "model.layers.0.self_attn.q_proj.lora_B.weight",
        "model.layers.0.self_attn.v_proj.lora_A.weight",
        "model.layers.0.self_attn.v_proj.lora_B.weight",
    ]
    assert len(names) == 2 * 2 * len(TARGETS)  # layers x (A, B) x targets


def test_save_adapter_writes_safetensors_with_a_stable_hash(
    model_dir: Path, tmp_path: Path
) -> None:
    model = _trained(model_dir, seed=1)
    saved = save_adapter(model, tmp_path / "one")
    assert sorted(p.name for p in (tmp_path / "one").iterdir()) == [
        "adapter_config.json",
        "adapter_model.safetensors",
    ]
    assert saved.sha256 == hashlib.sha256(saved.model_file.read_bytes()).hexdigest()
    assert saved.trainable_parameters == sum(p.numel() for _, p in lora_parameters(model))
    with safe_open(str(saved.model_file), framework="pt") as f:
        assert f.metadata() == {"format": "pt"}
    config = json.loads(saved.config_file.read_text())
    assert (config["r"], config["target_modules"]) == (4, ["q_proj", "v_proj"])

    # The same weights, built again in this process, give the same bytes.
    twin = save_adapter(_trained(model_dir, seed=1), tmp_path / "two")
    assert twin.sha256 == saved.sha256
    assert twin.config_file.read_bytes() == saved.config_file.read_bytes()
    assert save_adapter(_trained(model_dir, seed=2), tmp_path / "three").sha256 != saved.sha256


def test_adapter_round_trip_reproduces_outputs(model_dir: Path, tmp_path: Path) -> None:
    model = _trained(model_dir, seed=1)
    save_adapter(model, tmp_path / "adapter")
    base_logits = _logits(_base(model_dir))
    loaded = load_adapter(_base(model_dir), tmp_path / "adapter", adapter_name="medical-qa@3")
    torch.testing.assert_close(_logits(loaded), _logits(model), rtol=0, atol=1e-6)
    assert not torch.allclose(_logits(loaded), base_logits, atol=1e-3)
    # Canonical names do not depend on the name the adapter was loaded under.
    assert [n for n, _ in lora_parameters(loaded)] == [n for n, _ in lora_parameters(model)]
    assert not any(p.requires_grad for _, p in lora_parameters(loaded))
    trainable = load_adapter(_base(model_dir), tmp_path / "adapter", is_trainable=True)
    assert all(p.requires_grad for _, p in lora_parameters(trainable))


def test_add_adapter_serves_several_adapters(model_dir: Path, tmp_path: Path) -> None:
    first, second = _trained(model_dir, seed=1), _trained(model_dir, seed=2)
    save_adapter(first, tmp_path / "a")
    save_adapter(second, tmp_path / "b")
    serving = load_adapter(_base(model_dir), tmp_path / "a", adapter_name="a")
    add_adapter(serving, tmp_path / "b", "b")
    torch.testing.assert_close(_logits(serving), _logits(first), rtol=0, atol=1e-6)
    serving.set_adapter("b")
    torch.testing.assert_close(_logits(serving), _logits(second), rtol=0, atol=1e-6)
    assert [n for n, _ in lora_parameters(serving, adapter_name="a")] == [
        n for n, _ in lora_parameters(serving)
    ]


def test_pickled_adapters_are_refused(model_dir: Path, tmp_path: Path) -> None:
    saved = save_adapter(_trained(model_dir, seed=1), tmp_path / "adapter")
    saved.model_file.rename(tmp_path / "adapter" / "adapter_model.bin")
    with pytest.raises(ValueError, match="safetensors"):
        load_adapter(_base(model_dir), tmp_path / "adapter")
    serving = _trained(model_dir, seed=2)
    with pytest.raises(ValueError, match="safetensors"):
        add_adapter(serving, tmp_path / "adapter", "other")
    with pytest.raises(ValueError, match="safetensors"):
        load_adapter(_base(model_dir), tmp_path / "nowhere")


def test_file_sha256_streams_large_files(tmp_path: Path) -> None:
    data = bytes(range(256)) * 9000  # over one read chunk
    path = tmp_path / "blob"
    path.write_bytes(data)
    assert file_sha256(path) == hashlib.sha256(data).hexdigest()

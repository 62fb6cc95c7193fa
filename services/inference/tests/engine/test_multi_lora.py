"""Batched multi-LoRA: one forward pass over rows of different adapters gives, row for row, the
logits of peft's own ``PeftModel`` with that adapter, and base rows those of the plain model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from peft import LoraConfig, TaskType
from safetensors.torch import load_file, save_file

from openledger_inference.domain.model import AdapterDescriptor, AdapterRef, LocalAdapter
from openledger_inference.engine.multi_lora import HostAdapter, MultiLora, read_adapter
from openledger_kit.errors import FailedPrecondition, ResourceExhausted
from openledger_ml.lora import MODEL_FILE, attach_lora, load_adapter, save_adapter
from openledger_ml.models.loading import load_causal_lm
from openledger_ml.testing import tiny_llama_path

MAX_RANK = 16
PROMPT_LENGTH = 12
ATOL = 1e-5

VARIANTS: dict[str, dict[str, Any]] = {
    "attention": {"r": 4, "lora_alpha": 8, "target_modules": ["q_proj", "v_proj"]},
    "mlp-patterns": {
        "r": 8,
        "lora_alpha": 16,
        "target_modules": ["gate_proj", "up_proj", "down_proj"],
        "rank_pattern": {"gate_proj": 2},
        "alpha_pattern": {"down_proj": 40},
    },
    "rslora-all-linear": {
        "r": 6,
        "lora_alpha": 3,
        "use_rslora": True,
        "target_modules": "all-linear",
    },
    "regex": {"r": 2, "lora_alpha": 5, "target_modules": r".*\.layers\.1\.self_attn\.(k|o)_proj"},
    "one-layer": {
        "r": 3,
        "lora_alpha": 6,
        "target_modules": ["q_proj", "o_proj"],
        "layers_to_transform": [0],
    },
}


def write_adapter(directory: Path, seed: int, **options: Any) -> Path:
    """A peft adapter on the tiny Llama with seeded random A and B (peft starts B at zero)."""
    config = LoraConfig(task_type=TaskType.CAUSAL_LM, lora_dropout=0.0, **options)
    model = attach_lora(load_causal_lm(tiny_llama_path()), config, seed=seed)
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if "lora_" in name:
                parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.3)
    save_adapter(model, directory)
    return directory


def local(directory: Path, rank: int) -> LocalAdapter:
    descriptor = AdapterDescriptor(
        ref=AdapterRef(directory.name, 1),
        base_model="tiny-llama",
        base_model_revision="",
        adapter_sha256=b"",
        adapter_config_sha256=b"",
    )
    return LocalAdapter(descriptor=descriptor, directory=directory, rank=rank, size_bytes=0)


def host(directory: Path) -> HostAdapter:
    return read_adapter(local(directory, rank=1), MAX_RANK)


@pytest.fixture(scope="module")
def adapter_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("multi-lora")
    return {
        name: write_adapter(root / name, seed, **options)
        for seed, (name, options) in enumerate(VARIANTS.items(), start=1)
    }


@pytest.fixture(scope="module")
def prompts() -> torch.Tensor:
    generator = torch.Generator().manual_seed(7)
    return torch.randint(0, 1024, (len(VARIANTS) + 1, PROMPT_LENGTH), generator=generator)


def logits(model: torch.nn.Module, input_ids: torch.Tensor) -> torch.Tensor:
    with torch.inference_mode():
        return model(input_ids=input_ids).logits  # type: ignore[no-any-return]


def reference(adapter_dir: Path | None, input_ids: torch.Tensor) -> torch.Tensor:
    base = load_causal_lm(tiny_llama_path())
    model = base if adapter_dir is None else load_adapter(base, adapter_dir)
    return logits(model, input_ids)


def test_a_mixed_batch_equals_peft_row_for_row(
    adapter_dirs: dict[str, Path], prompts: torch.Tensor
) -> None:
    model = load_causal_lm(tiny_llama_path())
    lora = MultiLora(model, max_loras=len(VARIANTS))
    # Ranks arrive 4, 8, 6, ...: the stacks grow under the adapters already loaded.
    slots = [lora.inject(host(directory)) for directory in adapter_dirs.values()]
    rows: list[int | None] = [*slots, None]

    with lora.routing(rows):
        mixed = logits(model, prompts)

    for i, directory in enumerate([*adapter_dirs.values(), None]):
        expected = reference(directory, prompts[i : i + 1])
        torch.testing.assert_close(mixed[i : i + 1], expected, atol=ATOL, rtol=0)
    assert not torch.allclose(mixed[0], reference(None, prompts[0:1])[0], atol=1e-3)


def test_outside_routing_and_after_delete_the_model_is_the_base_model(
    adapter_dirs: dict[str, Path], prompts: torch.Tensor
) -> None:
    model = load_causal_lm(tiny_llama_path())
    base = logits(model, prompts[:2])
    lora = MultiLora(model, max_loras=2)
    first = lora.inject(host(adapter_dirs["attention"]))
    second = lora.inject(host(adapter_dirs["mlp-patterns"]))
    torch.testing.assert_close(logits(model, prompts[:2]), base, atol=0, rtol=0)

    lora.delete(first)
    with lora.routing([first, second]):
        after = logits(model, prompts[:2])
    torch.testing.assert_close(after[0], base[0], atol=ATOL, rtol=0)
    assert not torch.allclose(after[1], base[1], atol=1e-3)

    # The freed slot takes the next adapter.
    assert lora.inject(host(adapter_dirs["regex"])) == first


def test_slots_run_out(adapter_dirs: dict[str, Path]) -> None:
    lora = MultiLora(load_causal_lm(tiny_llama_path()), max_loras=1)
    lora.inject(host(adapter_dirs["attention"]))
    with pytest.raises(ResourceExhausted):
        lora.inject(host(adapter_dirs["regex"]))


@pytest.mark.parametrize(
    "options",
    [
        {"use_dora": True, "target_modules": ["q_proj"]},
        {"bias": "all", "target_modules": ["q_proj"]},
        {"bias": "lora_only", "target_modules": ["q_proj"]},
    ],
    ids=["dora", "bias-all", "bias-lora-only"],
)
def test_unserved_configurations_are_incompatible(tmp_path: Path, options: dict[str, Any]) -> None:
    directory = write_adapter(tmp_path / "adapter", seed=3, r=2, lora_alpha=4, **options)
    with pytest.raises(FailedPrecondition) as raised:
        host(directory)
    assert raised.value.reason == "ADAPTER_INCOMPATIBLE"


def test_rank_above_the_limit_is_refused(adapter_dirs: dict[str, Path]) -> None:
    with pytest.raises(FailedPrecondition) as raised:
        read_adapter(local(adapter_dirs["attention"], rank=4), max_rank=2)
    assert raised.value.reason == "ADAPTER_RANK_TOO_LARGE"


def edited(source: Path, target: Path, edit: Any) -> Path:
    """A copy of the adapter at ``source`` with its tensors passed through ``edit``."""
    target.mkdir()
    for file in source.iterdir():
        (target / file.name).write_bytes(file.read_bytes())
    save_file(edit(load_file(str(source / MODEL_FILE))), str(target / MODEL_FILE))
    return target


def renamed(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {
        key.replace("layers.0.self_attn.q_proj", "layers.7.self_attn.q_proj"): t
        for key, t in tensors.items()
    }


def truncated(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {key: t[:, :-1].contiguous() for key, t in tensors.items()}


def dropped(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return dict(sorted(tensors.items())[1:])


@pytest.mark.parametrize("edit", [renamed, truncated, dropped], ids=["unknown", "shape", "missing"])
def test_weights_that_do_not_fit_the_model_are_incompatible_and_take_no_slot(
    adapter_dirs: dict[str, Path], tmp_path: Path, edit: Any
) -> None:
    bad = edited(adapter_dirs["attention"], tmp_path / "bad", edit)
    lora = MultiLora(load_causal_lm(tiny_llama_path()), max_loras=1)
    with pytest.raises(FailedPrecondition) as raised:
        lora.inject(host(bad))
    assert raised.value.reason == "ADAPTER_INCOMPATIBLE"
    lora.inject(host(adapter_dirs["attention"]))


def test_an_embedding_target_is_incompatible(tmp_path: Path) -> None:
    directory = write_adapter(
        tmp_path / "embedding", seed=4, r=2, lora_alpha=4, target_modules=["embed_tokens"]
    )
    with pytest.raises(FailedPrecondition) as raised:
        MultiLora(load_causal_lm(tiny_llama_path()), max_loras=1).inject(host(directory))
    assert raised.value.reason == "ADAPTER_INCOMPATIBLE"
    assert "not a Linear layer" in str(raised.value)

"""LoRA adapters with peft: configuration, seeded attachment, and saving and loading as
safetensors only (an adapter file is registered on chain by its hash and loaded by other
nodes, so nothing in it may be executable)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from peft import LoraConfig, PeftModel, TaskType, get_peft_model
from peft.utils import get_peft_model_state_dict
from safetensors.torch import save_file
from transformers import PreTrainedModel

MODEL_FILE = "adapter_model.safetensors"
CONFIG_FILE = "adapter_config.json"
_PEFT_PREFIX = "base_model.model."
_HASH_CHUNK = 1 << 20


@dataclass(frozen=True)
class SavedAdapter:
    model_file: Path
    config_file: Path
    sha256: str
    """Hex SHA-256 of ``model_file``."""
    trainable_parameters: int


def lora_config(
    *, rank: int, alpha: float, dropout: float, target_modules: Sequence[str]
) -> LoraConfig:
    return LoraConfig(
        r=rank,
        lora_alpha=alpha,  # type: ignore[arg-type]  # peft annotates int; alpha/rank is a float scale
        lora_dropout=dropout,
        target_modules=sorted(target_modules),
        bias="none",
        task_type=TaskType.CAUSAL_LM,
    )


def attach_lora(
    model: PreTrainedModel, config: LoraConfig, *, seed: int | None = None
) -> PeftModel:
    """Wrap ``model`` (in place) with a fresh LoRA adapter. With ``seed``, the adapter's
    initial weights depend only on it; the caller's random state is left untouched."""
    if seed is None:
        return get_peft_model(model, config)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return get_peft_model(model, config)


def save_adapter(model: PeftModel, out_dir: Path) -> SavedAdapter:
    """Write the active adapter as ``adapter_model.safetensors`` and ``adapter_config.json``.
    Same weights give the same bytes: the tensors are written in key order with fixed
    metadata, and the config as sorted JSON."""
    adapter_name = _active_adapter(model)
    state = get_peft_model_state_dict(model, adapter_name=adapter_name)
    tensors = {name: tensor.detach().to("cpu").contiguous() for name, tensor in state.items()}
    out_dir.mkdir(parents=True, exist_ok=True)
    model_file, config_file = out_dir / MODEL_FILE, out_dir / CONFIG_FILE
    save_file(tensors, str(model_file), metadata={"format": "pt"})
    config_file.write_text(
        json.dumps(_config_dict(model.peft_config[adapter_name]), indent=2, sort_keys=True) + "\n",
        encoding="utf-8",
    )
    return SavedAdapter(
        model_file=model_file,
        config_file=config_file,
        sha256=file_sha256(model_file),
        trainable_parameters=sum(tensor.numel() for tensor in tensors.values()),
    )


def load_adapter(
    base_model: PreTrainedModel,
    adapter_dir: Path,
    *,
    adapter_name: str = "default",
    is_trainable: bool = False,
) -> PeftModel:
    """``base_model`` (modified in place) with the adapter saved in ``adapter_dir``."""
    _require_safetensors(adapter_dir)
    return PeftModel.from_pretrained(
        base_model, str(adapter_dir), adapter_name=adapter_name, is_trainable=is_trainable
    )


def add_adapter(peft_model: PeftModel, adapter_dir: Path, adapter_name: str) -> None:
    """Load one more adapter into ``peft_model`` beside the ones it has (inactive until
    ``set_adapter``), for serving several adapters on one base model."""
    _require_safetensors(adapter_dir)
    peft_model.load_adapter(str(adapter_dir), adapter_name=adapter_name, is_trainable=False)


def lora_parameters(
    model: torch.nn.Module, *, adapter_name: str | None = None
) -> list[tuple[str, torch.nn.Parameter]]:
    """The LoRA parameters of one adapter (the active one by default), sorted by canonical
    name: the parameter name without peft's ``base_model.model.`` prefix and without the
    adapter name, e.g. ``model.layers.0.self_attn.q_proj.lora_A.weight``. The same model
    gives the same list whichever name the adapter was loaded under, so per-example features
    computed at training and at attribution time line up."""
    adapter = adapter_name if adapter_name is not None else _active_adapter(model)
    found: list[tuple[str, torch.nn.Parameter]] = []
    for name, parameter in model.named_parameters():
        parts = name.split(".")
        for i in range(len(parts) - 1):
            if parts[i].startswith("lora_") and parts[i + 1] == adapter:
                canonical = ".".join(parts[: i + 1] + parts[i + 2 :])
                found.append((canonical.removeprefix(_PEFT_PREFIX), parameter))
                break
    if not found:
        raise ValueError(f"the model has no LoRA parameters for adapter {adapter!r}")
    return sorted(found, key=lambda item: item[0])


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _active_adapter(model: torch.nn.Module) -> str:
    active: Any = getattr(model, "active_adapter", None)
    if isinstance(active, str):
        return active
    raise ValueError("the model has no single active LoRA adapter")


def _require_safetensors(adapter_dir: Path) -> None:
    # peft would fall back to a pickled adapter_model.bin, or to a hub download.
    if not (adapter_dir / MODEL_FILE).is_file() or not (adapter_dir / CONFIG_FILE).is_file():
        raise ValueError(
            f"{adapter_dir}: an adapter directory must hold {MODEL_FILE} and {CONFIG_FILE};"
            " only safetensors adapters are loaded"
        )


def _config_dict(config: Any) -> dict[str, Any]:
    def plain(value: Any) -> Any:
        if isinstance(value, set | frozenset):
            return sorted(value)
        if isinstance(value, dict):
            return {key: plain(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [plain(item) for item in value]
        return value

    result: dict[str, Any] = plain(config.to_dict())
    return result

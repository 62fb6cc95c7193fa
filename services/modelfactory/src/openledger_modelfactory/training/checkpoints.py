"""Training checkpoints as plain files: safetensors for tensors, JSON for scalars, no pickle.

A checkpoint directory holds

- ``lora.safetensors``: the trainable (LoRA) parameters by their name in the peft model;
- ``optimizer.safetensors``: the optimizer's per-parameter state, ``"{index}.{key}"``;
- ``state.json``: the optimizer's parameter groups, the step (which is all the learning-rate
  schedule needs), the epoch, the last loss, the tokens processed and the seed.

Randomness needs no saved generator state: the loop reseeds from (seed, rank, step) before
every step, so a resumed run draws what an uninterrupted one would have.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

LORA_FILE = "lora.safetensors"
OPTIMIZER_FILE = "optimizer.safetensors"
STATE_FILE = "state.json"


@dataclass(frozen=True)
class TrainState:
    step: int
    """Optimizer steps done."""
    epoch: float
    """Epochs done, fractional inside an epoch."""
    loss: float
    tokens_processed: int
    seed: int


def trainable_state(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """The trainable parameters by name, detached copies on the CPU."""
    return {
        name: param.detach().to("cpu", copy=True).contiguous()
        for name, param in model.named_parameters()
        if param.requires_grad
    }


def save_checkpoint(
    directory: Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer, state: TrainState
) -> None:
    """Write the checkpoint files into ``directory`` (created if missing)."""
    directory.mkdir(parents=True, exist_ok=True)
    save_file(trainable_state(model), str(directory / LORA_FILE))
    saved = optimizer.state_dict()
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for index, values in saved["state"].items():
        for key, value in values.items():
            if isinstance(value, torch.Tensor):
                tensors[f"{index}.{key}"] = value.detach().to("cpu").contiguous()
            else:
                scalars.setdefault(str(index), {})[key] = value
    save_file(tensors, str(directory / OPTIMIZER_FILE))
    document = {
        "train_state": asdict(state),
        "param_groups": saved["param_groups"],
        "optimizer_scalars": scalars,
    }
    (directory / STATE_FILE).write_text(json.dumps(document, sort_keys=True))


def read_state(directory: Path) -> TrainState:
    document = json.loads((directory / STATE_FILE).read_text())
    return TrainState(**document["train_state"])


def restore_checkpoint(
    directory: Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer
) -> TrainState:
    """Load the checkpoint's LoRA weights into ``model`` and its state into ``optimizer``."""
    document = json.loads((directory / STATE_FILE).read_text())
    weights = load_file(str(directory / LORA_FILE))
    params = dict(model.named_parameters())
    missing = sorted(set(weights) ^ {n for n, p in params.items() if p.requires_grad})
    if missing:
        raise ValueError(f"checkpoint does not match the model's LoRA parameters: {missing[:5]}")
    with torch.no_grad():
        for name, value in weights.items():
            params[name].copy_(value)
    state: dict[int, dict[str, Any]] = {}
    for key, value in load_file(str(directory / OPTIMIZER_FILE)).items():
        index, _, name = key.partition(".")
        state.setdefault(int(index), {})[name] = value
    for index, values in document["optimizer_scalars"].items():
        state.setdefault(int(index), {}).update(values)
    optimizer.load_state_dict({"state": state, "param_groups": document["param_groups"]})
    return TrainState(**document["train_state"])

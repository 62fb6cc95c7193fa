"""Real LoRA adapters for the tests, written the way ModelFactory writes them
(``openledger_ml.lora.save_adapter``: safetensors + sorted JSON config). peft starts every
adapter as a no-op (B = 0); these get seeded random B matrices, so each adapter changes the
model's outputs in its own way, as a trained one does."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch

from openledger_ml.lora import SavedAdapter, attach_lora, lora_config, save_adapter
from openledger_ml.models.loading import load_causal_lm


def make_adapter(
    base_path: Path,
    out_dir: Path,
    *,
    seed: int,
    rank: int = 4,
    target_modules: Sequence[str] = ("q_proj", "v_proj"),
    scale: float = 0.5,
) -> SavedAdapter:
    """Write an adapter of ``rank`` on the model at ``base_path`` into ``out_dir``."""
    model = load_causal_lm(base_path)
    peft_model = attach_lora(
        model,
        lora_config(rank=rank, alpha=2.0 * rank, dropout=0.0, target_modules=target_modules),
        seed=seed,
    )
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, parameter in peft_model.named_parameters():
            if "lora_B" in name:
                parameter.copy_(torch.randn(parameter.shape, generator=generator) * scale)
    return save_adapter(peft_model, out_dir)

"""Per-example gradients of the LoRA parameters, projected: the training-data features that
gradient attribution compares a completion's gradient with.

Each example's gradient is of its own mean token cross-entropy over its label tokens, taken
with ``torch.func`` (``vmap`` over ``grad`` of a ``functional_call``), so a batch costs about
one forward and backward pass instead of one per example.

Two constraints come from ``vmap``:
- No attention mask is passed. A right-padded batch whose pad positions have label -100 is
  exact without one for a causal LM: a position attends only to itself and earlier
  positions, so real tokens never see the pads after them, and pads carry no loss.
- The model runs in eager attention while the gradients are taken (it is switched back
  afterwards): SDPA with a mask has no batching rule for ``vmap``.
Dropout is off (the model is in eval mode while the gradients are taken), so an example's
features do not depend on random state.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import torch
from torch.func import functional_call, grad, vmap
from transformers import PreTrainedModel

from openledger_ml.projection import Projector
from openledger_ml.templates import IGNORE_INDEX


def per_example_lora_gradients(
    model: torch.nn.Module,
    lora_params: Sequence[tuple[str, torch.nn.Parameter]],
    input_ids: torch.Tensor,
    labels: torch.Tensor,
) -> dict[str, torch.Tensor]:
    """Gradients [B, *shape] by canonical name (as ``lora_parameters`` names them) of each
    example's mean token loss; ``input_ids`` and ``labels`` are [B, T], right-padded, with
    labels -100 where there is no loss (an example without any label has zero gradients)."""
    if input_ids.shape != labels.shape or input_ids.dim() != 2:
        raise ValueError(
            f"input_ids {tuple(input_ids.shape)} and labels {tuple(labels.shape)} must both be"
            " [batch, tokens]"
        )
    module_names = _module_names(model, lora_params)
    params = {
        module_name: param.detach()
        for module_name, (_, param) in zip(module_names, lora_params, strict=True)
    }

    def example_loss(
        params: dict[str, torch.Tensor], ids: torch.Tensor, targets: torch.Tensor
    ) -> torch.Tensor:
        output = functional_call(
            model, params, args=(), kwargs={"input_ids": ids.unsqueeze(0), "use_cache": False}
        )
        logits = output.logits[0, :-1].float()
        shifted = targets[1:]
        mask = shifted != IGNORE_INDEX
        token_loss = torch.nn.functional.cross_entropy(
            logits, torch.where(mask, shifted, 0), reduction="none"
        )
        return (token_loss * mask).sum() / mask.sum().clamp(min=1)

    with _eval_eager(model):
        grads = vmap(grad(example_loss), in_dims=(None, 0, 0))(params, input_ids, labels)
    return {
        name: grads[module_name]
        for module_name, (name, _) in zip(module_names, lora_params, strict=True)
    }


def per_example_gradients(
    model: torch.nn.Module,
    lora_params: Sequence[tuple[str, torch.nn.Parameter]],
    input_ids: torch.Tensor,
    labels: torch.Tensor,
    projector: Projector,
) -> torch.Tensor:
    """Projected per-example gradients, float32 [B, projector.dim]."""
    return projector.project(per_example_lora_gradients(model, lora_params, input_ids, labels))


def completion_features(
    model: torch.nn.Module,
    lora_params: Sequence[tuple[str, torch.nn.Parameter]],
    prompt_ids: Sequence[int],
    output_ids: Sequence[int],
    projector: Projector,
) -> torch.Tensor:
    """Projected gradient, float32 [projector.dim], of the mean loss of ``output_ids``
    following ``prompt_ids``: a completion's counterpart of a training example's features."""
    if len(output_ids) == 0:
        raise ValueError("output_ids: a completion needs at least one token")
    device = next(model.parameters()).device
    input_ids = torch.tensor([[*prompt_ids, *output_ids]], dtype=torch.long, device=device)
    labels = torch.tensor(
        [[IGNORE_INDEX] * len(prompt_ids) + list(output_ids)], dtype=torch.long, device=device
    )
    return per_example_gradients(model, lora_params, input_ids, labels, projector)[0]


def _module_names(
    model: torch.nn.Module, lora_params: Sequence[tuple[str, torch.nn.Parameter]]
) -> list[str]:
    """The names ``functional_call`` knows the parameters by, found by identity (canonical
    names drop peft's prefix and the adapter name)."""
    by_id = {id(param): name for name, param in model.named_parameters()}
    missing = [name for name, param in lora_params if id(param) not in by_id]
    if missing:
        raise ValueError(f"lora_params: {missing[:3]} are not parameters of the model")
    return [by_id[id(param)] for _, param in lora_params]


@contextmanager
def _eval_eager(model: torch.nn.Module) -> Iterator[None]:
    pretrained = next((m for m in model.modules() if isinstance(m, PreTrainedModel)), None)
    previous = pretrained.config._attn_implementation if pretrained is not None else None
    was_training = model.training
    model.eval()
    if pretrained is not None and previous != "eager":
        pretrained.set_attn_implementation("eager")
    try:
        yield
    finally:
        if pretrained is not None and previous is not None and previous != "eager":
            pretrained.set_attn_implementation(previous)
        model.train(was_training)

"""A completion's counterpart of the training features: the projected gradient, w.r.t. the
adapter's LoRA parameters, of the mean loss of the completion's output tokens given its prompt.

The gradient is taken exactly as ModelFactory takes a training example's (``openledger_ml``'s
``per_example_gradients``, eval mode, no dropout) and projected with a ``Projector`` built from
the same LoRA parameter list (canonical names, sorted) with the ``projection_dim`` and
``projection_seed`` stored beside the features, so a completion that reproduces a training
record lands where that record's features are. Completions are batched through one
``vmap`` call: right-padded, with labels only on output tokens.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from openledger_kit.errors import InvalidArgument
from openledger_ml.gradients import per_example_gradients
from openledger_ml.lora import load_adapter, lora_parameters
from openledger_ml.models.loading import load_causal_lm
from openledger_ml.projection import Projector
from openledger_ml.templates import IGNORE_INDEX


@dataclass(frozen=True)
class Completion:
    prompt_ids: tuple[int, ...]
    """The prompt's token ids as the model saw them (chat template applied)."""
    output_ids: tuple[int, ...]
    """The generated token ids; the loss is taken on these only."""


class QueryGradients:
    """One base model with one adapter, turning completions into projected gradients."""

    def __init__(
        self, model: torch.nn.Module, *, projection_dim: int, projection_seed: int
    ) -> None:
        """``model``: a peft model whose active adapter is the one the features were computed
        for."""
        self._model = model
        self._params = lora_parameters(model)
        self._projector = Projector(
            [(name, param.numel()) for name, param in self._params],
            projection_dim,
            projection_seed,
        )
        config = getattr(model, "config", None)
        self._max_tokens: int | None = getattr(config, "max_position_embeddings", None)
        self._vocab_size: int | None = getattr(config, "vocab_size", None)
        self._device = next(model.parameters()).device
        # ``functional_call`` swaps the module's parameters for the duration of a call, so two
        # threads (a worker's concurrent completions) must not run it on one model at once.
        self._lock = threading.Lock()

    @classmethod
    def load(
        cls,
        base_model: Path,
        adapter_dir: Path,
        *,
        projection_dim: int,
        projection_seed: int,
        device: str | torch.device = "cpu",
    ) -> QueryGradients:
        """Load the base model (in float32) and the adapter saved in ``adapter_dir``."""
        model = load_adapter(load_causal_lm(base_model, device=device), adapter_dir)
        return cls(model, projection_dim=projection_dim, projection_seed=projection_seed)

    @property
    def projection_dim(self) -> int:
        return self._projector.dim

    def features(self, completions: Sequence[Completion], *, batch_size: int = 8) -> torch.Tensor:
        """float32 [len(completions), projection_dim] on the CPU; row i is completion i's."""
        if batch_size < 1:
            raise InvalidArgument("batch_size", f"must be positive, got {batch_size}")
        for i, completion in enumerate(completions):
            self._check(i, completion)
        out = torch.zeros(len(completions), self._projector.dim, dtype=torch.float32)
        for start in range(0, len(completions), batch_size):
            batch = completions[start : start + batch_size]
            input_ids, labels = self._collate(batch)
            with self._lock:
                projected = per_example_gradients(
                    self._model, self._params, input_ids, labels, self._projector
                )
            out[start : start + len(batch)] = projected.detach().to("cpu", torch.float32)
        return out

    def _check(self, i: int, completion: Completion) -> None:
        if not completion.output_ids:
            raise InvalidArgument(
                f"completions[{i}].output_ids", "a completion needs at least one output token"
            )
        length = len(completion.prompt_ids) + len(completion.output_ids)
        if self._max_tokens is not None and length > self._max_tokens:
            raise InvalidArgument(
                f"completions[{i}]",
                f"{length} tokens exceed the model's context of {self._max_tokens}",
            )
        vocab = self._vocab_size
        for field in ("prompt_ids", "output_ids"):
            ids: tuple[int, ...] = getattr(completion, field)
            if ids and (min(ids) < 0 or (vocab is not None and max(ids) >= vocab)):
                raise InvalidArgument(
                    f"completions[{i}].{field}",
                    f"token ids must be in [0, {vocab}) (the model's vocabulary)",
                )

    def _collate(self, batch: Sequence[Completion]) -> tuple[torch.Tensor, torch.Tensor]:
        # Right padding without an attention mask is exact for a causal LM (openledger_ml
        # explains why); pads carry no label.
        width = max(len(c.prompt_ids) + len(c.output_ids) for c in batch)
        input_ids = torch.zeros((len(batch), width), dtype=torch.long)
        labels = torch.full((len(batch), width), IGNORE_INDEX, dtype=torch.long)
        for row, completion in enumerate(batch):
            prompt, output = len(completion.prompt_ids), len(completion.output_ids)
            input_ids[row, : prompt + output] = torch.tensor(
                [*completion.prompt_ids, *completion.output_ids], dtype=torch.long
            )
            labels[row, prompt : prompt + output] = torch.tensor(
                completion.output_ids, dtype=torch.long
            )
        return input_ids.to(self._device), labels.to(self._device)

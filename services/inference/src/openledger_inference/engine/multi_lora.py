"""Many LoRA adapters on one model, applied per batch row in one gathered computation per layer
(the S-LoRA / Punica "BGMV" scheme), plus the adapters' CPU tier (config and tensors in host
memory, so promoting one to the GPU tier reads nothing from disk).

peft's mixed-batch mode (``adapter_names``) loops over the distinct adapters of the batch in
every LoRA layer at every step: a mask, a gather, two small matmuls and a scatter per adapter,
so a step's cost grows with the number of adapters in the batch, and a batch of 8 different
adapters ran at 0.56-0.73 of the speed of the same batch on one adapter. Here every target
``nn.Linear`` instead keeps all loaded adapters' weights stacked,
``A: [slots, R, in]`` and ``B: [slots, out, R]`` (the adapter's scaling folded into ``B``, ranks
zero-padded to the largest loaded rank ``R``, slot 0 all zeros for base-model rows), and a
forward hook adds ``(x @ A[idx]ᵀ) @ B[idx]ᵀ`` for the batch's per-row slot indices ``idx``: two
``index_select`` and two ``bmm`` whatever the adapter mix, so a mixed batch costs what a
single-adapter one does. Zero padding adds exact zeros, so the results are peft's.

Nothing of peft is injected into the model; peft still parses the configuration (``LoraConfig``)
and decides which modules an adapter targets and at which rank and alpha, so an adapter means
here what it means to peft."""

from __future__ import annotations

import copy
import dataclasses
import json
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch
from peft import LoraConfig, PeftType
from peft.tuners.tuners_utils import (
    _maybe_include_all_linear_layers,  # peft's own "all-linear" resolution, to match it exactly
    check_target_module_exists,
)
from peft.utils.other import get_pattern_key
from safetensors.torch import load_file

from openledger_inference.domain.model import LocalAdapter
from openledger_kit.errors import FailedPrecondition, ResourceExhausted
from openledger_ml.lora import CONFIG_FILE, MODEL_FILE

BASE_SLOT = 0
"""The all-zero slot of the rows that use no adapter."""
_PEFT_PREFIX = "base_model.model."
_INCOMPATIBLE = "ADAPTER_INCOMPATIBLE"
_UNSERVED_FEATURES = (
    "use_dora",
    "lora_bias",
    "modules_to_save",
    "trainable_token_indices",
    "layer_replication",
    "target_parameters",
    "alora_invocation_tokens",
    "use_qalora",
    "velora_config",
    "monteclora_config",
    "use_bdlora",
    "arrow_config",
    "kasa_config",
)
"""LoraConfig fields that, when set, change the forward pass beyond ``x + B A x · scaling``."""


@dataclass(frozen=True)
class HostAdapter:
    """An adapter's configuration and weights in host memory."""

    name: str
    config: LoraConfig
    tensors: dict[str, torch.Tensor]
    """As saved: ``base_model.model.<module>.lora_{A,B}.weight``."""

    @property
    def rank(self) -> int:
        return max(
            [int(self.config.r), *(int(r) for r in (self.config.rank_pattern or {}).values())]
        )


def read_adapter(adapter: LocalAdapter, max_rank: int) -> HostAdapter:
    """The adapter's files, checked to be a plain LoRA of rank at most ``max_rank``."""
    config_file, model_file = adapter.directory / CONFIG_FILE, adapter.directory / MODEL_FILE
    if not config_file.is_file() or not model_file.is_file():
        raise FailedPrecondition(
            f"adapter {adapter.name}: {adapter.directory} must hold {MODEL_FILE} and "
            f"{CONFIG_FILE} (only safetensors adapters are loaded)"
        )
    config = _lora_config(adapter.name, json.loads(config_file.read_text(encoding="utf-8")))
    host = HostAdapter(name=adapter.name, config=config, tensors=load_file(str(model_file)))
    if host.rank > max_rank:
        raise FailedPrecondition(
            f"adapter {adapter.name}: rank {host.rank} is above this engine's max_lora_rank "
            f"{max_rank}",
            reason="ADAPTER_RANK_TOO_LARGE",
        )
    return host


@dataclass(eq=False)
class _Stack:
    """One target layer's weights for every slot."""

    a: torch.Tensor
    """``[slots, R, in_features]``."""
    b: torch.Tensor
    """``[slots, out_features, R]``, scaled."""


class MultiLora:
    """The adapters in ``model``'s slots and the per-row routing of its forward passes."""

    def __init__(self, model: torch.nn.Module, max_loras: int) -> None:
        self._model = model
        self._linears = {
            name: module
            for name, module in model.named_modules()
            if isinstance(module, torch.nn.Linear)
        }
        self._free = list(range(max_loras, BASE_SLOT, -1))
        """Free slots, the lowest last (``pop`` takes it)."""
        self._slots = max_loras + 1
        self._rank = 0
        self._stacks: dict[str, _Stack] = {}
        self._rows: torch.Tensor | None = None
        parameter = next(model.parameters())
        self._device, self._dtype = parameter.device, parameter.dtype

    def inject(self, host: HostAdapter) -> int:
        """Copy ``host``'s weights into a free slot; returns the slot."""
        weights = self._module_weights(host)
        if not self._free:
            raise ResourceExhausted(
                f"all {self._slots - 1} adapter slots are taken", reason="GPU_TIER_FULL"
            )
        rank = max(a.shape[0] for a, _ in weights.values())
        if rank > self._rank:
            self._grow(rank)
        for name in weights.keys() - self._stacks.keys():
            self._add_stack(name)
        slot = self._free.pop()
        with torch.no_grad():
            for name, (a, b) in weights.items():
                stack, r = self._stacks[name], a.shape[0]
                stack.a[slot, :r].copy_(a)
                stack.b[slot, :, :r].copy_(b)
        return slot

    def delete(self, slot: int) -> None:
        with torch.no_grad():
            for stack in self._stacks.values():
                stack.a[slot].zero_()
                stack.b[slot].zero_()
        self._free.append(slot)
        self._free.sort(reverse=True)

    @contextmanager
    def routing(self, slots: Sequence[int | None]) -> Iterator[None]:
        """Route the rows of the forward passes inside to ``slots`` (None: the base model). A
        batch with no adapter row skips the LoRA computation altogether."""
        if any(slot is not None for slot in slots):
            rows = [BASE_SLOT if slot is None else slot for slot in slots]
            self._rows = torch.tensor(rows, dtype=torch.long, device=self._device)
        try:
            yield
        finally:
            self._rows = None

    def _module_weights(self, host: HostAdapter) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
        """``host``'s ``(A, scaled B)`` per target module, on the model's device and dtype,
        checked against the model and peft's reading of the configuration."""
        config = copy.deepcopy(host.config)
        _maybe_include_all_linear_layers(config, self._model)  # resolves "all-linear" in place
        targets = [
            name
            for name, _ in self._model.named_modules()
            if name and check_target_module_exists(config, name)
        ]
        if not targets:
            raise _incompatible(host, "its target_modules match no module of the model")
        if others := [name for name in targets if name not in self._linears]:
            raise _incompatible(host, f"it targets {others[0]}, which is not a Linear layer")
        expected = {f"{_PEFT_PREFIX}{name}.lora_{part}.weight" for name in targets for part in "AB"}
        if unknown := sorted(host.tensors.keys() - expected):
            raise _incompatible(host, f"weight {unknown[0]} matches no LoRA layer of the model")
        if missing := sorted(expected - host.tensors.keys()):
            raise _incompatible(host, f"no weight {missing[0]} ({len(missing) - 1} more missing)")
        weights: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
        for name in targets:
            linear = self._linears[name]
            ranks, alphas = config.rank_pattern or {}, config.alpha_pattern or {}
            r = int(ranks.get(get_pattern_key(list(ranks), name), config.r))
            alpha = float(alphas.get(get_pattern_key(list(alphas), name), config.lora_alpha))
            a = host.tensors[f"{_PEFT_PREFIX}{name}.lora_A.weight"]
            b = host.tensors[f"{_PEFT_PREFIX}{name}.lora_B.weight"]
            if a.shape != (r, linear.in_features) or b.shape != (linear.out_features, r):
                raise _incompatible(
                    host,
                    f"{name}: lora_A {tuple(a.shape)} and lora_B {tuple(b.shape)} do not fit "
                    f"rank {r} on a {linear.in_features}→{linear.out_features} layer",
                )
            scaling = alpha / math.sqrt(r) if config.use_rslora else alpha / r
            weights[name] = (
                a.to(self._device, self._dtype),
                (b.double() * scaling).to(self._device, self._dtype),
            )
        return weights

    def _grow(self, rank: int) -> None:
        for stack in self._stacks.values():
            a = stack.a.new_zeros((self._slots, rank, stack.a.shape[2]))
            b = stack.b.new_zeros((self._slots, stack.b.shape[1], rank))
            a[:, : self._rank].copy_(stack.a)
            b[:, :, : self._rank].copy_(stack.b)
            stack.a, stack.b = a, b
        self._rank = rank

    def _add_stack(self, name: str) -> None:
        linear = self._linears[name]
        options: dict[str, Any] = {"device": self._device, "dtype": self._dtype}
        stack = _Stack(
            a=torch.zeros((self._slots, self._rank, linear.in_features), **options),
            b=torch.zeros((self._slots, linear.out_features, self._rank), **options),
        )
        self._stacks[name] = stack

        def add_lora(module: torch.nn.Module, args: tuple[Any, ...], output: Any) -> Any:
            rows = self._rows
            if rows is None:
                return None
            x = args[0].reshape(rows.shape[0], -1, args[0].shape[-1])
            a, b = stack.a.index_select(0, rows), stack.b.index_select(0, rows)
            delta = torch.bmm(torch.bmm(x, a.transpose(1, 2)), b.transpose(1, 2))
            return output + delta.view_as(output)

        linear.register_forward_hook(add_lora)


def _lora_config(name: str, values: Any) -> LoraConfig:
    if not isinstance(values, dict) or values.get("peft_type") != PeftType.LORA.value:
        raise FailedPrecondition(
            f"adapter {name}: {CONFIG_FILE} is not a LoRA configuration", reason=_INCOMPATIBLE
        )
    known = {field.name for field in dataclasses.fields(LoraConfig) if field.init}
    try:
        config = LoraConfig(**{key: value for key, value in values.items() if key in known})
    except (TypeError, ValueError) as error:
        raise FailedPrecondition(
            f"adapter {name}: {CONFIG_FILE} is not a valid LoRA configuration: {error}",
            reason=_INCOMPATIBLE,
        ) from error
    if config.bias != "none":
        raise FailedPrecondition(
            f"adapter {name}: bias {config.bias!r} is not served, only 'none'",
            reason=_INCOMPATIBLE,
        )
    if unserved := [field for field in _UNSERVED_FEATURES if getattr(config, field, None)]:
        raise FailedPrecondition(
            f"adapter {name}: {unserved[0]} is not served (plain LoRA on Linear layers only)",
            reason=_INCOMPATIBLE,
        )
    config.inference_mode = True
    return config


def _incompatible(host: HostAdapter, problem: str) -> FailedPrecondition:
    return FailedPrecondition(f"adapter {host.name}: {problem}", reason=_INCOMPATIBLE)

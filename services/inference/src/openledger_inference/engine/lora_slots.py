"""LoRA adapters on one model: read from safetensors into host memory (the CPU tier), injected
into the model under slot names (the GPU tier), and routed per batch row so that one forward
pass serves rows of different adapters (peft's mixed-batch ``adapter_names``).

Adapters are injected with ``peft.inject_adapter_in_model`` rather than behind a ``PeftModel``
because a ``PeftModel`` needs an active adapter to run at all, and a node serves the base model
with no adapter loaded as well. Slot names are the engine's own (``slot-<n>``), never the
``id@version`` name, so a slot still draining its last requests never clashes with the same
adapter loaded again."""

from __future__ import annotations

import dataclasses
import json
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch
from peft import LoraConfig, PeftType, inject_adapter_in_model
from peft.tuners.lora import LoraLayer
from safetensors.torch import load_file

from openledger_inference.domain.model import LocalAdapter
from openledger_kit.errors import FailedPrecondition
from openledger_ml.lora import CONFIG_FILE, MODEL_FILE

BASE = "__base__"
"""peft's ``adapter_names`` entry for a row that uses no adapter."""
_PEFT_PREFIX = "base_model.model."


@dataclass(frozen=True)
class HostAdapter:
    """An adapter's configuration and weights in host memory: promoting it to the GPU tier
    reads nothing from disk."""

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


class LoraSlots:
    """The adapters injected into ``model`` and the per-row routing of its forward passes."""

    def __init__(self, model: torch.nn.Module) -> None:
        self._model = model
        self._next = 0
        self._hooked: set[int] = set()
        self._rows: list[str] | None = None

    def inject(self, host: HostAdapter) -> str:
        """Inject ``host``'s weights into a new slot; returns the slot name."""
        slot = f"slot-{self._next}"
        self._next += 1
        with warnings.catch_warnings():
            # peft warns that a second adapter joins the model's first: that is the point here.
            warnings.filterwarnings("ignore", message="Already found a `peft_config`")
            inject_adapter_in_model(host.config, self._model, adapter_name=slot)
        try:
            self._load_weights(host, slot)
        except Exception:
            self.delete(slot)
            raise
        self._hook_new_layers()
        return slot

    def delete(self, slot: str) -> None:
        with warnings.catch_warnings():
            # peft reports which adapter becomes active; rows are always routed explicitly here.
            warnings.filterwarnings("ignore", message="Adapter .* was active which is now deleted")
            for module in self._model.modules():
                if isinstance(module, LoraLayer):
                    module.delete_adapter(slot)
        configs = getattr(self._model, "peft_config", None)
        if isinstance(configs, dict):
            configs.pop(slot, None)

    @contextmanager
    def routing(self, slots: Sequence[str | None]) -> Iterator[None]:
        """Route the rows of the forward passes inside to ``slots`` (None: the base model)."""
        self._rows = [BASE if slot is None else slot for slot in slots]
        try:
            yield
        finally:
            self._rows = None

    def _load_weights(self, host: HostAdapter, slot: str) -> None:
        parameters = dict(self._model.named_parameters())
        expected = {name for name in parameters if f".{slot}." in name}
        loaded: set[str] = set()
        with torch.no_grad():
            for key, tensor in host.tensors.items():
                name = _slot_parameter(key, slot)
                if name not in expected:
                    raise FailedPrecondition(
                        f"adapter {host.name}: weight {key} matches no LoRA layer of the model",
                        reason="ADAPTER_INCOMPATIBLE",
                    )
                parameters[name].copy_(tensor)
                loaded.add(name)
        if missing := sorted(expected - loaded):
            raise FailedPrecondition(
                f"adapter {host.name}: no weights for {missing[0]} and {len(missing) - 1} more",
                reason="ADAPTER_INCOMPATIBLE",
            )

    def _hook_new_layers(self) -> None:
        for module in self._model.modules():
            if isinstance(module, LoraLayer) and id(module) not in self._hooked:
                module.register_forward_pre_hook(self._route, with_kwargs=True)
                self._hooked.add(id(module))

    def _route(
        self, module: torch.nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[tuple[Any, ...], dict[str, Any]]:
        if self._rows is not None:
            kwargs["adapter_names"] = self._rows
        return args, kwargs


def _lora_config(name: str, values: Any) -> LoraConfig:
    if not isinstance(values, dict) or values.get("peft_type") != PeftType.LORA.value:
        raise FailedPrecondition(f"adapter {name}: {CONFIG_FILE} is not a LoRA configuration")
    if values.get("use_dora"):
        # peft cannot mix DoRA adapters with others in one batch.
        raise FailedPrecondition(f"adapter {name}: DoRA adapters are not served")
    known = {field.name for field in dataclasses.fields(LoraConfig) if field.init}
    config = LoraConfig(**{key: value for key, value in values.items() if key in known})
    config.inference_mode = True
    return config


def _slot_parameter(key: str, slot: str) -> str:
    """``base_model.model.m.lora_A.weight`` → ``m.lora_A.<slot>.weight``."""
    module, _, leaf = key.removeprefix(_PEFT_PREFIX).rpartition(".")
    return f"{module}.{slot}.{leaf}"

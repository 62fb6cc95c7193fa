"""Resolving a requested job config into the one a job trains with, refusing a bad one.

Every unset field takes the preset's value, else the server default (``DEFAULTS``, or a
default derived from the base model or another field). A preset is written for every base
model, so where it asks for more than a base model allows (a longer ``max_seq_length`` than
its context, a higher LoRA rank than its ``max_lora_rank``) the value is capped to the base
model's limit; the same value set in the request is an error.

Checks run in this order and the first problem found is raised, naming the full field path:
the request's own fields (required fields, name formats, template slots, preset), the base
model, the resolved values against their ranges and the base model (in proto field order),
the snapshot, and finally the template's fields against the snapshot's records.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from openledger_kit.errors import FailedPrecondition, InvalidArgument, NotFound
from openledger_ml.catalogue import BASE_MODEL_ID, BaseModelInfo
from openledger_ml.templates import (
    SLOTS,
    SlotError,
    TaskTemplate,
    default_field_mapping,
    extract_slots,
)
from openledger_modelfactory.domain.model import (
    ADAPTER_ID,
    DOMAIN,
    SNAPSHOT_NAME,
    AttributionSettings,
    JobConfig,
    LoraSettings,
    Precision,
    Preset,
    ResolvedAttribution,
    ResolvedJobConfig,
    ResolvedLora,
)
from openledger_modelfactory.domain.ports import SnapshotInfo

# ErrorInfo reasons.
FIELD_REQUIRED = "FIELD_REQUIRED"
NAME_INVALID = "NAME_INVALID"
ADAPTER_ID_INVALID = "ADAPTER_ID_INVALID"
PRESET_NOT_FOUND = "PRESET_NOT_FOUND"
UNKNOWN_SLOT = "UNKNOWN_SLOT"
POINTER_INVALID = "POINTER_INVALID"
VALUE_OUT_OF_RANGE = "VALUE_OUT_OF_RANGE"
LORA_RANK_TOO_HIGH = "LORA_RANK_TOO_HIGH"
TARGET_MODULE_UNSUPPORTED = "TARGET_MODULE_UNSUPPORTED"
TARGET_MODULE_DUPLICATE = "TARGET_MODULE_DUPLICATE"
SEQ_LENGTH_TOO_LONG = "SEQ_LENGTH_TOO_LONG"
FEE_INVALID = "FEE_INVALID"
PRECISION_NEEDS_GPU = "PRECISION_NEEDS_GPU"
BASE_MODEL_NOT_FOUND = "BASE_MODEL_NOT_FOUND"
BASE_MODEL_UNAVAILABLE = "BASE_MODEL_UNAVAILABLE"
SNAPSHOT_NOT_FOUND = "SNAPSHOT_NOT_FOUND"
SNAPSHOT_NOT_SUCCEEDED = "SNAPSHOT_NOT_SUCCEEDED"
EMPTY_SNAPSHOT = "EMPTY_SNAPSHOT"
TEMPLATE_FIELD_MISSING = "TEMPLATE_FIELD_MISSING"

UINT32_MAX = 2**32 - 1
INT64_MAX = 2**63 - 1
FEE_LIMIT = 2**256
"""Fees are uint256 on the ``ModelRegistry``."""
MIN_SEQ_LENGTH = 16
DEFAULT_MAX_SEQ_LENGTH = 512
SAMPLE_RECORDS = 16
"""How many of a snapshot's first records the service passes as ``sample_records``."""

_BASE_MODEL_NAME = re.compile(r"^baseModels/(.+)$")
_POINTER = re.compile(r"^(?:/(?:[^~/]|~[01])*)+$")
"""An RFC 6901 pointer into the record; the empty pointer (the whole record) never holds a
slot's value, so it is refused."""

DEFAULTS = JobConfig(
    lora=LoraSettings(rank=8, dropout=0.05),
    epochs=3,
    max_steps=0,
    learning_rate=2e-4,
    warmup_ratio=0.03,
    weight_decay=0.0,
    batch_size=8,
    gradient_accumulation_steps=1,
    seed=42,
    eval_fraction=0.05,
    num_workers=1,
    cpus_per_worker=2,
    gpus_per_worker=0,
    checkpoint_every_steps=200,
    max_failures=2,
    fee_per_1k_tokens=0,
    attribution=AttributionSettings(enabled=True, projection_dim=512),
)
"""The server defaults with a fixed value. Those derived from something else stay unset:
``lora.alpha`` (2 x rank), ``lora.target_modules`` (the base model's defaults),
``max_seq_length`` (min(512, context_length)), ``precision`` (BF16 on GPU workers, FP32 on
CPU), ``attribution.projection_seed`` (the job's seed), ``field_mapping`` (``/{slot}``)."""


@dataclass(frozen=True)
class Bound:
    """The documented range of a numeric field, inclusive unless ``exclusive_minimum``;
    ``maximum`` None where the limit depends on the base model or is the type's."""

    minimum: int | float
    maximum: int | float | None
    exclusive_minimum: bool = False

    def admits(self, value: int | float) -> bool:
        if isinstance(value, float) and not math.isfinite(value):
            return False
        low = value > self.minimum if self.exclusive_minimum else value >= self.minimum
        return low and (self.maximum is None or value <= self.maximum)

    def describe(self) -> str:
        low = f"> {self.minimum}" if self.exclusive_minimum else f">= {self.minimum}"
        if self.maximum is None:
            return f"must be {low}"
        if self.exclusive_minimum:
            return f"must be in ({self.minimum}, {self.maximum}]"
        return f"must be between {self.minimum} and {self.maximum}"


BOUNDS: Mapping[str, Bound] = {
    "lora.rank": Bound(1, None),
    "lora.alpha": Bound(0, None, exclusive_minimum=True),
    "lora.dropout": Bound(0, 0.5),
    "epochs": Bound(1, 100),
    "max_steps": Bound(0, INT64_MAX),
    "learning_rate": Bound(0, 1, exclusive_minimum=True),
    "warmup_ratio": Bound(0, 0.5),
    "weight_decay": Bound(0, 1),
    "batch_size": Bound(1, 1024),
    "gradient_accumulation_steps": Bound(1, 1024),
    "max_seq_length": Bound(MIN_SEQ_LENGTH, None),
    "seed": Bound(0, UINT32_MAX),
    "eval_fraction": Bound(0, 0.5),
    "num_workers": Bound(1, 64),
    "cpus_per_worker": Bound(1, 256),
    "gpus_per_worker": Bound(0, 8),
    "checkpoint_every_steps": Bound(1, 1_000_000),
    "max_failures": Bound(0, 10),
    "attribution.projection_dim": Bound(16, 8192),
    "attribution.projection_seed": Bound(0, UINT32_MAX),
}
"""Ranges from ``job_config.proto``, keyed by field path; the JSON Schema is built from them
too, so the published schema and the server agree. ``lora.rank`` and ``max_seq_length`` are
also capped by the base model."""

_T = TypeVar("_T")


def _pick(*values: _T | None) -> _T:
    """The first value set: request, preset, default (the last is always set)."""
    return next(value for value in values if value is not None)


def _invalid(field: str, message: str, reason: str) -> InvalidArgument:
    return InvalidArgument(field, message, reason=reason, domain=DOMAIN)


class _Paths:
    def __init__(self, prefix: str) -> None:
        self._prefix = f"{prefix}." if prefix else ""

    def __call__(self, name: str) -> str:
        return self._prefix + name

    def slot(self, slot: str) -> str:
        return f"{self._prefix}field_mapping[{json.dumps(slot)}]"


def base_model_id(name: str, field: str = "base_model") -> str:
    """The catalogue id out of ``baseModels/{id}``."""
    if not name:
        raise _invalid(field, "required, e.g. 'baseModels/tiny-llama'", FIELD_REQUIRED)
    match = _BASE_MODEL_NAME.match(name)
    if match is None or not BASE_MODEL_ID.match(match.group(1)):
        raise _invalid(
            field,
            f"{name!r} is not 'baseModels/{{id}}' with an id of lowercase letters, digits, "
            "dots and hyphens",
            NAME_INVALID,
        )
    return match.group(1)


def resolve(
    request: JobConfig,
    *,
    base: BaseModelInfo | None,
    presets: Mapping[str, Preset],
    snapshot: SnapshotInfo | None,
    sample_records: Sequence[Mapping[str, Any]] = (),
    field_prefix: str = "training_job.config",
) -> ResolvedJobConfig:
    """The config a job trains with, or the first problem with ``request``.

    ``base`` and ``snapshot`` are what the caller looked up for the request's names (None:
    not found); ``sample_records`` the contents of the snapshot's first few records
    (``SAMPLE_RECORDS``), against which the template's fields are checked.
    """
    path = _Paths(field_prefix)
    base_model_id(request.base_model, path("base_model"))
    _check_snapshot_name(request.snapshot, path("snapshot"))
    _check_adapter_id(request.adapter_id, path("adapter_id"))
    if request.task_template is None:
        raise _invalid(
            path("task_template"),
            "required: one of " + ", ".join(t.value for t in TaskTemplate),
            FIELD_REQUIRED,
        )
    template = request.task_template
    _check_mapping(template, request.field_mapping, path)
    preset = _find_preset(request.preset, presets, path("preset"))

    if base is None:
        raise NotFound(
            f"base model {request.base_model!r} does not exist",
            reason=BASE_MODEL_NOT_FOUND,
            domain=DOMAIN,
            metadata={"base_model": request.base_model},
        )
    if not base.available:
        raise FailedPrecondition(
            f"base model {request.base_model!r} is not available: {base.unavailable_reason}",
            reason=BASE_MODEL_UNAVAILABLE,
            domain=DOMAIN,
            metadata={"base_model": request.base_model},
        )

    resolved = _merge(request, preset, base, template)
    _check_values(resolved, base, path)

    if snapshot is None:
        raise NotFound(
            f"snapshot {request.snapshot!r} does not exist",
            reason=SNAPSHOT_NOT_FOUND,
            domain=DOMAIN,
            metadata={"snapshot": request.snapshot},
        )
    if snapshot.state != "SUCCEEDED":
        raise FailedPrecondition(
            f"snapshot {request.snapshot!r} is {snapshot.state}, not SUCCEEDED",
            reason=SNAPSHOT_NOT_SUCCEEDED,
            domain=DOMAIN,
            metadata={"snapshot": request.snapshot},
        )
    if snapshot.record_count == 0:
        raise _invalid(
            path("snapshot"), f"snapshot {request.snapshot!r} has no records", EMPTY_SNAPSHOT
        )
    _check_records(resolved, snapshot, sample_records, path)
    return resolved


def preview(preset: Preset | None, base: BaseModelInfo) -> ResolvedJobConfig:
    """What a job on ``base`` with only ``preset`` chosen would train with, for the memory
    estimates published beside the presets. There is no snapshot or adapter id (both empty)
    and the template is INSTRUCTION, which no estimate depends on."""
    request = JobConfig(
        base_model=base.name,
        task_template=TaskTemplate.INSTRUCTION,
        preset=preset.name if preset else "",
    )
    return _merge(request, preset, base, TaskTemplate.INSTRUCTION)


def _check_snapshot_name(value: str, field: str) -> None:
    if not value:
        raise _invalid(field, "required, e.g. 'datanets/{datanet}/snapshots/v1'", FIELD_REQUIRED)
    if not SNAPSHOT_NAME.match(value):
        raise _invalid(
            field, f"{value!r} is not 'datanets/{{datanet}}/snapshots/v{{n}}'", NAME_INVALID
        )


def _check_adapter_id(value: str, field: str) -> None:
    if not value:
        raise _invalid(field, "required", FIELD_REQUIRED)
    if not ADAPTER_ID.match(value):
        raise _invalid(
            field,
            f"{value!r} is not 3-63 lowercase letters, digits and hyphens starting with a "
            "letter and not ending with a hyphen",
            ADAPTER_ID_INVALID,
        )


def _check_mapping(template: TaskTemplate, mapping: Mapping[str, str], path: _Paths) -> None:
    names = [slot.name for slot in SLOTS[template]]
    for slot, pointer in mapping.items():
        if slot not in names:
            raise _invalid(
                path.slot(slot),
                f"{template.value} has no slot {slot!r}; its slots: {', '.join(names)}",
                UNKNOWN_SLOT,
            )
        if not _POINTER.match(pointer):
            raise _invalid(
                path.slot(slot),
                f"{pointer!r} is not a JSON Pointer (RFC 6901) into the record, e.g. '/{slot}'",
                POINTER_INVALID,
            )


def _find_preset(name: str, presets: Mapping[str, Preset], field: str) -> Preset | None:
    if not name:
        return None
    found = presets.get(name)
    if found is None:
        raise _invalid(
            field,
            f"no preset {name!r}; presets: {', '.join(sorted(presets)) or 'none'}",
            PRESET_NOT_FOUND,
        )
    return found


def _merge(
    request: JobConfig, preset: Preset | None, base: BaseModelInfo, template: TaskTemplate
) -> ResolvedJobConfig:
    """Request over preset over defaults, without checking anything."""
    p = preset.config if preset else JobConfig()
    d = DEFAULTS
    rank = request.lora.rank
    if rank is None:
        rank = min(_pick(p.lora.rank, d.lora.rank), base.max_lora_rank)
    max_seq_length = request.max_seq_length
    if max_seq_length is None:
        wanted = _pick(p.max_seq_length, DEFAULT_MAX_SEQ_LENGTH)
        max_seq_length = min(wanted, base.context_length)
    gpus = _pick(request.gpus_per_worker, p.gpus_per_worker, d.gpus_per_worker)
    seed = _pick(request.seed, p.seed, d.seed)
    mapping = default_field_mapping(template)
    mapping.update(request.field_mapping)
    return ResolvedJobConfig(
        base_model=base.id,
        snapshot=request.snapshot,
        adapter_id=request.adapter_id,
        task_template=template,
        field_mapping=mapping,
        lora=ResolvedLora(
            rank=rank,
            alpha=_pick(request.lora.alpha, p.lora.alpha, 2.0 * rank),
            dropout=_pick(request.lora.dropout, p.lora.dropout, d.lora.dropout),
            target_modules=(
                request.lora.target_modules or p.lora.target_modules or base.default_target_modules
            ),
        ),
        epochs=_pick(request.epochs, p.epochs, d.epochs),
        max_steps=_pick(request.max_steps, p.max_steps, d.max_steps),
        learning_rate=_pick(request.learning_rate, p.learning_rate, d.learning_rate),
        warmup_ratio=_pick(request.warmup_ratio, p.warmup_ratio, d.warmup_ratio),
        weight_decay=_pick(request.weight_decay, p.weight_decay, d.weight_decay),
        batch_size=_pick(request.batch_size, p.batch_size, d.batch_size),
        gradient_accumulation_steps=_pick(
            request.gradient_accumulation_steps,
            p.gradient_accumulation_steps,
            d.gradient_accumulation_steps,
        ),
        max_seq_length=max_seq_length,
        seed=seed,
        eval_fraction=_pick(request.eval_fraction, p.eval_fraction, d.eval_fraction),
        num_workers=_pick(request.num_workers, p.num_workers, d.num_workers),
        cpus_per_worker=_pick(request.cpus_per_worker, p.cpus_per_worker, d.cpus_per_worker),
        gpus_per_worker=gpus,
        precision=_pick(
            request.precision, p.precision, Precision.BF16 if gpus > 0 else Precision.FP32
        ),
        checkpoint_every_steps=_pick(
            request.checkpoint_every_steps,
            p.checkpoint_every_steps,
            d.checkpoint_every_steps,
        ),
        max_failures=_pick(request.max_failures, p.max_failures, d.max_failures),
        fee_per_1k_tokens=_pick(
            request.fee_per_1k_tokens, p.fee_per_1k_tokens, d.fee_per_1k_tokens
        ),
        preset=request.preset,
        attribution=ResolvedAttribution(
            enabled=_pick(
                request.attribution.enabled,
                p.attribution.enabled,
                d.attribution.enabled,
            ),
            projection_dim=_pick(
                request.attribution.projection_dim,
                p.attribution.projection_dim,
                d.attribution.projection_dim,
            ),
            projection_seed=_pick(
                request.attribution.projection_seed, p.attribution.projection_seed, seed
            ),
        ),
    )


def _check_range(field: str, value: int | float, bound: Bound) -> None:
    if not bound.admits(value):
        raise _invalid(field, f"{bound.describe()}, got {value}", VALUE_OUT_OF_RANGE)


def _check_values(config: ResolvedJobConfig, base: BaseModelInfo, path: _Paths) -> None:
    lora = config.lora
    _check_range(path("lora.rank"), lora.rank, BOUNDS["lora.rank"])
    if lora.rank > base.max_lora_rank:
        raise _invalid(
            path("lora.rank"),
            f"{lora.rank} is above {base.name}'s max_lora_rank {base.max_lora_rank}",
            LORA_RANK_TOO_HIGH,
        )
    _check_range(path("lora.alpha"), lora.alpha, BOUNDS["lora.alpha"])
    _check_range(path("lora.dropout"), lora.dropout, BOUNDS["lora.dropout"])
    seen: set[str] = set()
    for i, module in enumerate(lora.target_modules):
        field = path(f"lora.target_modules[{i}]")
        if module not in base.supported_target_modules:
            raise _invalid(
                field,
                f"{module!r} is not a module {base.name} supports; supported: "
                + ", ".join(base.supported_target_modules),
                TARGET_MODULE_UNSUPPORTED,
            )
        if module in seen:
            raise _invalid(field, f"{module!r} is listed twice", TARGET_MODULE_DUPLICATE)
        seen.add(module)
    for name in (
        "epochs",
        "max_steps",
        "learning_rate",
        "warmup_ratio",
        "weight_decay",
        "batch_size",
        "gradient_accumulation_steps",
        "max_seq_length",
    ):
        _check_range(path(name), getattr(config, name), BOUNDS[name])
    if config.max_seq_length > base.context_length:
        raise _invalid(
            path("max_seq_length"),
            f"{config.max_seq_length} is above {base.name}'s context_length {base.context_length}",
            SEQ_LENGTH_TOO_LONG,
        )
    for name in (
        "seed",
        "eval_fraction",
        "num_workers",
        "cpus_per_worker",
        "gpus_per_worker",
    ):
        _check_range(path(name), getattr(config, name), BOUNDS[name])
    if config.precision in (Precision.BF16, Precision.FP16) and config.gpus_per_worker == 0:
        raise _invalid(
            path("precision"),
            f"{config.precision.value} needs GPU workers (gpus_per_worker is 0); use FP32 on CPU",
            PRECISION_NEEDS_GPU,
        )
    for name in ("checkpoint_every_steps", "max_failures"):
        _check_range(path(name), getattr(config, name), BOUNDS[name])
    if not 0 <= config.fee_per_1k_tokens < FEE_LIMIT:
        raise _invalid(
            path("fee_per_1k_tokens"),
            f"must be a non-negative integer below 2**256 wei, got {config.fee_per_1k_tokens}",
            FEE_INVALID,
        )
    attribution = config.attribution
    _check_range(
        path("attribution.projection_dim"),
        attribution.projection_dim,
        BOUNDS["attribution.projection_dim"],
    )
    _check_range(
        path("attribution.projection_seed"),
        attribution.projection_seed,
        BOUNDS["attribution.projection_seed"],
    )


def _first_segment(pointer: str) -> str:
    return pointer.split("/")[1].replace("~1", "/").replace("~0", "~")


def _check_records(
    config: ResolvedJobConfig,
    snapshot: SnapshotInfo,
    sample_records: Sequence[Mapping[str, Any]],
    path: _Paths,
) -> None:
    template = config.task_template
    required = [slot for slot in SLOTS[template] if slot.required]
    properties = (snapshot.record_schema or {}).get("properties")
    if isinstance(properties, Mapping):
        for slot in required:
            pointer = config.field_mapping[slot.name]
            if _first_segment(pointer) not in properties:
                raise _invalid(
                    path.slot(slot.name),
                    f"{pointer!r} names no field of {snapshot.name}'s records; their fields: "
                    + ", ".join(sorted(properties)),
                    TEMPLATE_FIELD_MISSING,
                )
    failures: list[SlotError] = []
    for content in sample_records:
        try:
            extract_slots(template, content, config.field_mapping)
        except SlotError as error:
            failures.append(error)
        else:
            return
    if failures:
        first = failures[0]
        raise _invalid(
            path.slot(first.slot),
            f"none of the first {len(failures)} records of {snapshot.name} fills every "
            f"required slot; the first lacks {first.pointer!r} for slot {first.slot!r} "
            f"({first.message})",
            TEMPLATE_FIELD_MISSING,
        )

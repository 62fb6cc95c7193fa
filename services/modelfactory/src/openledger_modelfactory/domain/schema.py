"""The published JSON Schema (draft 2020-12) of ``TrainingJobConfig`` in its proto3 JSON form,
from which a client can generate a form and check a config offline.

It is built here from a Python description rather than from the ``.proto`` file: ranges and
defaults come from ``domain.jobconfig`` (the values the server enforces), slots from the task
templates, presets from ``domain.presets``; a test compares its fields with the proto
descriptor. Proto3 JSON details it follows: field names as in the proto (snake_case), enums by
full value name, 64-bit integers as a JSON integer or a decimal string. Ranges of 64-bit
integers given as strings are only checked for digits here; the server checks the value.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from typing import Any

from openledger_ml.catalogue import BASE_MODEL_ID
from openledger_ml.templates import SLOTS, TaskTemplate
from openledger_modelfactory.domain.jobconfig import BOUNDS, DEFAULTS, MIN_SEQ_LENGTH
from openledger_modelfactory.domain.model import (
    ADAPTER_ID,
    SNAPSHOT_NAME,
    Precision,
)
from openledger_modelfactory.domain.presets import PRESETS

SCHEMA_ID = "https://openledger.dev/schemas/modelfactory/v1/training-job-config.json"
DIALECT = "https://json-schema.org/draft/2020-12/schema"

_POINTER_PATTERN = r"^(/([^~/]|~[01])*)+$"
_DECIMAL = r"^(0|[1-9][0-9]*)$"
_FEE_PATTERN = r"^(|0|[1-9][0-9]{0,77})$"
"""Empty (unset) or a decimal integer of at most 78 digits (2**256 has 78)."""

Json = dict[str, Any]


def job_config_schema() -> str:
    """The schema as published: compact JSON with sorted keys, so its bytes (and
    ``schema_sha256``) change only when the schema does."""
    return _text()


def schema_sha256(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


@cache
def _text() -> str:
    return json.dumps(_schema(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _default(path: str) -> Any:
    value: Any = DEFAULTS
    for part in path.split("."):
        value = getattr(value, part)
    return value


def _numeric(kind: str, path: str, title: str, description: str) -> Json:
    """A number, int32 or int64 field with its documented range and fixed default."""
    bound = BOUNDS.get(path)
    number: Json = {"type": "number" if kind == "double" else "integer"}
    if bound is not None:
        key = "exclusiveMinimum" if bound.exclusive_minimum else "minimum"
        number[key] = bound.minimum
        if bound.maximum is not None:
            number["maximum"] = bound.maximum
    field: Json
    if kind == "int64":
        field = {"anyOf": [number, {"type": "string", "pattern": _DECIMAL}]}
    else:
        field = number
    field["title"] = title
    field["description"] = description
    default = _default(path)
    if default is not None:
        field["default"] = default
    return field


def _string(title: str, description: str, pattern: str | None = None) -> Json:
    field: Json = {"type": "string", "title": title, "description": description}
    if pattern is not None:
        field["pattern"] = pattern
    return field


def _lora() -> Json:
    return {
        "type": "object",
        "title": "LoRA",
        "description": "LoRA (peft) hyperparameters.",
        "additionalProperties": False,
        "properties": {
            "rank": _numeric(
                "int32",
                "lora.rank",
                "Rank",
                "LoRA rank r, 1 to the base model's max_lora_rank.",
            ),
            "alpha": _numeric(
                "double",
                "lora.alpha",
                "Alpha",
                "LoRA alpha (the update is scaled by alpha / rank), > 0. Default 2 x rank.",
            ),
            "dropout": _numeric(
                "double",
                "lora.dropout",
                "Dropout",
                "Dropout on the LoRA input, 0 to 0.5.",
            ),
            "target_modules": {
                "type": "array",
                "title": "Target modules",
                "description": (
                    "Modules to adapt, each in the base model's supported_target_modules. "
                    "Empty: the preset's, else the base model's default_target_modules."
                ),
                "items": {"type": "string", "minLength": 1},
                "uniqueItems": True,
            },
        },
    }


def _attribution() -> Json:
    enabled: Json = {
        "type": "boolean",
        "title": "Enabled",
        "description": (
            "Whether per-example gradient features are computed and stored. Without them, "
            "attribution of this adapter's outputs uses span matching only."
        ),
        "default": _default("attribution.enabled"),
    }
    return {
        "type": "object",
        "title": "Attribution features",
        "description": (
            "Per-example gradients of the LoRA parameters, randomly projected with a fixed "
            "seed and stored as float16 beside the adapter, for gradient-influence attribution."
        ),
        "additionalProperties": False,
        "properties": {
            "enabled": enabled,
            "projection_dim": _numeric(
                "int32",
                "attribution.projection_dim",
                "Projection dimension",
                "Dimension of the random projection, 16-8192.",
            ),
            "projection_seed": _numeric(
                "int64",
                "attribution.projection_seed",
                "Projection seed",
                "Seed of the random projection matrix (Gaussian, scaled by "
                "1/sqrt(projection_dim)), 0 to 2^32-1. Attribution must use the same seed to "
                "project output gradients. Default: the job's seed.",
            ),
        },
    }


def _template_name(template: TaskTemplate) -> str:
    return f"TASK_TEMPLATE_{template.value}"


def _field_mapping() -> Json:
    slots = sorted({slot.name for template in TaskTemplate for slot in SLOTS[template]})
    return {
        "type": "object",
        "title": "Field mapping",
        "description": (
            "Which record field fills each slot of the task template: key = slot name, value "
            '= JSON Pointer (RFC 6901) into the record content, e.g. {"instruction": '
            '"/question", "output": "/answer"}. A slot missing from the map is read from '
            'the top-level field of the same name ("/instruction"). Records whose required '
            "slots are missing or of the wrong type are skipped and counted."
        ),
        "propertyNames": {"enum": slots},
        "additionalProperties": {"type": "string", "pattern": _POINTER_PATTERN},
    }


def _slots_per_template() -> list[Json]:
    """Each template allows only its own slots in ``field_mapping``."""
    return [
        {
            "if": {
                "properties": {"task_template": {"const": _template_name(template)}},
                "required": ["task_template"],
            },
            "then": {
                "properties": {
                    "field_mapping": {
                        "propertyNames": {"enum": [slot.name for slot in SLOTS[template]]}
                    }
                }
            },
        }
        for template in TaskTemplate
    ]


def _bare(pattern: str) -> str:
    return pattern.removeprefix("^").removesuffix("$")


def _schema() -> Json:
    properties: Json = {
        "base_model": _string(
            "Base model",
            "Base model to train on, baseModels/{base_model}. Required.",
            f"^baseModels/{_bare(BASE_MODEL_ID.pattern)}$",
        ),
        "snapshot": _string(
            "Snapshot",
            "Datanet snapshot to train on, datanets/{datanet}/snapshots/{snapshot}; it must be "
            "SUCCEEDED. The job pins its Merkle root at creation. Required.",
            SNAPSHOT_NAME.pattern,
        ),
        "adapter_id": _string(
            "Adapter id",
            "Id of the adapter to produce: 3-63 lowercase letters, digits and hyphens, starting "
            "with a letter. The job produces its next version, adapters/{adapter_id}@{version}. "
            "Required.",
            ADAPTER_ID.pattern,
        ),
        "task_template": {
            "type": "string",
            "title": "Task template",
            "description": (
                "How records become training text. INSTRUCTION: slots instruction (required), "
                "input, output (required), loss on the output. CHAT: slots messages (required, "
                "[{role, content}]), system, loss on assistant turns. COMPLETION: slots text "
                "(required), prompt, loss on the text. Required."
            ),
            "enum": [_template_name(template) for template in TaskTemplate],
        },
        "field_mapping": _field_mapping(),
        "lora": _lora(),
        "epochs": _numeric(
            "int32", "epochs", "Epochs", "Number of passes over the training split, 1-100."
        ),
        "max_steps": _numeric(
            "int64",
            "max_steps",
            "Maximum steps",
            "Stop after this many optimiser steps even if the epochs are not done; 0 means no "
            "step limit.",
        ),
        "learning_rate": _numeric(
            "double", "learning_rate", "Learning rate", "Peak learning rate of AdamW, in (0, 1]."
        ),
        "warmup_ratio": _numeric(
            "double",
            "warmup_ratio",
            "Warm-up ratio",
            "Linear warm-up as a fraction of total steps, 0 to 0.5, followed by linear decay to 0.",
        ),
        "weight_decay": _numeric(
            "double", "weight_decay", "Weight decay", "AdamW weight decay, 0 to 1."
        ),
        "batch_size": _numeric(
            "int32",
            "batch_size",
            "Batch size",
            "Examples per worker per forward/backward pass (micro-batch), 1-1024. The "
            "effective batch per optimiser step is batch_size x gradient_accumulation_steps x "
            "num_workers.",
        ),
        "gradient_accumulation_steps": _numeric(
            "int32",
            "gradient_accumulation_steps",
            "Gradient accumulation steps",
            "Micro-batches accumulated per optimiser step, 1-1024.",
        ),
        "max_seq_length": _numeric(
            "int32",
            "max_seq_length",
            "Maximum sequence length",
            f"Maximum tokens per example, {MIN_SEQ_LENGTH} to the base model's context_length; "
            "longer examples are truncated from the right and counted. Default "
            "min(512, context_length).",
        ),
        "seed": _numeric(
            "int64",
            "seed",
            "Seed",
            "Seed for data shuffling, the train/eval split, LoRA initialisation and dropout, "
            "0 to 2^32-1.",
        ),
        "eval_fraction": _numeric(
            "double",
            "eval_fraction",
            "Evaluation fraction",
            "Fraction of the snapshot's usable records held out for evaluation, 0 to 0.5, "
            "chosen deterministically from the seed and record ids. 0 disables evaluation.",
        ),
        "num_workers": _numeric(
            "int32", "num_workers", "Workers", "Number of Ray Train workers (data-parallel), 1-64."
        ),
        "cpus_per_worker": _numeric(
            "int32", "cpus_per_worker", "CPUs per worker", "CPUs reserved per worker, 1-256."
        ),
        "gpus_per_worker": _numeric(
            "int32", "gpus_per_worker", "GPUs per worker", "GPUs per worker, 0-8; 0 trains on CPU."
        ),
        "precision": {
            "type": "string",
            "title": "Precision",
            "description": (
                "Numeric precision of training. UNSPECIFIED: the preset's value, else BF16 on "
                "GPU workers and FP32 on CPU workers. BF16 and FP16 need GPU workers."
            ),
            "enum": ["TRAINING_PRECISION_UNSPECIFIED"]
            + [f"TRAINING_PRECISION_{p.value}" for p in Precision],
        },
        "checkpoint_every_steps": _numeric(
            "int32",
            "checkpoint_every_steps",
            "Checkpoint interval",
            "Save a checkpoint every this many optimiser steps (and at the end of each epoch), "
            "1-1000000. Failed attempts resume from the latest checkpoint.",
        ),
        "max_failures": _numeric(
            "int32",
            "max_failures",
            "Maximum failures",
            "How many times a failed attempt (worker lost, OOM, preemption) is retried from the "
            "latest checkpoint before the job fails, 0-10.",
        ),
        "fee_per_1k_tokens": {
            **_string(
                "Fee per 1k tokens",
                "Fee the adapter charges, registered on the ModelRegistry: a decimal integer "
                "string in wei of OPEN per 1,000 tokens (prompt plus generated), below 2^256. "
                '"0" makes the adapter free to use. Empty: the preset\'s value, else "0".',
                _FEE_PATTERN,
            ),
            "default": str(_default("fee_per_1k_tokens")),
        },
        "preset": {
            **_string(
                "Preset",
                "Name of a preset whose values fill the unset fields. Empty: server defaults only.",
            ),
            "enum": ["", *PRESETS],
        },
        "attribution": _attribution(),
    }
    return {
        "$schema": DIALECT,
        "$id": SCHEMA_ID,
        "title": "TrainingJobConfig",
        "description": (
            "Everything that determines a training run: what to train on, how examples are "
            "built, the LoRA and optimiser hyperparameters, resources, the attribution features "
            "and the adapter's fee. Unset fields take the named preset's value, else the "
            "server default."
        ),
        "type": "object",
        "additionalProperties": False,
        "required": ["base_model", "snapshot", "adapter_id", "task_template"],
        "properties": properties,
        "allOf": _slots_per_template(),
    }

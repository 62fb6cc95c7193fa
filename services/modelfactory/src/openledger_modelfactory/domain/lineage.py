"""The lineage manifest (``lineage.json``) of an adapter, and the JSON form of a resolved job
config that the manifest, the repository and the events share.

The manifest is canonical JSON (sorted keys, no spaces, UTF-8), so the same adapter always
gets the same bytes and hence the same object-store address: writing it again after a crash
is harmless. It names what the adapter was trained from (base model and revision, snapshots
and Merkle roots), how (the resolved config, the prompt template), with what result (metrics,
the adapter file's SHA-256) and by which code.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict
from importlib import metadata
from typing import Any

from openledger_modelfactory.domain.model import (
    AdapterMetrics,
    ObjectRef,
    Precision,
    ResolvedAttribution,
    ResolvedJobConfig,
    ResolvedLora,
    SnapshotLineage,
    TaskTemplate,
    adapter_name,
    base_model_name,
    job_name,
)

MANIFEST_FORMAT = "openledger.modelfactory.lineage.v1"
MANIFEST_MEDIA_TYPE = "application/json"

ADAPTER_CONFIG = "adapter_config.json"
ADAPTER_MODEL = "adapter_model.safetensors"
LINEAGE = "lineage.json"
FEATURES = "attribution_features.safetensors"
EXPORT_ORDER = (ADAPTER_CONFIG, ADAPTER_MODEL, LINEAGE, FEATURES)
"""The adapter's files in the fixed order ``ExportAdapter`` sends them."""


def code_version() -> str:
    """The distribution and version of the code that trained an adapter."""
    try:
        return f"openledger-modelfactory {metadata.version('openledger-modelfactory')}"
    except metadata.PackageNotFoundError:  # running from a source tree without metadata
        return "openledger-modelfactory unknown"


def canonical_json(value: Any) -> bytes:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


def config_to_json(config: ResolvedJobConfig) -> dict[str, Any]:
    """The config as plain JSON values; the fee is a decimal string (it is a uint256)."""
    data = asdict(config)
    data["task_template"] = config.task_template.value
    data["precision"] = config.precision.value
    data["field_mapping"] = dict(sorted(config.field_mapping.items()))
    data["lora"]["target_modules"] = list(config.lora.target_modules)
    data["fee_per_1k_tokens"] = str(config.fee_per_1k_tokens)
    return data


def config_from_json(data: Mapping[str, Any]) -> ResolvedJobConfig:
    raw = dict(data)
    raw["task_template"] = TaskTemplate(raw["task_template"])
    raw["precision"] = Precision(raw["precision"])
    raw["field_mapping"] = dict(raw["field_mapping"])
    lora = dict(raw["lora"])
    raw["lora"] = ResolvedLora(**{**lora, "target_modules": tuple(lora["target_modules"])})
    raw["attribution"] = ResolvedAttribution(**raw["attribution"])
    raw["fee_per_1k_tokens"] = int(raw["fee_per_1k_tokens"])
    return ResolvedJobConfig(**raw)


def metrics_to_json(metrics: AdapterMetrics) -> dict[str, Any]:
    data = asdict(metrics)
    data["extra"] = dict(sorted(metrics.extra.items()))
    return data


def metrics_from_json(data: Mapping[str, Any]) -> AdapterMetrics:
    return AdapterMetrics(**{**data, "extra": dict(data.get("extra") or {})})


def manifest(
    *,
    adapter_id: str,
    version: int,
    base_model: str,
    base_model_revision: str,
    snapshots: tuple[SnapshotLineage, ...],
    training_job: str,
    config: ResolvedJobConfig,
    prompt_template: str,
    metrics: AdapterMetrics,
    adapter_sha256: bytes,
    trainable_parameters: int,
    owner: str,
    files: Mapping[str, ObjectRef],
) -> bytes:
    """The ``lineage.json`` bytes. ``files`` are the adapter's other stored files by name
    (the manifest cannot name its own address)."""
    document = {
        "format": MANIFEST_FORMAT,
        "adapter": adapter_name(adapter_id, version),
        "adapter_id": adapter_id,
        "version": version,
        "base_model": base_model_name(base_model),
        "base_model_revision": base_model_revision,
        "snapshots": [
            {
                "snapshot": s.snapshot,
                "merkle_root": "0x" + s.merkle_root.hex(),
                "record_count": s.record_count,
            }
            for s in snapshots
        ],
        "training_job": job_name(training_job),
        "training_config": config_to_json(config),
        "prompt_template": prompt_template,
        "metrics": metrics_to_json(metrics),
        "adapter_sha256": "0x" + adapter_sha256.hex(),
        "trainable_parameters": trainable_parameters,
        "owner": owner,
        "fee_per_1k_tokens": str(config.fee_per_1k_tokens),
        "files": {
            name: {
                "sha256": "0x" + ref.sha256.hex(),
                "size_bytes": ref.size_bytes,
                "media_type": ref.media_type,
            }
            for name, ref in sorted(files.items())
        },
        "code_version": code_version(),
    }
    return canonical_json(document)

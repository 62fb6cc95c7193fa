"""The training-time attribution features ModelFactory stores beside an adapter
(``attribution_features.safetensors``), read back for scoring.

The file holds ``features`` (float16 [N, dim], each training example's projected LoRA
gradient) and ``snapshot_indexes`` (int64 [N], ascending: row i belongs to snapshot record
``snapshot_indexes[i]``), with metadata ``projection_dim``, ``projection_seed``, ``snapshot``
and ``merkle_root``. Only examples of the training split have a row. A file that does not have
this shape is refused: scores computed from it would be silently wrong.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load

from openledger_kit.errors import FailedPrecondition

FEATURES_FILE = "attribution_features.safetensors"
INVALID_FEATURES = "INVALID_ATTRIBUTION_FEATURES"
_METADATA_KEYS = ("projection_dim", "projection_seed", "snapshot", "merkle_root")
_DOMAIN = "openledger.attribution"


@dataclass(frozen=True)
class TrainingFeatures:
    features: torch.Tensor
    """float16 [N, projection_dim]."""
    snapshot_indexes: torch.Tensor
    """int64 [N], strictly ascending."""
    projection_dim: int
    projection_seed: int
    snapshot: str
    merkle_root: str

    @property
    def examples(self) -> int:
        return int(self.snapshot_indexes.numel())


def read_features(path: Path) -> TrainingFeatures:
    """The features file at ``path``."""
    return parse_features(path.read_bytes())


def parse_features(data: bytes) -> TrainingFeatures:
    """The features file's bytes (as the object store returns them)."""
    try:
        tensors = load(data)
        metadata = _metadata(data)
    except SafetensorError as exc:
        raise _invalid(f"not a safetensors file ({exc})") from exc
    missing = [key for key in ("features", "snapshot_indexes") if key not in tensors]
    if missing:
        raise _invalid(f"tensors {missing} are missing")
    absent = [key for key in _METADATA_KEYS if key not in metadata]
    if absent:
        raise _invalid(f"metadata {absent} is missing")
    try:
        dim, seed = int(metadata["projection_dim"]), int(metadata["projection_seed"])
    except ValueError as exc:
        raise _invalid("metadata projection_dim and projection_seed must be integers") from exc
    features, indexes = tensors["features"], tensors["snapshot_indexes"]
    if features.dtype != torch.float16 or features.dim() != 2 or features.shape[1] != dim:
        raise _invalid(
            f"features must be float16 [N, {dim}], got {features.dtype} {tuple(features.shape)}"
        )
    if indexes.dtype != torch.int64 or indexes.shape != (features.shape[0],):
        raise _invalid(
            f"snapshot_indexes must be int64 [{features.shape[0]}], got {indexes.dtype}"
            f" {tuple(indexes.shape)}"
        )
    if indexes.numel() and (int(indexes[0]) < 0 or bool((indexes[1:] <= indexes[:-1]).any())):
        raise _invalid("snapshot_indexes must be non-negative and strictly ascending")
    if not bool(torch.isfinite(features).all()):
        raise _invalid("features hold non-finite values")
    return TrainingFeatures(
        features=features,
        snapshot_indexes=indexes,
        projection_dim=dim,
        projection_seed=seed,
        snapshot=metadata["snapshot"],
        merkle_root=metadata["merkle_root"],
    )


def _metadata(data: bytes) -> dict[str, str]:
    # safetensors.torch.load drops the metadata, and safe_open needs a file: the header (an
    # 8-byte little-endian length, then JSON) is read here, after load has validated it.
    (header_size,) = struct.unpack("<Q", data[:8])
    metadata = json.loads(data[8 : 8 + header_size]).get("__metadata__") or {}
    return {str(key): str(value) for key, value in metadata.items()}


def _invalid(message: str) -> FailedPrecondition:
    return FailedPrecondition(
        f"attribution features: {message}", reason=INVALID_FEATURES, domain=_DOMAIN
    )

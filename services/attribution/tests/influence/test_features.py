from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from openledger_attribution.influence.features import (
    INVALID_FEATURES,
    parse_features,
    read_features,
)
from openledger_kit.errors import FailedPrecondition
from services.attribution.tests.influence.support import write_features


def test_round_trip_of_modelfactory_file(tmp_path: Path) -> None:
    features = torch.randn(5, 32)
    path = write_features(
        tmp_path / "f.safetensors", features, [0, 2, 3, 7, 9], projection_dim=32, projection_seed=4
    )

    read = read_features(path)

    assert read.examples == 5
    assert read.projection_dim == 32 and read.projection_seed == 4
    assert read.snapshot == "datanets/planted/snapshots/1"
    assert read.merkle_root == "0x" + "ab" * 32
    assert read.snapshot_indexes.tolist() == [0, 2, 3, 7, 9]
    assert read.features.dtype == torch.float16
    assert torch.equal(read.features, features.to(torch.float16))
    assert torch.equal(parse_features(path.read_bytes()).features, read.features)


def _file(tmp_path: Path, tensors: dict[str, torch.Tensor], **metadata: str) -> bytes:
    meta = {"projection_dim": "4", "projection_seed": "1", "snapshot": "s", "merkle_root": "0x"}
    meta.update(metadata)
    path = tmp_path / "bad.safetensors"
    save_file(tensors, str(path), metadata=meta)
    return path.read_bytes()


@pytest.mark.parametrize(
    ("tensors", "metadata", "message"),
    [
        ({"features": torch.zeros(2, 4, dtype=torch.float16)}, {}, "snapshot_indexes"),
        (
            {"features": torch.zeros(2, 4), "snapshot_indexes": torch.arange(2)},
            {},
            "float16",
        ),
        (
            {
                "features": torch.zeros(2, 8, dtype=torch.float16),
                "snapshot_indexes": torch.arange(2),
            },
            {},
            r"float16 \[N, 4\]",
        ),
        (
            {
                "features": torch.zeros(2, 4, dtype=torch.float16),
                "snapshot_indexes": torch.tensor([3, 1]),
            },
            {},
            "ascending",
        ),
        (
            {
                "features": torch.zeros(2, 4, dtype=torch.float16),
                "snapshot_indexes": torch.arange(3),
            },
            {},
            r"int64 \[2\]",
        ),
        (
            {
                "features": torch.full((2, 4), float("inf"), dtype=torch.float16),
                "snapshot_indexes": torch.arange(2),
            },
            {},
            "non-finite",
        ),
        (
            {
                "features": torch.zeros(2, 4, dtype=torch.float16),
                "snapshot_indexes": torch.arange(2),
            },
            {"projection_seed": "x"},
            "integers",
        ),
    ],
)
def test_malformed_files_are_refused(
    tmp_path: Path, tensors: dict[str, torch.Tensor], metadata: dict[str, str], message: str
) -> None:
    with pytest.raises(FailedPrecondition, match=message) as caught:
        parse_features(_file(tmp_path, tensors, **metadata))
    assert caught.value.reason == INVALID_FEATURES


def test_missing_metadata_and_garbage_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "f.safetensors"
    tensors = {
        "features": torch.zeros(1, 4, dtype=torch.float16),
        "snapshot_indexes": torch.arange(1),
    }
    save_file(tensors, str(path))
    with pytest.raises(FailedPrecondition, match="metadata"):
        parse_features(path.read_bytes())
    with pytest.raises(FailedPrecondition, match="not a safetensors file"):
        parse_features(b"not a safetensors file at all")

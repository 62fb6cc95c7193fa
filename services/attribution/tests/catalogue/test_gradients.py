"""The planted adapter loaded from the object store for gradient influence."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import torch

from openledger_attribution.adapters.gradients import (
    FEATURES_LINEAGE_MISMATCH,
    NO_GRADIENT_FEATURES,
    GradientLibrary,
)
from openledger_attribution.adapters.models import BaseModelLibrary
from openledger_attribution.adapters.repository import Repository
from openledger_attribution.influence.query import Completion
from openledger_kit.errors import FailedPrecondition
from services.attribution.tests.support.planted import PlantedPlatform

pytestmark = pytest.mark.slow


def _library(planted: PlantedPlatform, repo: Repository, work: Path) -> GradientLibrary:
    repo.record_snapshot(planted.snapshot)
    return GradientLibrary(repo, planted.store, BaseModelLibrary(None, planted.cache_dir), work)


async def test_the_planted_contributor_ranks_first(
    planted: PlantedPlatform, repo: Repository, tmp_path: Path
) -> None:
    torch.set_num_threads(1)
    library = _library(planted, repo, tmp_path)
    model = await library.get(planted.adapter)
    assert await library.get(planted.adapter) is model
    assert model.features.examples == len(planted.records)

    completions = [planted.completion(i, output_tokens=8)[0] for i in range(len(planted.records))]
    queries = model.queries.features([Completion(c.prompt_ids, c.output_ids) for c in completions])
    results = model.scorer.score(queries)
    top = [max(r.credits, key=lambda c: r.credits[c]) for r in results]
    right = sum(t == record.contributor for t, record in zip(top, planted.records, strict=True))
    # Measured: all twelve; a random ranking would get about three.
    assert right >= 11


async def test_features_of_another_snapshot_are_refused(
    planted: PlantedPlatform, repo: Repository, tmp_path: Path
) -> None:
    other_root = dataclasses.replace(planted.adapter, snapshot_merkle_root=b"\x07" * 32)
    with pytest.raises(FailedPrecondition) as caught:
        await _library(planted, repo, tmp_path).get(other_root)
    assert caught.value.reason == FEATURES_LINEAGE_MISMATCH


async def test_an_adapter_without_features_has_no_gradient_model(
    planted: PlantedPlatform, repo: Repository, tmp_path: Path
) -> None:
    bare = dataclasses.replace(planted.adapter, features_digest="")
    with pytest.raises(FailedPrecondition) as caught:
        await _library(planted, repo, tmp_path).get(bare)
    assert caught.value.reason == NO_GRADIENT_FEATURES

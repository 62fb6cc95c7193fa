"""Span indexes built from a real snapshot, stored, and found again from the store alone."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from openledger_attribution.adapters.indexes import INDEX_MISSING, IndexLibrary
from openledger_attribution.adapters.models import BaseModelLibrary
from openledger_attribution.adapters.records import record_text
from openledger_attribution.adapters.repository import Repository
from openledger_kit.errors import FailedPrecondition
from services.attribution.tests.support.planted import BASE_MODEL, PlantedPlatform

pytestmark = pytest.mark.slow


def _library(planted: PlantedPlatform, repo: Repository, cache: Path) -> IndexLibrary:
    return IndexLibrary(repo, planted.store, BaseModelLibrary(None, planted.cache_dir), cache)


async def test_a_built_index_maps_documents_to_records(
    planted: PlantedPlatform, repo: Repository, tmp_path: Path
) -> None:
    repo.record_snapshot(planted.snapshot)
    loaded = await _library(planted, repo, tmp_path / "cache").get(
        planted.snapshot, BASE_MODEL, build=True
    )
    documents = loaded.index.documents
    assert [(d.record_id, d.contributor, d.content_hash) for d in documents] == [
        (r.record_id, r.contributor, r.content_hash) for r in planted.records
    ]
    for i, record in enumerate(planted.records):
        tokens = loaded.encode(record_text(record.content))
        assert documents[i].token_count == len(tokens)
        # A completion reproducing a record's output is found in that record's document.
        hits = loaded.index.occurrences(record.output_ids, limit=10)
        assert {document for document, _ in hits} == {i}
    assert loaded.decode(loaded.encode("The sea is grey")) == "The sea is grey"
    assert (
        "".join(loaded.text.token_texts(planted.records[0].output_ids))
        == (planted.records[0].content["output"])
    )
    assert repo.get_index(planted.snapshot.name, BASE_MODEL) == loaded.record
    assert loaded.record.sha256 == loaded.index.digest()
    assert loaded.record.token_count == loaded.index.total_tokens


async def test_an_index_is_found_again_from_the_store_alone(
    planted: PlantedPlatform, repo: Repository, tmp_path: Path
) -> None:
    built = await _library(planted, repo, tmp_path / "first").get(
        planted.snapshot, BASE_MODEL, build=True
    )
    shutil.rmtree(tmp_path / "first")

    fetched = await _library(planted, repo, tmp_path / "second").get(
        planted.snapshot, BASE_MODEL, build=False
    )
    assert fetched.record == built.record
    assert fetched.index.digest() == built.record.sha256
    assert (tmp_path / "second" / built.record.sha256.hex()).is_dir()
    record = planted.records[5]
    assert fetched.index.occurrences(record.output_ids, limit=1)[0][0] == 5

    # Building again elsewhere gives the same bytes.
    other = Repository.open(f"sqlite:///{tmp_path / 'other.db'}")
    rebuilt = await _library(planted, other, tmp_path / "third").get(
        planted.snapshot, BASE_MODEL, build=True
    )
    other.close()
    assert rebuilt.record.sha256 == built.record.sha256
    assert rebuilt.record.manifest_digest == built.record.manifest_digest


async def test_a_missing_index_without_build_is_index_missing(
    planted: PlantedPlatform, repo: Repository, tmp_path: Path
) -> None:
    with pytest.raises(FailedPrecondition) as caught:
        await _library(planted, repo, tmp_path).get(planted.snapshot, BASE_MODEL, build=False)
    assert caught.value.reason == INDEX_MISSING
    assert repo.get_index(planted.snapshot.name, BASE_MODEL) is None

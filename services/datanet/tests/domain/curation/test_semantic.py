"""Semantic dedupe through the Embedder protocol, with the deterministic hashing embedder."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pytest

from openledger_datanet.domain.curation import (
    Curator,
    DatanetIndex,
    HashingEmbedder,
    Policy,
    Reason,
    embedding_from_bytes,
)
from openledger_datanet.domain.curation.semantic import EmbeddingIndex, embedding_to_bytes

SCHEMA: dict[str, object] = {"type": "object"}
# Near dedupe off so that only the semantic check can catch the reordered paraphrase.
POLICY = dataclasses.replace(
    Policy.default(),
    text_field_paths=("/text",),
    near_duplicate_threshold=0.0,
    semantic_dedupe_enabled=True,
    semantic_duplicate_threshold=0.8,
)
TEXT = (
    "Gardeners on heavy clay should add organic matter before planting tomatoes, and a thick "
    "layer of mulch helps them survive dry spells in July."
)
# The same sentences in the other order: word-bag similarity stays high.
REORDERED = (
    "A thick layer of mulch helps tomatoes survive dry spells in July, and gardeners on heavy "
    "clay should add organic matter before planting them."
)
UNRELATED = (
    "The nightly job now finishes at six instead of running into the morning, because the "
    "team batched the writes and pinned the dependency."
)


class CountingEmbedder:
    """HashingEmbedder that records how often and with how many texts it was called."""

    def __init__(self) -> None:
        self.inner = HashingEmbedder()
        self.calls: list[int] = []

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.floating]:
        self.calls.append(len(texts))
        return self.inner.embed(texts)


def test_hashing_embedder_is_deterministic_and_unit_length() -> None:
    rows = HashingEmbedder().embed([TEXT, TEXT, "", UNRELATED])
    assert rows.shape == (4, 512) and rows.dtype == np.float32
    assert np.allclose(np.linalg.norm(rows[[0, 1, 3]], axis=1), 1.0)
    assert not rows[2].any()
    assert (rows[0] == rows[1]).all()
    assert float(rows[0] @ HashingEmbedder().embed([REORDERED])[0]) > 0.8
    assert float(rows[0] @ rows[3]) < 0.3


def test_embedding_bytes_round_trip() -> None:
    vector = HashingEmbedder(8).embed(["a b c"])[0]
    assert (embedding_from_bytes(embedding_to_bytes(vector)) == vector).all()
    with pytest.raises(ValueError):
        embedding_from_bytes(b"\x00" * 5)


def test_embedding_index_best_match_and_dimension_check() -> None:
    index = EmbeddingIndex()
    assert index.best_match([1.0, 0.0]) is None
    index.add("x", [1.0, 0.0])
    index.add("y", [0.0, 2.0])  # normalised on the way in
    match = index.best_match([0.1, 1.0])
    assert match is not None and match[0] == "y" and match[1] == pytest.approx(0.995, abs=1e-3)
    assert index.best_match([-1.0, 0.0]) == ("y", 0.0)  # negatives clamp to 0
    with pytest.raises(ValueError):
        index.add("z", [1.0, 0.0, 0.0])


def test_semantic_duplicates_are_rejected_in_one_embedding_call_per_batch() -> None:
    embedder = CountingEmbedder()
    curator, index = Curator(POLICY, SCHEMA, embedder), DatanetIndex(POLICY)
    outcomes = curator.curate_batch(
        [("a", {"text": TEXT}), ("b", {"text": REORDERED}), ("c", {"text": UNRELATED})], index
    )
    assert embedder.calls == [3]
    assert [o.accepted for o in outcomes] == [True, False, True]
    [rejection] = outcomes[1].rejections
    assert rejection.reason is Reason.SEMANTIC_DUPLICATE and rejection.duplicate_of == "a"
    assert rejection.observed >= 0.8 and rejection.limit == 0.8
    assert outcomes[1].metrics.most_similar == "a"
    assert outcomes[2].metrics.max_semantic_similarity < 0.5
    assert len(outcomes[0].embedding) == 4 * 512


def test_restored_index_keeps_embeddings() -> None:
    curator, index = Curator(POLICY, SCHEMA, HashingEmbedder()), DatanetIndex(POLICY)
    [first] = curator.curate_batch([("a", {"text": TEXT})], index)
    restored = DatanetIndex.restore(
        POLICY, [("a", first.exact_key, first.minhash, first.embedding)]
    )
    again = curator.curate("b", {"text": REORDERED}, restored)
    assert again.reasons == {Reason.SEMANTIC_DUPLICATE}

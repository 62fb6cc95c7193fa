"""Exact keys, shingles for short texts, signatures and the LSH near-duplicate index."""

from __future__ import annotations

import pytest

from openledger_datanet.domain.curation.dedupe import (
    NUM_PERM,
    NearDuplicateIndex,
    exact_key,
    jaccard,
    lsh_params,
    shingles,
    signature_from_bytes,
    signature_to_bytes,
    text_signature,
)

TEXT = (
    "Coaches in rowing increasingly use tempo runs to build endurance. The squad trains four "
    "times a week, mixing interval sprints with rest days."
)


def test_exact_key_is_sha256_of_canonical_json() -> None:
    assert exact_key({"b": "x", "a": 1.0}) == exact_key({"a": 1, "b": "x"})
    assert len(exact_key({})) == 32
    assert exact_key({"a": "x"}) != exact_key({"a": "x "})


def test_short_texts_get_character_shingles_on_top_of_word_ngrams() -> None:
    items = shingles("Hello, World! hello world", 3)
    assert b"w:hello world hello" in items and b"c:hello" in items
    assert shingles("one", 3) == {b"w:one", b"c:one"}
    assert shingles("!!!", 3) == set()
    long_text = " ".join(f"word{i}" for i in range(200))
    assert all(item.startswith(b"w:") for item in shingles(long_text, 3))


def test_punctuation_and_case_edits_do_not_change_the_signature() -> None:
    a = text_signature(TEXT, 3)
    b = text_signature(TEXT.upper().replace(".", "!").replace(",", ""), 3)
    assert a is not None and b is not None
    assert jaccard(a, b) == 1.0
    assert text_signature("...", 3) is None


def test_signature_round_trips_through_bytes() -> None:
    values = text_signature(TEXT, 3)
    assert values is not None
    data = signature_to_bytes(values)
    assert len(data) == 1 + 4 * NUM_PERM
    assert (signature_from_bytes(data) == values).all()
    with pytest.raises(ValueError):
        signature_from_bytes(data[:-1])
    with pytest.raises(ValueError):
        signature_from_bytes(b"\x09" + data[1:])


def test_lsh_params_favour_recall_at_the_threshold() -> None:
    bands, rows = lsh_params(0.8)
    assert (bands, rows) == (25, 5)
    assert 1 - (1 - 0.75**rows) ** bands >= 0.995
    assert bands * rows <= NUM_PERM
    assert lsh_params(0.05) == (NUM_PERM, 1)


def test_index_finds_light_edits_and_ignores_unrelated_text() -> None:
    index = NearDuplicateIndex(0.8)
    original = text_signature(TEXT, 3)
    unrelated = text_signature("Preheat the oven and bake the lemon tart until golden.", 3)
    assert original is not None and unrelated is not None
    index.add("orig", original)
    index.add("orig", unrelated)  # a repeated key keeps its first signature
    assert len(index) == 1 and "orig" in index
    edited = text_signature(TEXT.replace("four", "five"), 3)
    assert edited is not None
    match = index.best_match(edited)
    assert match is not None and match[0] == "orig" and match[1] >= 0.8
    assert index.best_match(unrelated) is None

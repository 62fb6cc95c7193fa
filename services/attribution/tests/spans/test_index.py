"""The span index against brute force: random corpora over tiny vocabularies (so spans repeat
and cross record boundaries often), edge cases, and the saved form."""

from __future__ import annotations

import hashlib
import random
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest

from openledger_attribution.spans.index import INDEX_FILES, IndexedDocument, SpanIndex
from openledger_kit.errors import InvalidArgument, NotFound

Corpus = list[list[int]]


def _documents(corpus: Corpus) -> list[tuple[IndexedDocument, list[int]]]:
    return [
        (IndexedDocument(f"rec-{i}", "0x" + f"{i + 1:040x}", len(tokens)), tokens)
        for i, tokens in enumerate(corpus)
    ]


def _random_corpus(draw: random.Random, vocab: int) -> Corpus:
    return [
        [draw.randrange(vocab) for _ in range(draw.choice([0, 1, 3, 8, 20, 40]))]
        for _ in range(draw.randint(1, 12))
    ]


def _naive_occurrences(corpus: Corpus, span: Sequence[int]) -> list[tuple[int, int]]:
    n = len(span)
    return [
        (d, i)
        for d, tokens in enumerate(corpus)
        for i in range(len(tokens) - n + 1)
        if tokens[i : i + n] == list(span)
    ]


def _naive_longest_prefix(corpus: Corpus, query: Sequence[int], start: int) -> int:
    n = 0
    while start + n < len(query) and _naive_occurrences(corpus, query[start : start + n + 1]):
        n += 1
    return n


@pytest.mark.parametrize("seed", range(12))
def test_counts_occurrences_and_prefixes_match_a_naive_scan(seed: int) -> None:
    draw = random.Random(seed)
    vocab = draw.choice([2, 3, 5])
    corpus = _random_corpus(draw, vocab)
    index = SpanIndex.build(_documents(corpus), vocab_size=vocab)

    assert index.total_tokens == sum(map(len, corpus))
    for token in range(vocab):
        assert index.unigram_count(token) == sum(doc.count(token) for doc in corpus)
    for _ in range(40):
        # Spans taken from the corpus (often across a record boundary) and fresh ones.
        flat = [t for doc in corpus for t in doc]
        if flat and draw.random() < 0.5:
            at = draw.randrange(len(flat))
            span = flat[at : at + draw.randint(1, 6)]
        else:
            span = [draw.randrange(vocab) for _ in range(draw.randint(1, 6))]
        expected = _naive_occurrences(corpus, span)
        assert index.count(span) == len(expected)
        assert index.occurrences(span, limit=len(expected) + 5) == expected
        assert index.occurrences(span, limit=2) == expected[:2]

        query = [draw.randrange(vocab) for _ in range(draw.randint(0, 30))]
        if flat and query:
            at = draw.randrange(len(flat))
            cut = draw.randrange(len(query))
            query[cut:cut] = flat[at : at + 25]
        for start in range(len(query) + 1):
            assert index.longest_prefix(query, start) == _naive_longest_prefix(corpus, query, start)


def test_a_long_copied_run_is_found_whole_and_a_longer_query_stops_at_its_end() -> None:
    draw = random.Random(7)
    corpus = [[draw.randrange(50) for _ in range(1000)] for _ in range(3)]
    index = SpanIndex.build(_documents(corpus), vocab_size=50)
    copied = corpus[1][100:700]
    query = [49, 49, 49, *copied, 0, 0, 0, 0]

    assert index.longest_prefix(query, 3) == _naive_longest_prefix(corpus, query, 3) >= 600
    assert index.longest_prefix(np.asarray(query), 3) == index.longest_prefix(query, 3)
    assert (1, 100) in index.occurrences(copied, limit=10)


def test_intervals_wider_than_one_gather_are_bisected_correctly() -> None:
    # 3 tokens over 24k positions: the first few tokens of a span select intervals of thousands.
    draw = random.Random(11)
    corpus = [[draw.randrange(3) for _ in range(draw.randint(500, 3000))] for _ in range(12)]
    index = SpanIndex.build(_documents(corpus), vocab_size=3)
    for _ in range(6):
        span = [draw.randrange(3) for _ in range(draw.randint(1, 4))]
        expected = _naive_occurrences(corpus, span)
        assert index.count(span) == len(expected) > 100
        assert index.occurrences(span, limit=7) == expected[:7]
    query = [draw.randrange(3) for _ in range(30)]
    assert index.longest_prefix(query, 0) == _naive_longest_prefix(corpus, query, 0)


def test_no_span_crosses_records_and_the_separator_never_matches() -> None:
    vocab = 10
    index = SpanIndex.build(_documents([[1, 2, 3], [4, 5], [], [6]]), vocab_size=vocab)
    separator = np.iinfo(np.uint16).max

    assert index.count([3, 4]) == 0 and index.count([5, 6]) == 0
    assert index.longest_prefix([2, 3, 4, 5], 0) == 2
    assert index.count([separator]) == 0 and index.unigram_count(separator) == 0
    assert index.longest_prefix([separator, 1], 0) == 0
    assert index.longest_prefix([3, separator], 0) == 1
    assert index.occurrences([6], limit=5) == [(3, 0)]
    assert index.occurrences([4, 5], limit=5) == [(1, 0)]
    # Ids outside the vocabulary occur nowhere, including negative ones.
    assert index.count([vocab]) == 0 and index.count([-1]) == 0
    assert index.longest_prefix([1, 2, -1], 0) == 2


@pytest.mark.parametrize(
    ("vocab", "dtype"), [(65534, np.uint16), (65535, np.uint32), (70000, np.uint32)]
)
def test_token_ids_at_the_vocabulary_edge(vocab: int, dtype: type, tmp_path: Path) -> None:
    top = vocab - 1
    corpus = [[top, 0, top, top], [0, top]]
    index = SpanIndex.build(_documents(corpus), vocab_size=vocab)
    index.save(tmp_path)

    assert np.load(tmp_path / "tokens.npy").dtype == dtype
    assert index.count([top]) == 4 and index.unigram_count(top) == 4
    assert index.count([0, top]) == 2 and index.count([top, top]) == 1
    assert index.longest_prefix([0, top, top, 0], 0) == 3
    assert index.count([vocab]) == 0


def test_a_single_document_and_an_empty_index() -> None:
    single = SpanIndex.build(_documents([[4, 4, 4, 4]]), vocab_size=5)
    assert single.count([4, 4]) == 3
    assert single.occurrences([4, 4], limit=10) == [(0, 0), (0, 1), (0, 2)]
    assert single.longest_prefix([4] * 9, 0) == 4

    for empty in (SpanIndex.build([], vocab_size=5), SpanIndex.build(_documents([[]]), 5)):
        assert empty.total_tokens == 0
        assert empty.count([1]) == 0 and empty.occurrences([1], limit=3) == []
        assert empty.longest_prefix([1, 2], 0) == 0 and empty.unigram_count(1) == 0


def test_invalid_input_names_the_field() -> None:
    with pytest.raises(InvalidArgument) as raised:
        SpanIndex.build(_documents([[1], [2, 9]]), vocab_size=5)
    assert raised.value.field == "documents[1].tokens"
    with pytest.raises(InvalidArgument) as raised:
        SpanIndex.build([(IndexedDocument("r", "0x1", 3), [1, 2])], vocab_size=5)
    assert raised.value.field == "documents[0].token_count"

    index = SpanIndex.build(_documents([[1, 2]]), vocab_size=5)
    checks: list[tuple[Callable[[], object], str]] = [
        (lambda: index.count([]), "tokens"),
        (lambda: index.occurrences([1], limit=-1), "limit"),
        (lambda: index.longest_prefix([1, 2], 3), "start"),
    ]
    for call, field in checks:
        with pytest.raises(InvalidArgument) as raised:
            call()
        assert raised.value.field == field
    assert index.longest_prefix([1, 2], 2) == 0


def test_a_saved_index_loads_memory_mapped_and_answers_the_same(tmp_path: Path) -> None:
    draw = random.Random(3)
    corpus = [[draw.randrange(6) for _ in range(draw.randint(0, 60))] for _ in range(20)]
    built = SpanIndex.build(_documents(corpus), vocab_size=6)
    built.save(tmp_path)
    loaded = SpanIndex.load(tmp_path)

    assert isinstance(np.load(tmp_path / "sa.npy", mmap_mode="r"), np.memmap)
    assert loaded.documents == built.documents and loaded.vocab_size == 6
    assert loaded.total_tokens == built.total_tokens
    for _ in range(100):
        span = [draw.randrange(6) for _ in range(draw.randint(1, 5))]
        assert loaded.count(span) == built.count(span)
        assert loaded.occurrences(span, 4) == built.occurrences(span, 4)
        assert loaded.longest_prefix(span, 0) == built.longest_prefix(span, 0)
    assert loaded.digest() == built.digest()
    # The digest is the hash of the files themselves, in the published order.
    files = b"".join((tmp_path / name).read_bytes() for name in INDEX_FILES)
    assert built.digest() == hashlib.sha256(files).digest()


def test_the_digest_is_stable_across_processes_and_changes_with_the_corpus() -> None:
    program = (
        "from openledger_attribution.spans.index import IndexedDocument, SpanIndex\n"
        "docs = [(IndexedDocument('a', '0x01', 3), [1, 2, 3]), "
        "(IndexedDocument('b', '0x02', 2), [3, 1])]\n"
        "print(SpanIndex.build(docs, vocab_size=8).digest().hex())\n"
    )
    runs = {
        subprocess.run(
            [sys.executable, "-c", program], capture_output=True, text=True, check=True
        ).stdout.strip()
        for _ in range(2)
    }
    here = SpanIndex.build(
        [(IndexedDocument("a", "0x01", 3), [1, 2, 3]), (IndexedDocument("b", "0x02", 2), [3, 1])],
        vocab_size=8,
    ).digest()
    assert runs == {here.hex()}
    other = SpanIndex.build(
        [(IndexedDocument("a", "0x01", 3), [1, 2, 3]), (IndexedDocument("b", "0x03", 2), [3, 1])],
        vocab_size=8,
    ).digest()
    assert other != here


def test_loading_a_missing_index_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        SpanIndex.load(tmp_path / "absent")

from __future__ import annotations

import math
import random
import re
from collections.abc import Sequence
from functools import cache

import pytest
from transformers import PreTrainedTokenizerBase

from openledger_attribution.spans.attribution import (
    SpanParameters,
    SpanResult,
    trace_spans,
)
from openledger_attribution.spans.index import IndexedDocument, SpanIndex
from openledger_attribution.spans.text import DecodedTokenText, token_boundaries
from openledger_kit.errors import InvalidArgument
from openledger_ml.models.loading import load_tokenizer
from openledger_ml.testing import tiny_llama_path

ALICE = "0x00000000000000000000000000000000000000a1"
BOB = "0x00000000000000000000000000000000000000b2"
CAROL = "0x00000000000000000000000000000000000000c3"

COMMON = " The results are shown in the table below."


class Words:
    """A word-level tokenizer: one token per word or punctuation mark, with its leading
    whitespace, so tests can reason about spans word by word."""

    vocab_size = 4096

    def __init__(self) -> None:
        self._ids: dict[str, int] = {}
        self._pieces: list[str] = []

    def encode(self, text: str) -> list[int]:
        return [self._id(piece) for piece in re.findall(r"\s*(?:\w+|[^\w\s])", text)]

    def token_texts(self, ids: Sequence[int]) -> list[str]:
        return [self._pieces[token] for token in ids]

    def _id(self, piece: str) -> int:
        if piece not in self._ids:
            self._ids[piece] = len(self._pieces)
            self._pieces.append(piece)
        assert len(self._pieces) < self.vocab_size
        return self._ids[piece]


def _index(words: Words, records: Sequence[tuple[str, str]]) -> SpanIndex:
    documents = []
    for number, (contributor, text) in enumerate(records):
        tokens = words.encode(text)
        documents.append((IndexedDocument(f"record-{number}", contributor, len(tokens)), tokens))
    return SpanIndex.build(documents, words.vocab_size)


TOY_RECORDS = [
    (ALICE, "Field notes. Quantum lattice sparrows migrate northward every spring." + COMMON),
    (ALICE, "Aside. Our sparrows nest inside quantum lattices at night.\nThey sing."),
    (BOB, "Log. Velvet thunder echoes across the copper canyon at dawn." + COMMON),
    (BOB, "More." + COMMON),
    (CAROL, "Verse. Marble owls recite forgotten poems to the midnight tide." + COMMON),
    (CAROL, "Again." + COMMON),
]


@pytest.fixture(scope="module")
def toy() -> tuple[Words, SpanIndex]:
    words = Words()
    return words, _index(words, TOY_RECORDS)


DEFAULTS = SpanParameters()


def _trace(
    toy: tuple[Words, SpanIndex], output: str, params: SpanParameters = DEFAULTS
) -> SpanResult:
    words, index = toy
    return trace_spans(words.encode(output), index, words, params)


def _top(result: SpanResult) -> str:
    return max(result.credits, key=lambda contributor: (result.credits[contributor], contributor))


def test_copying_a_distinctive_sentence_credits_its_contributor(
    toy: tuple[Words, SpanIndex],
) -> None:
    result = _trace(
        toy, "I heard that Velvet thunder echoes across the copper canyon at dawn." + COMMON
    )

    assert _top(result) == BOB
    assert math.isclose(sum(result.credits.values()), 1.0)
    texts = [span.text for span in result.spans]
    assert texts == [" Velvet thunder echoes across the copper canyon at dawn.", COMMON]
    distinctive, common = result.spans
    assert [(o.record_id, o.contributor) for o in distinctive.occurrences] == [("record-2", BOB)]
    assert distinctive.count == distinctive.document_count == 1
    assert common.count == common.document_count == 5
    assert [o.contributor for o in common.occurrences] == [ALICE, BOB, BOB, CAROL, CAROL]


def test_credit_is_length_times_rarity_split_over_the_documents(
    toy: tuple[Words, SpanIndex],
) -> None:
    words, index = toy
    output = "I heard that Velvet thunder echoes across the copper canyon at dawn." + COMMON
    result = _trace(toy, output)

    ids = words.encode(output)
    for span in result.spans:
        log_prob = sum(
            math.log(index.unigram_count(token) / index.total_tokens)
            for token in ids[span.start : span.end]
        )
        assert math.isclose(span.log_prob, log_prob)
        assert math.isclose(span.rarity, -log_prob)
        assert math.isclose(span.weight, (span.end - span.start) * -log_prob)
        assert span.text == "".join(words.token_texts(ids[span.start : span.end]))
        assert output[span.char_start : span.char_end] == span.text
    distinctive, common = result.spans
    expected = {
        BOB: distinctive.weight + 2 * common.weight / 5,
        ALICE: common.weight / 5,
        CAROL: 2 * common.weight / 5,
    }
    assert result.scores.keys() == expected.keys()
    for contributor, score in expected.items():
        assert math.isclose(result.scores[contributor], score)
        assert math.isclose(result.credits[contributor], score / sum(expected.values()))


def test_spans_stop_at_sentence_ends_even_where_the_record_goes_on(
    toy: tuple[Words, SpanIndex],
) -> None:
    words, _ = toy
    # The record runs on from one sentence into the next; the output repeats both.
    output = "Notes say Our sparrows nest inside quantum lattices at night.\nThey sing."
    result = _trace(toy, output, SpanParameters(keep_fraction=1.0, min_tokens=1))

    assert [span.text for span in result.spans] == [
        " Our sparrows nest inside quantum lattices at night.",
        "\nThey sing.",
    ]
    boundaries = token_boundaries(words.token_texts(words.encode(output)))
    for span in result.spans:
        assert not any(boundaries.sentence_ends[span.start : span.end - 1])


def test_spans_are_whole_words_under_a_subword_tokenizer() -> None:
    tokenizer = _tokenizer()
    text = DecodedTokenText(tokenizer)
    record = "The glimmering quokka deciphers ancient astrolabes beneath crimson lanterns."
    tokens = _encode(tokenizer, record)
    index = SpanIndex.build([(IndexedDocument("r0", ALICE, len(tokens)), tokens)], len(tokenizer))
    # The output shares parts of words with the record ("quokkas", "deciphered").
    output = "Two glimmering quokkas deciphered ancient astrolabes beneath crimson lanterns."
    ids = _encode(tokenizer, output)

    result = trace_spans(ids, index, text, SpanParameters(keep_fraction=1.0, min_tokens=1))

    assert result.spans
    pieces = text.token_texts(ids)
    boundaries = token_boundaries(pieces)
    for span in result.spans:
        assert boundaries.word_starts[span.start] and boundaries.word_ends[span.end - 1]
        first = span.char_start + len(span.text) - len(span.text.lstrip())
        before = output[first - 1] if first else " "
        after = output[span.char_end] if span.char_end < len(output) else " "
        assert not before.isalnum() and not after.isalnum()
    assert " ancient astrolabes beneath crimson lanterns." in [s.text for s in result.spans]
    assert result.credits == {ALICE: 1.0}


def test_the_frequency_cap_drops_common_spans(toy: tuple[Words, SpanIndex]) -> None:
    output = "As usual." + COMMON

    capped = _trace(toy, output, SpanParameters(max_count=4, keep_fraction=1.0))
    assert capped.spans == () and capped.credits == {} and capped.scores == {}

    uncapped = _trace(toy, output, SpanParameters(max_count=5, keep_fraction=1.0, max_documents=2))
    (span,) = uncapped.spans
    assert span.text == COMMON and span.count == span.document_count == 5
    assert [o.record_id for o in span.occurrences] == ["record-0", "record-2"]
    assert uncapped.credits == {ALICE: 0.5, BOB: 0.5}


def test_short_spans_are_dropped(toy: tuple[Words, SpanIndex]) -> None:
    output = "Look: copper canyon dreams."
    assert _trace(toy, output, SpanParameters(min_tokens=3, keep_fraction=1.0)).spans == ()
    (span,) = _trace(toy, output, SpanParameters(min_tokens=2, keep_fraction=1.0)).spans
    assert span.text == " copper canyon"


def test_only_the_rarest_ceil_five_percent_of_the_output_length_are_kept(
    toy: tuple[Words, SpanIndex],
) -> None:
    words, _ = toy
    output = (
        "Quantum lattice sparrows migrate northward every spring. Filler words here"
        " to pad the output. Marble owls recite forgotten poems to the midnight tide."
        " More filler words to pad it out. Velvet thunder echoes across the copper canyon"
        " at dawn. And again." + COMMON
    )
    length = len(words.encode(output))
    everything = _trace(toy, output, SpanParameters(keep_fraction=1.0, min_tokens=2))
    kept = _trace(toy, output)

    expected = math.ceil(0.05 * length)
    assert len(everything.spans) > expected
    assert len(kept.spans) == expected
    by_rarity = sorted(everything.spans, key=lambda span: (span.log_prob, span.start))
    assert sorted(kept.spans, key=lambda s: s.start) == sorted(
        by_rarity[:expected], key=lambda s: s.start
    )
    assert [span.start for span in kept.spans] == sorted(span.start for span in kept.spans)


def test_an_output_with_nothing_in_the_snapshot_earns_nothing(
    toy: tuple[Words, SpanIndex],
) -> None:
    assert _trace(toy, "Entirely novel prose, unseen anywhere.") == SpanResult(spans=())
    assert _trace(toy, "") == SpanResult(spans=())


def test_parameters_are_validated() -> None:
    with pytest.raises(InvalidArgument, match="min_tokens"):
        SpanParameters(min_tokens=0)
    with pytest.raises(InvalidArgument, match="max_count"):
        SpanParameters(max_count=0)
    with pytest.raises(InvalidArgument, match="keep_fraction"):
        SpanParameters(keep_fraction=0.0)
    with pytest.raises(InvalidArgument, match="max_documents"):
        SpanParameters(max_documents=0)


# ---- planted contributors -------------------------------------------------------------------

TOPICS = {
    "0x0000000000000000000000000000000000000001": (
        "nebula comet quasar telescope orbit galaxy pulsar meteor eclipse asteroid".split()
    ),
    "0x0000000000000000000000000000000000000002": (
        "sourdough yeast crust oven flour dough rye baguette starter loaf".split()
    ),
    "0x0000000000000000000000000000000000000003": (
        "glacier fjord moraine crevasse iceberg tundra permafrost avalanche serac cirque".split()
    ),
    "0x0000000000000000000000000000000000000004": (
        "violin cello sonata overture fugue concerto oboe timpani allegro cadenza".split()
    ),
    "0x0000000000000000000000000000000000000005": (
        "tomato basil compost trellis seedling mulch pumpkin radish orchard greenhouse".split()
    ),
}
SHARED = "quietly slowly near beside under with often always carefully later".split()
VERBS = "watches follows shapes holds warms greets guards carries finds marks".split()


@cache
def _tokenizer() -> PreTrainedTokenizerBase:
    return load_tokenizer(tiny_llama_path())


def _encode(tokenizer: PreTrainedTokenizerBase, text: str) -> list[int]:
    return list(tokenizer.encode(text, add_special_tokens=False))


def _sentence(rng: random.Random, topic: Sequence[str]) -> str:
    a, b, c = rng.sample(list(topic), 3)
    verb = rng.choice(VERBS)
    return f"The {a} {verb} the {b} {rng.choice(SHARED)} the {c} {rng.choice(SHARED)}."


def _lightly_edited(rng: random.Random, sentence: str) -> str:
    """The sentence with one word swapped for a generic one, as a paraphrasing model might."""
    words = sentence.rstrip(".").split()
    position = rng.randrange(1, len(words))
    words[position] = rng.choice(["thing", "very", "and"])
    return " ".join(words) + "."


def test_planted_contributors_are_top_one_in_nine_of_ten_outputs() -> None:
    tokenizer = _tokenizer()
    text = DecodedTokenText(tokenizer)
    rng = random.Random(7)
    common = "This entry was reviewed by the curators."
    records: list[tuple[str, list[str]]] = []
    for contributor, topic in TOPICS.items():
        for _ in range(4):
            records.append((contributor, [_sentence(rng, topic) for _ in range(3)] + [common]))
    documents = []
    for number, (contributor, sentences) in enumerate(records):
        tokens = _encode(tokenizer, " ".join(sentences))
        documents.append((IndexedDocument(f"r{number}", contributor, len(tokens)), tokens))
    index = SpanIndex.build(documents, len(tokenizer))

    correct = total = 0
    for contributor, sentences in records:
        for _ in range(5):
            copied = rng.sample(sentences[:3], 2)
            output = " ".join([common, *(_lightly_edited(rng, s) for s in copied)])
            result = trace_spans(_encode(tokenizer, output), index, text)
            total += 1
            correct += bool(result.credits) and _top(result) == contributor
    assert total == 100
    assert correct >= 90


def test_a_decoder_that_loses_tokens_is_refused(toy: tuple[Words, SpanIndex]) -> None:
    words, index = toy

    class Lossy:
        def token_texts(self, ids: Sequence[int]) -> list[str]:
            return words.token_texts(ids)[1:]

    with pytest.raises(InvalidArgument, match="output_ids"):
        trace_spans(words.encode("Log. Velvet thunder."), index, Lossy())

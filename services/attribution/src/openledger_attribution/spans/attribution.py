"""Span attribution: credit the contributors whose records an output repeats verbatim.

The recipe is OLMoTrace's (Liu et al., 2025): for every position of the output where a word
starts, the longest span that occurs in the snapshot; spans that are whole words, stay inside one
sentence and are not contained in another; then only the rarest ``K = ceil(0.05 * L)`` by span
unigram probability, since long, rare spans are the ones a model is unlikely to produce without
having seen them. Two additions make the result a payout rather than a display: spans shorter
than ``min_tokens`` or occurring more than ``max_count`` times are dropped (common phrases prove
nothing about where the output came from), and each kept span's weight is split over the records
that contain it and summed per contributor.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from openledger_attribution.spans.index import SpanIndex
from openledger_attribution.spans.text import TokenBoundaries, token_boundaries
from openledger_kit.errors import InvalidArgument

# Count given to a token the snapshot never contains, so its log-probability stays finite.
_UNSEEN_TOKEN_COUNT = 0.5


class TokenText(Protocol):
    """Decodes token ids into one text piece per token, the pieces joining into the text."""

    def token_texts(self, ids: Sequence[int]) -> list[str]: ...


@dataclass(frozen=True)
class SpanOccurrence:
    """Where a span occurs: the first occurrence in one indexed document."""

    document: int
    record_id: str
    contributor: str
    offset: int


@dataclass(frozen=True)
class TracedSpan:
    """A maximal span of the output found in the snapshot.

    ``start``/``end`` are token positions in the output and ``char_start``/``char_end`` code
    point positions in its decoded text, both half-open. ``log_prob`` is the span's unigram
    log-probability (the sum of ``log p(token)``; lower is rarer) and ``rarity`` its negation,
    at least 0 and higher for rarer spans. ``weight = (end - start) * rarity`` is what the span
    credits, split equally over ``occurrences``: one per document, at most ``max_documents``,
    in document order. ``count`` is how often the span occurs in the snapshot and
    ``document_count`` in how many documents.
    """

    start: int
    end: int
    char_start: int
    char_end: int
    text: str
    count: int
    document_count: int
    log_prob: float
    rarity: float
    weight: float
    occurrences: tuple[SpanOccurrence, ...]


@dataclass(frozen=True)
class SpanParameters:
    """Tuning of the span recipe (``AttributionParameters`` on the wire).

    ``min_tokens``: shorter spans are ignored. ``max_count``: spans occurring more often in
    the snapshot are ignored. ``keep_fraction``: at most ``ceil(keep_fraction * L)`` spans of
    an ``L``-token output are kept, the rarest (OLMoTrace's 0.05). ``max_documents``: at most
    this many documents share a span's credit (OLMoTrace shows 10).
    """

    min_tokens: int = 3
    max_count: int = 100
    keep_fraction: float = 0.05
    max_documents: int = 10

    def __post_init__(self) -> None:
        if self.min_tokens < 1:
            raise InvalidArgument("parameters.min_tokens", "must be at least 1")
        if self.max_count < 1:
            raise InvalidArgument("parameters.max_count", "must be at least 1")
        if not 0.0 < self.keep_fraction <= 1.0:
            raise InvalidArgument("parameters.keep_fraction", "must be in (0, 1]")
        if self.max_documents < 1:
            raise InvalidArgument("parameters.max_documents", "must be at least 1")


@dataclass(frozen=True)
class SpanResult:
    """The kept spans, ordered by ``start``, and what they earn each contributor.

    ``scores`` are the raw per-contributor sums of span weight parts; ``credits`` the same
    normalised to sum to 1. Both are empty when no span was kept (or, in a snapshot of one
    repeated token, when every kept span has weight 0).
    """

    spans: tuple[TracedSpan, ...]
    credits: Mapping[str, float] = field(default_factory=dict)
    scores: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class _Candidate:
    start: int
    end: int
    count: int
    log_prob: float


def trace_spans(
    output_ids: Sequence[int],
    index: SpanIndex,
    text: TokenText,
    params: SpanParameters = SpanParameters(),
) -> SpanResult:
    """Trace an output's spans to the snapshot's records and credit their contributors."""
    ids = list(output_ids)
    pieces = text.token_texts(ids)
    if len(pieces) != len(ids):
        raise InvalidArgument(
            "output_ids", f"decoded into {len(pieces)} pieces for {len(ids)} tokens"
        )
    boundaries = token_boundaries(pieces)
    candidates = [
        candidate
        for candidate in _scored(ids, _maximal_spans(ids, index, boundaries), index)
        if candidate.end - candidate.start >= params.min_tokens
        and candidate.count <= params.max_count
    ]
    keep = math.ceil(params.keep_fraction * len(ids))
    rarest = sorted(candidates, key=lambda c: (c.log_prob, c.start))[:keep]
    spans = tuple(
        _traced(candidate, ids, pieces, boundaries, index, params)
        for candidate in sorted(rarest, key=lambda c: c.start)
    )
    scores = _contributor_scores(spans)
    total = sum(scores.values())
    credits = (
        {contributor: score / total for contributor, score in scores.items()} if total > 0 else {}
    )
    return SpanResult(spans=spans, credits=credits, scores=scores)


def _maximal_spans(
    ids: list[int], index: SpanIndex, boundaries: TokenBoundaries
) -> list[tuple[int, int]]:
    """Longest whole-word, in-sentence span found from each word start, none inside another."""
    sentence_limits = _sentence_limits(boundaries.sentence_ends)
    spans: list[tuple[int, int]] = []
    furthest = 0
    for start, is_word_start in enumerate(boundaries.word_starts):
        if not is_word_start:
            continue
        # The longest prefix found within the sentence; any prefix of a match is a match too,
        # so backing off to the last word end keeps a span that occurs.
        end = start + index.longest_prefix(ids[: sentence_limits[start]], start)
        while end > start and not boundaries.word_ends[end - 1]:
            end -= 1
        # Starts ascend, so a span inside an earlier one ends no later than it.
        if end > furthest and end > start:
            spans.append((start, end))
            furthest = end
    return spans


def _sentence_limits(sentence_ends: Sequence[bool]) -> list[int]:
    """For each token, the end (exclusive) of the sentence holding it."""
    limits = [0] * len(sentence_ends)
    limit = len(sentence_ends)
    for position in range(len(sentence_ends) - 1, -1, -1):
        if sentence_ends[position]:
            limit = position + 1
        limits[position] = limit
    return limits


def _scored(ids: list[int], spans: list[tuple[int, int]], index: SpanIndex) -> list[_Candidate]:
    total = index.total_tokens
    return [
        _Candidate(
            start=start,
            end=end,
            count=index.count(ids[start:end]),
            log_prob=sum(
                math.log(max(float(index.unigram_count(token)), _UNSEEN_TOKEN_COUNT) / total)
                for token in ids[start:end]
            ),
        )
        for start, end in spans
    ]


def _traced(
    candidate: _Candidate,
    ids: list[int],
    pieces: list[str],
    boundaries: TokenBoundaries,
    index: SpanIndex,
    params: SpanParameters,
) -> TracedSpan:
    # count <= max_count here, so fetching every occurrence is bounded.
    found = sorted(index.occurrences(ids[candidate.start : candidate.end], candidate.count))
    first_by_document: dict[int, int] = {}
    for document, offset in found:
        first_by_document.setdefault(document, offset)
    occurrences = tuple(
        SpanOccurrence(
            document=document,
            record_id=index.documents[document].record_id,
            contributor=index.documents[document].contributor,
            offset=offset,
        )
        for document, offset in sorted(first_by_document.items())[: params.max_documents]
    )
    rarity = -candidate.log_prob
    return TracedSpan(
        start=candidate.start,
        end=candidate.end,
        char_start=boundaries.char_offsets[candidate.start],
        char_end=boundaries.char_offsets[candidate.end],
        text="".join(pieces[candidate.start : candidate.end]),
        count=candidate.count,
        document_count=len(first_by_document),
        log_prob=candidate.log_prob,
        rarity=rarity,
        weight=(candidate.end - candidate.start) * rarity,
        occurrences=occurrences,
    )


def _contributor_scores(spans: Sequence[TracedSpan]) -> dict[str, float]:
    scores: dict[str, float] = {}
    for span in spans:
        part = span.weight / len(span.occurrences)
        for occurrence in span.occurrences:
            scores[occurrence.contributor] = scores.get(occurrence.contributor, 0.0) + part
    return scores

"""Why an output was attributed as it was, for display (``CompletionExplanation``): its scored
spans with the records that contain them, and the most influential training records.

Everything shown is recomputed from what the attribution recorded (spans as output token
ranges, examples as record ids) and the snapshot's span index, which holds every record's
tokens: the record texts are those tokens decoded, so a match's character offsets point into
exactly the text the index searched. Offsets are code points (Python string indices).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from openledger_attribution.domain.model import datanet_of
from openledger_attribution.domain.policy import Method
from openledger_attribution.domain.ports import LoadedIndex
from openledger_attribution.settlement.evidence import ScoredRecord, ScoredSpan
from openledger_kit.errors import InvalidArgument


@dataclass(frozen=True)
class ExplainLimits:
    """How much an explanation shows (``ExplainCompletionRequest``'s limits)."""

    max_spans: int = 20
    max_matches_per_span: int = 5
    max_examples: int = 20
    snippet_chars: int = 200
    """Context around a match, in code points, split before and after it."""

    def __post_init__(self) -> None:
        for name, low, high in (
            ("max_spans", 1, 200),
            ("max_matches_per_span", 1, 50),
            ("max_examples", 1, 200),
            ("snippet_chars", 0, 2000),
        ):
            value = getattr(self, name)
            if not low <= value <= high:
                raise InvalidArgument(name, f"must be {low} to {high}, got {value}")

    @classmethod
    def of(
        cls,
        *,
        max_spans: int = 0,
        max_matches_per_span: int = 0,
        max_examples: int = 0,
        snippet_chars: int = 0,
    ) -> ExplainLimits:
        """The limits of a request, where 0 means the default."""
        default = cls()
        return cls(
            max_spans=max_spans or default.max_spans,
            max_matches_per_span=max_matches_per_span or default.max_matches_per_span,
            max_examples=max_examples or default.max_examples,
            snippet_chars=snippet_chars or default.snippet_chars,
        )


@dataclass(frozen=True)
class SpanMatch:
    """A record containing a span, with the text around the match."""

    record_id: str
    datanet: str
    contributor_address: str
    snippet: str
    snippet_match_start: int
    snippet_match_end: int
    record_char_offset: int


@dataclass(frozen=True)
class ExplainedSpan:
    output_char_start: int
    output_char_end: int
    output_token_start: int
    output_token_end: int
    text: str
    rarity: float
    occurrence_count: int
    matches: tuple[SpanMatch, ...]
    """By datanet, then record id; at most ``max_matches_per_span``."""
    match_count: int
    """Distinct records containing the span."""


@dataclass(frozen=True)
class InfluentialRecord:
    record_id: str
    datanet: str
    contributor_address: str
    score: float
    snippet: str
    """The beginning of the record's text, at most ``snippet_chars`` code points."""


@dataclass(frozen=True)
class Explanation:
    inference_id: str
    """Empty for an ad-hoc ``Attribute`` call."""
    output_text: str
    snapshot: str
    method: Method
    spans: tuple[ExplainedSpan, ...]
    """By output character start, then end; the rarest ``max_spans``."""
    span_count: int
    gradient_available: bool
    examples: tuple[InfluentialRecord, ...]
    """By score descending, then datanet and record id."""


@dataclass(frozen=True)
class _RecordText:
    text: str
    char_offsets: tuple[int, ...]
    """One per token plus the text length: token i covers ``[offsets[i], offsets[i + 1])``."""


def explain(
    *,
    inference_id: str,
    output_ids: Sequence[int],
    snapshot: str,
    method: Method,
    spans: Sequence[ScoredSpan],
    examples: Sequence[ScoredRecord],
    gradient_available: bool,
    loaded: LoadedIndex,
    limits: ExplainLimits,
) -> Explanation:
    """The explanation of scored ``spans`` (token ranges of ``output_ids``) and influential
    ``examples`` against the snapshot's index. CPU work: run it in a thread."""
    ids = list(output_ids)
    output = _decoded(loaded, ids)
    datanet = datanet_of(snapshot)
    texts: dict[int, _RecordText] = {}
    shown = sorted(spans, key=lambda s: (-s.rarity, s.output_token_start, s.output_token_end))
    attributed = [
        _attributed(span, ids, output, datanet, loaded, texts, limits)
        for span in shown[: limits.max_spans]
    ]
    attributed.sort(key=lambda s: (s.output_char_start, s.output_char_end))
    documents = _documents_by_record(loaded) if examples else {}
    ordered = sorted(examples, key=lambda e: (-e.score, e.datanet, e.record_id))
    return Explanation(
        inference_id=inference_id,
        output_text=output.text,
        snapshot=snapshot,
        method=method,
        spans=tuple(attributed),
        span_count=len(spans),
        gradient_available=gradient_available,
        examples=tuple(
            InfluentialRecord(
                record_id=example.record_id,
                datanet=example.datanet,
                contributor_address=example.contributor,
                score=example.score,
                snippet=_beginning(example, documents, loaded, texts, limits.snippet_chars),
            )
            for example in ordered[: limits.max_examples]
        ),
    )


def _attributed(
    span: ScoredSpan,
    ids: list[int],
    output: _RecordText,
    datanet: str,
    loaded: LoadedIndex,
    texts: dict[int, _RecordText],
    limits: ExplainLimits,
) -> ExplainedSpan:
    start, end = span.output_token_start, span.output_token_end
    if not 0 <= start < end <= len(ids):
        raise InvalidArgument(
            "spans", f"span [{start}, {end}) is outside the output's {len(ids)} tokens"
        )
    tokens = ids[start:end]
    # Every occurrence is fetched: a scored span is frequency-capped, so they are few.
    first_by_document: dict[int, int] = {}
    for document, offset in loaded.index.occurrences(tokens, loaded.index.count(tokens)):
        first_by_document.setdefault(document, offset)
    documents = loaded.index.documents
    by_record = sorted(first_by_document.items(), key=lambda item: documents[item[0]].record_id)
    matches = []
    for document, offset in by_record[: limits.max_matches_per_span]:
        record = _record_text(document, loaded, texts)
        match_start = record.char_offsets[offset]
        match_end = record.char_offsets[offset + len(tokens)]
        snippet, lo = _snippet(record.text, match_start, match_end, limits.snippet_chars)
        matches.append(
            SpanMatch(
                record_id=documents[document].record_id,
                datanet=datanet,
                contributor_address=documents[document].contributor,
                snippet=snippet,
                snippet_match_start=match_start - lo,
                snippet_match_end=match_end - lo,
                record_char_offset=match_start,
            )
        )
    char_start, char_end = output.char_offsets[start], output.char_offsets[end]
    return ExplainedSpan(
        output_char_start=char_start,
        output_char_end=char_end,
        output_token_start=start,
        output_token_end=end,
        text=output.text[char_start:char_end],
        rarity=span.rarity,
        occurrence_count=span.occurrence_count,
        matches=tuple(matches),
        match_count=len(first_by_document),
    )


def _snippet(text: str, start: int, end: int, context: int) -> tuple[str, int]:
    """The match ``[start, end)`` of ``text`` with up to ``context`` code points around it,
    half before and half after, each side cut back to a whitespace where it falls inside a
    word; returns the snippet and where it starts in ``text``."""
    before = context // 2
    lo = max(0, start - before)
    hi = min(len(text), end + context - before)
    if lo > 0 and not text[lo - 1].isspace():
        gaps = [i for i in range(lo, start) if text[i].isspace()]
        if gaps:
            lo = gaps[0] + 1
    if hi < len(text) and not text[hi].isspace():
        gaps = [i for i in range(end, hi) if text[i].isspace()]
        if gaps:
            hi = gaps[-1]
    return text[lo:hi], lo


def _beginning(
    example: ScoredRecord,
    documents: Mapping[str, int],
    loaded: LoadedIndex,
    texts: dict[int, _RecordText],
    chars: int,
) -> str:
    document = documents.get(example.record_id)
    if document is None:
        # A record with features but no indexed tokens (an empty text) has nothing to show.
        return ""
    return _record_text(document, loaded, texts).text[:chars]


def _documents_by_record(loaded: LoadedIndex) -> dict[str, int]:
    return {document.record_id: i for i, document in enumerate(loaded.index.documents)}


def _record_text(document: int, loaded: LoadedIndex, texts: dict[int, _RecordText]) -> _RecordText:
    if document not in texts:
        texts[document] = _decoded(loaded, loaded.index.document_tokens(document).tolist())
    return texts[document]


def _decoded(loaded: LoadedIndex, ids: list[int]) -> _RecordText:
    pieces = loaded.text.token_texts(ids)
    offsets = [0]
    for piece in pieces:
        offsets.append(offsets[-1] + len(piece))
    return _RecordText("".join(pieces), tuple(offsets))

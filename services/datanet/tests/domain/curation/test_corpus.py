"""Precision and recall of every filter on the 10k-contribution synthetic corpus.

The corpus (``openledger_datanet.domain.corpus``) plants exact and near duplicates, PII of
every kind, junk, other languages, injections and schema violations among ~6,000 distinct clean
records; the curator runs with ``Corpus.policy()`` (``Policy.default()`` over ``/text``,
English only) in batches of 200, adding accepted outcomes to the index in order as the worker
does. Measured on this corpus (seed 7): every filter at precision 1.0; recall 1.0 except near
duplicates at ~0.98. The thresholds below leave room for other seeds and say what each
filter must achieve to be worth running.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from openledger_datanet.domain.corpus import JUNK_LABELS, Corpus, CorpusRecord, Label
from openledger_datanet.domain.corpus import generate_corpus as make
from openledger_datanet.domain.curation import Curator, DatanetIndex, Outcome, PiiType, Reason

SIZE = 10_000
BATCH = 200
QUALITY_REASONS = frozenset(
    {
        Reason.TOO_SHORT,
        Reason.TOO_LONG,
        Reason.EXCESSIVE_REPETITION,
        Reason.EXCESSIVE_SYMBOLS,
        Reason.LOW_QUALITY,
    }
)


@dataclass(frozen=True)
class Score:
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


Pairs = list[tuple[CorpusRecord, Outcome]]


def score(
    pairs: Pairs,
    predicted: Callable[[Outcome], bool],
    truth: Callable[[CorpusRecord], bool],
    among: Callable[[CorpusRecord], bool] = lambda record: True,
) -> Score:
    counted = [(truth(r), predicted(o)) for r, o in pairs if among(r)]
    return Score(
        tp=sum(1 for t, p in counted if t and p),
        fp=sum(1 for t, p in counted if p and not t),
        fn=sum(1 for t, p in counted if t and not p),
    )


@pytest.fixture(scope="module")
def curated() -> Pairs:
    corpus = make(SIZE, seed=7)
    policy = Corpus.policy()
    curator, index = Curator(policy, corpus.schema), DatanetIndex(policy)
    outcomes: list[Outcome] = []
    for start in range(0, SIZE, BATCH):
        batch = corpus.records[start : start + BATCH]
        decided = curator.curate_batch([(r.contribution_id, r.content) for r in batch], index)
        for record, outcome in zip(batch, decided, strict=True):
            index.add(record.contribution_id, outcome)
        outcomes.extend(decided)
    return list(zip(corpus.records, outcomes, strict=True))


def test_generator_is_deterministic_and_mixed() -> None:
    a, b = make(500, seed=3), make(500, seed=3)
    assert [r.content for r in a.records] == [r.content for r in b.records]
    assert [r.content for r in make(500, seed=4).records] != [r.content for r in a.records]
    assert {r.label for r in a.records} == set(Label)
    for record in a.by_label(Label.NEAR_DUPLICATE) + a.by_label(Label.EXACT_DUPLICATE):
        source = next(r for r in a.records if r.contribution_id == record.duplicate_of)
        assert source.label is Label.CLEAN
        assert a.records.index(source) < a.records.index(record)
    for record in a.by_label(Label.CLEAN):
        assert 10 <= len(str(record.content["text"]).split()) <= 80


# (name, predicted, truth, among, min precision, min recall, why)
FILTERS: list[
    tuple[
        str,
        Callable[[Outcome], bool],
        Callable[[CorpusRecord], bool],
        Callable[[CorpusRecord], bool],
        float,
        float,
    ]
] = [
    # Exact dedupe is a hash comparison after normalisation: anything short of perfect is a
    # bug (a planted copy differing only in outer whitespace, CRLF or NFD must be caught).
    (
        "exact duplicate",
        lambda o: Reason.EXACT_DUPLICATE in o.reasons,
        lambda r: r.label is Label.EXACT_DUPLICATE,
        lambda r: True,
        1.0,
        1.0,
    ),
    # Near dedupe estimates Jaccard from 128 permutations (standard error ~0.035 at 0.8), and
    # the heaviest planted edits (3 changes in a 12-word text) land at a true Jaccard of
    # ~0.81, right at the threshold, so a few percent are missed by estimation noise alone;
    # recall >= 0.95. A false near duplicate throws away an honest record and counts against
    # its contributor's reputation, so precision must be >= 0.97 (clean records sit below 0.72).
    (
        "near duplicate",
        lambda o: Reason.NEAR_DUPLICATE in o.reasons,
        lambda r: r.label is Label.NEAR_DUPLICATE,
        lambda r: True,
        0.97,
        0.95,
    ),
    # PII that slips through is published in a snapshot forever: recall >= 0.98 over every
    # planted kind. Clean texts are full of years, prices, percentages, times and versions;
    # flagging them would redact good data: precision >= 0.98.
    (
        "pii",
        lambda o: bool(o.pii_types),
        lambda r: r.label is Label.PII,
        lambda r: True,
        0.98,
        0.98,
    ),
    # Junk (too short, repetitive, symbol soup, keyboard mash) is blatant by construction:
    # recall >= 0.95; a false quality rejection costs an honest contributor: precision >= 0.98.
    (
        "junk / quality",
        lambda o: bool(o.reasons & QUALITY_REASONS),
        lambda r: r.label in JUNK_LABELS,
        lambda r: True,
        0.98,
        0.95,
    ),
    # Two or three full sentences of a Latin-script language are easy for langid (~0.99
    # confidence): recall >= 0.97, precision >= 0.98. Junk has no language, and rejecting it
    # as "undetermined" is what the proto asks, so junk records are left out of this score.
    (
        "language",
        lambda o: Reason.LANGUAGE_NOT_ALLOWED in o.reasons,
        lambda r: r.label is Label.WRONG_LANGUAGE,
        lambda r: r.label not in JUNK_LABELS,
        0.98,
        0.97,
    ),
    # The planted injections are the textbook ones; missing them would make the check
    # pointless (recall >= 0.95) and it must not fire on domain prose (precision >= 0.98).
    (
        "injection",
        lambda o: Reason.ADVERSARIAL in o.reasons,
        lambda r: r.label is Label.INJECTION,
        lambda r: True,
        0.98,
        0.95,
    ),
    (
        "schema",
        lambda o: Reason.SCHEMA_INVALID in o.reasons,
        lambda r: r.label is Label.SCHEMA_INVALID,
        lambda r: True,
        1.0,
        1.0,
    ),
]


@pytest.mark.slow
def test_precision_and_recall_of_every_filter(curated: Pairs) -> None:
    failures = []
    for name, predicted, truth, among, min_precision, min_recall in FILTERS:
        result = score(curated, predicted, truth, among)
        print(
            f"{name:16s} precision {result.precision:.4f} recall {result.recall:.4f} "
            f"(tp {result.tp}, fp {result.fp}, fn {result.fn})"
        )
        if result.precision < min_precision or result.recall < min_recall:
            failures.append((name, result))
    assert not failures


@pytest.mark.slow
def test_every_pii_kind_is_found(curated: Pairs) -> None:
    for kind in PiiType:
        planted = [(r, o) for r, o in curated if kind in r.pii_types]
        found = sum(1 for _, o in planted if kind in o.pii_types)
        assert planted and found / len(planted) >= 0.98, kind
        # Under the corpus policy PII is redacted, never left in the curated text.
        for _, outcome in planted:
            assert kind.placeholder in str(outcome.curated.get("text", "")) or not outcome.accepted


@pytest.mark.slow
def test_clean_records_are_accepted(curated: Pairs) -> None:
    # A curation filter that rejects honest records drives contributors away: >= 99% of the
    # distinct clean records must pass every check.
    clean = [o for r, o in curated if r.label is Label.CLEAN]
    assert sum(o.accepted for o in clean) / len(clean) >= 0.99

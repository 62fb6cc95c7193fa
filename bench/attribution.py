"""Attribution: the span index's build throughput against raw suffix-array construction, and
span query latency as the corpus grows.

The corpus is synthetic: token ids drawn from a Zipf law (exponent ``ZIPF_EXPONENT``) over
SmolLM2's vocabulary size (49,152), the ranks shuffled onto ids, cut into records of 100 to
1,900 tokens. Zipf keeps the frequent tokens' suffix-array intervals as wide as in text.

Index build: ``SpanIndex.build`` over the records (concatenation with separators, validation,
the suffix array, document offsets and unigram counts) against ``pydivsufsort.divsufsort``
called on the same tokens as one uint16 array (the raw construction, nothing else), in
tokens/s. ``ratio`` = build / raw; up to 1 is expected, since the build does the raw work and
more (the build sorts the tokens' big-endian bytes with libdivsufsort exactly as
``divsufsort`` does for a uint16 array). The two alternate for ``rounds`` rounds and each
one's fastest counts (other work on the machine only slows a run down).

Span query: the maximal-span search that span attribution runs on an output, driven by
``SpanIndex.longest_prefix`` at every position, over random 64-token outputs of which half is a
32-token run copied from a random record and half fresh Zipf tokens around it. The index is
saved and loaded back memory-mapped as the service will use it (page cache warm after one
pass). ``query_p50_us_<size>`` / ``query_p99_us_<size>`` are per-output latencies in µs at each
corpus size (1M, 10M, 50M tokens; ``--quick``: 1M and 10M, and the build at 1M instead of 10M).

Other attribution figures are further sections: each is a function ``(quick) -> Section`` in
``SECTIONS``; their rows and extra keys are appended to the index section's, whose build
throughput stays the headline. ``bench.attribution_fleet``: completions attributed per second
by 1 and 2 real worker processes (``fleet_completions_per_s_1``/``_2``, ``fleet_scaling``).
"""

from __future__ import annotations

import os
import platform
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from pydivsufsort import divsufsort  # type: ignore[import-untyped]

from bench.attribution_fleet import fleet_section
from bench.result import BenchResult, Row
from openledger_attribution.spans.index import IndexedDocument, SpanIndex

SEED = 7
VOCAB = 49_152
ZIPF_EXPONENT = 1.0
RECORD_TOKENS = (100, 1_900)
OUTPUT_TOKENS = 64
COPIED_TOKENS = 32


@dataclass(frozen=True)
class Section:
    """One part of the benchmark: table rows and extra JSON keys; the section that leads
    also sets the headline."""

    rows: list[Row] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    headline: Row | None = None


@dataclass(frozen=True)
class IndexScale:
    build_tokens: int
    query_sizes: tuple[int, ...]
    queries: int
    rounds: int


QUICK = IndexScale(
    build_tokens=1_000_000, query_sizes=(1_000_000, 10_000_000), queries=100, rounds=2
)
FULL = IndexScale(
    build_tokens=10_000_000,
    query_sizes=(1_000_000, 10_000_000, 50_000_000),
    queries=300,
    rounds=3,
)


def _label(tokens: int) -> str:
    return f"{tokens // 1_000_000}m"


def zipf_tokens(rng: np.random.Generator, count: int) -> npt.NDArray[np.uint16]:
    """``count`` token ids with Zipf-distributed ranks, ranks mapped to shuffled ids."""
    weights = 1.0 / np.arange(1, VOCAB + 1, dtype=np.float64) ** ZIPF_EXPONENT
    cdf = np.cumsum(weights / weights.sum())
    ranks = np.minimum(np.searchsorted(cdf, rng.random(count)), VOCAB - 1)
    return rng.permutation(VOCAB).astype(np.uint16)[ranks]


def synthetic_records(
    rng: np.random.Generator, tokens: npt.NDArray[np.uint16]
) -> list[tuple[IndexedDocument, npt.NDArray[np.uint16]]]:
    """``tokens`` cut into records of ``RECORD_TOKENS`` lengths (views, not copies)."""
    cuts = np.cumsum(rng.integers(*RECORD_TOKENS, size=tokens.size // RECORD_TOKENS[0]))
    pieces = np.split(tokens, cuts[cuts < tokens.size])
    return [
        (IndexedDocument(f"record-{i}", "0x" + f"{i % 997 + 1:040x}", piece.size), piece)
        for i, piece in enumerate(pieces)
    ]


def maximal_spans(index: SpanIndex, output: Sequence[int]) -> list[tuple[int, int]]:
    """The spans of ``output`` that occur in the corpus and extend no further either way:
    each position's longest match, kept when it reaches past the previous one's end."""
    spans: list[tuple[int, int]] = []
    end = 0
    for start in range(len(output)):
        length = index.longest_prefix(output, start)
        if length and start + length > end:
            spans.append((start, start + length))
            end = start + length
    return spans


def _outputs(
    rng: np.random.Generator,
    records: list[tuple[IndexedDocument, npt.NDArray[np.uint16]]],
    count: int,
) -> list[list[int]]:
    outputs = []
    for _ in range(count):
        _, record = records[int(rng.integers(len(records)))]
        at = int(rng.integers(record.size - COPIED_TOKENS))
        fresh = zipf_tokens(rng, OUTPUT_TOKENS - COPIED_TOKENS).tolist()
        cut = int(rng.integers(len(fresh) + 1))
        outputs.append([*fresh[:cut], *record[at : at + COPIED_TOKENS].tolist(), *fresh[cut:]])
    return outputs


def _seconds(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def _build_figures(scale: IndexScale) -> tuple[Row, dict[str, Any]]:
    rng = np.random.default_rng(SEED)
    tokens = zipf_tokens(rng, scale.build_tokens)
    records = synthetic_records(rng, tokens)
    # Alternating rounds, so that neither side alone pays the process's first large
    # allocations or a burst of other work on the machine; the fastest round of each counts.
    build, raw = float("inf"), float("inf")
    for _ in range(scale.rounds):
        build = min(build, _seconds(lambda: SpanIndex.build(records, VOCAB)))
        raw = min(raw, _seconds(lambda: divsufsort(tokens)))
    label = _label(scale.build_tokens)
    row = Row(
        f"index build {label} tokens, SpanIndex.build vs divsufsort",
        tokens.size / build,
        tokens.size / raw,
        "tokens/s",
    )
    return row, {
        "build_tokens": int(tokens.size),
        "build_records": len(records),
        "build_seconds": round(build, 3),
        "divsufsort_seconds": round(raw, 3),
    }


def _query_figures(size: int, queries: int, scratch: Path) -> dict[str, Any]:
    rng = np.random.default_rng(SEED + size)
    records = synthetic_records(rng, zipf_tokens(rng, size))
    directory = scratch / f"index-{_label(size)}"
    SpanIndex.build(records, VOCAB).save(directory)
    index = SpanIndex.load(directory)
    outputs = _outputs(rng, records, queries)
    for output in outputs:  # warm the page cache the mapping reads through
        maximal_spans(index, output)

    latencies = []
    for output in outputs:
        started = time.perf_counter()
        spans = maximal_spans(index, output)
        latencies.append((time.perf_counter() - started) * 1e6)
        if max(end - start for start, end in spans) < COPIED_TOKENS:
            raise RuntimeError("a maximal-span search missed the copied run")
    label = _label(size)
    return {
        f"query_p50_us_{label}": round(float(np.percentile(latencies, 50)), 1),
        f"query_p99_us_{label}": round(float(np.percentile(latencies, 99)), 1),
    }


def span_index_section(quick: bool) -> Section:
    """Index build throughput (the headline) and span query latency per corpus size."""
    scale = QUICK if quick else FULL
    headline, extra = _build_figures(scale)
    with tempfile.TemporaryDirectory(prefix="ol-bench-attribution-") as scratch:
        for size in scale.query_sizes:
            extra.update(_query_figures(size, scale.queries, Path(scratch)))
    smallest = _label(scale.query_sizes[0])
    rows = [headline] + [
        Row(
            f"span query p50 at {_label(size)} vs {smallest} tokens",
            extra[f"query_p50_us_{_label(size)}"],
            extra[f"query_p50_us_{smallest}"],
            "µs",
        )
        for size in scale.query_sizes[1:]
    ]
    extra.update(
        {
            "query_output_tokens": OUTPUT_TOKENS,
            "query_copied_tokens": COPIED_TOKENS,
            "queries": scale.queries,
            "vocab": VOCAB,
            "zipf_exponent": ZIPF_EXPONENT,
            "rounds": scale.rounds,
        }
    )
    return Section(rows=rows, extra=extra, headline=headline)


GRADIENT_EXAMPLES = 10_000
GRADIENT_DIM = 512
GRADIENT_CONTRIBUTORS = 200
GRADIENT_QUERY_BATCH = 16
GRADIENT_PROMPT_TOKENS = 32
GRADIENT_OUTPUT_TOKENS = 16


def gradient_scoring_section(quick: bool) -> Section:
    """Gradient scoring throughput against 10k stored examples (dim 512, float16), query
    gradients precomputed: ``InfluenceScorer.score`` (preconditioned scores, top examples,
    contributor sums, credits and the negative rule) in batches of 16 completions, against a
    plain ``features @ q`` dot product on the same batches (no preconditioner, nothing after
    the product). The scorer's one-off build (the damped solve) is timed apart. Then the cost
    of a completion's projected LoRA gradient on the tiny Llama (LoRA rank 8 on q/v, prompt 32
    + output 16 tokens, batches of 8), which a worker pays before scoring."""
    import torch

    from openledger_attribution.influence.features import TrainingFeatures
    from openledger_attribution.influence.query import Completion, QueryGradients
    from openledger_attribution.influence.scoring import InfluenceScorer
    from openledger_ml.lora import attach_lora, lora_config
    from openledger_ml.models.loading import load_causal_lm
    from openledger_ml.testing import tiny_llama_path

    torch.set_num_threads(1)
    generator = torch.Generator().manual_seed(SEED)
    # A decaying spectrum, as gradients have: a few directions carry most of the energy.
    scale = torch.linspace(1.0, 0.01, GRADIENT_DIM).sqrt()
    phi = (torch.randn(GRADIENT_EXAMPLES, GRADIENT_DIM, generator=generator) * scale).half()
    features = TrainingFeatures(
        features=phi,
        snapshot_indexes=torch.arange(GRADIENT_EXAMPLES),
        projection_dim=GRADIENT_DIM,
        projection_seed=SEED,
        snapshot="bench",
        merkle_root="0x",
    )
    contributors = [f"c{i % GRADIENT_CONTRIBUTORS}" for i in range(GRADIENT_EXAMPLES)]
    batches = 20 if quick else 100
    queries = torch.randn(batches, GRADIENT_QUERY_BATCH, GRADIENT_DIM, generator=generator)

    started = time.perf_counter()
    scorer = InfluenceScorer(features, contributors)
    build_seconds = time.perf_counter() - started
    plain = phi.float()
    scorer.score(queries[0])  # first-call allocations out of the timing
    score_seconds = min(
        _seconds(lambda: [scorer.score(batch) for batch in queries]) for _ in range(3)
    )
    dot_seconds = min(_seconds(lambda: [plain @ batch.T for batch in queries]) for _ in range(3))
    scored = batches * GRADIENT_QUERY_BATCH

    model = attach_lora(
        load_causal_lm(tiny_llama_path()),
        lora_config(rank=8, alpha=16, dropout=0.0, target_modules=("q_proj", "v_proj")),
        seed=SEED,
    )
    gradients = QueryGradients(model, projection_dim=GRADIENT_DIM, projection_seed=SEED)
    rng = np.random.default_rng(SEED)
    completions = [
        Completion(
            tuple(int(t) for t in rng.integers(4, 1024, GRADIENT_PROMPT_TOKENS)),
            tuple(int(t) for t in rng.integers(4, 1024, GRADIENT_OUTPUT_TOKENS)),
        )
        for _ in range(16 if quick else 64)
    ]
    gradients.features(completions[:8])  # projection tiles drawn and cached out of the timing
    query_seconds = _seconds(lambda: gradients.features(completions, batch_size=8))

    rate, dot_rate = scored / score_seconds, scored / dot_seconds
    query_rate = len(completions) / query_seconds
    return Section(
        rows=[
            Row("gradient scoring vs plain dot products", rate, dot_rate, "completions/s"),
            Row("query gradients (tiny Llama) vs scoring", query_rate, rate, "completions/s"),
        ],
        extra={
            "gradient_completions_per_s": round(rate, 1),
            "gradient_dot_baseline_per_s": round(dot_rate, 1),
            "gradient_scoring_ratio": round(rate / dot_rate, 3),
            "gradient_scorer_build_s": round(build_seconds, 3),
            "gradient_query_completions_per_s": round(query_rate, 1),
            "gradient_query_ms_per_completion": round(1e3 * query_seconds / len(completions), 2),
            "gradient_examples": GRADIENT_EXAMPLES,
            "gradient_dim": GRADIENT_DIM,
            "gradient_query_batch": GRADIENT_QUERY_BATCH,
        },
    )


SECTIONS: list[Callable[[bool], Section]] = [
    span_index_section,
    gradient_scoring_section,
    fleet_section,
]
"""Run in order; the first section's headline is the benchmark's."""


def run(quick: bool) -> BenchResult:
    sections = [section(quick) for section in SECTIONS]
    headline = sections[0].headline
    if headline is None:
        raise RuntimeError("the first attribution section sets no headline")
    extra: dict[str, Any] = {}
    for section in sections:
        extra.update(section.extra)
    extra.update({"seed": SEED, "python": platform.python_version(), "cores": os.cpu_count()})
    return BenchResult(
        bench="attribution",
        value=headline.value,
        baseline=headline.baseline,
        unit=headline.unit,
        rows=[row for section in sections for row in section.rows],
        extra=extra,
    )

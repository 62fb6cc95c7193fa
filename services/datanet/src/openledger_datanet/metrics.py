"""The datanet's own Prometheus metrics (``openledger_datanet_*``), registered beside the gRPC
server's in the same registry. Labels are bounded enums (outcomes, reasons, states), never ids.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

PREFIX = "openledger_datanet"


class DatanetMetrics:
    """Counters and histograms of submissions, curation and snapshots."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.submitted = Counter(
            f"{PREFIX}_contributions_submitted_total",
            "Records offered to SubmitContributions, by result (queued, duplicate, refused).",
            ["result"],
            registry=registry,
        )
        self.curated = Counter(
            f"{PREFIX}_contributions_curated_total",
            "Contributions curated, by outcome (ACCEPTED, REJECTED).",
            ["outcome"],
            registry=registry,
        )
        self.rejections = Counter(
            f"{PREFIX}_contribution_rejections_total",
            "Failed curation checks, by rejection reason (one contribution may fail several).",
            ["reason"],
            registry=registry,
        )
        self.curation_seconds = Histogram(
            f"{PREFIX}_curation_batch_duration_seconds",
            "Time to curate and record one batch of contributions of one datanet.",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=registry,
        )
        self.curation_latency = Histogram(
            f"{PREFIX}_curation_latency_seconds",
            "Time from submission to the curation decision of a contribution.",
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
            registry=registry,
        )
        self.slashes = Counter(
            f"{PREFIX}_slashes_total",
            "Slash penalties decided, by final state (CONFIRMED, FAILED).",
            ["state"],
            registry=registry,
        )
        self.snapshot_seconds = Histogram(
            f"{PREFIX}_snapshot_duration_seconds",
            "Time to run one snapshot job (freeze, files, anchor), by final state.",
            ["state"],
            buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
            registry=registry,
        )

    def observe_snapshot(self, seconds: float, state: str) -> None:
        self.snapshot_seconds.labels(state).observe(seconds)

    def observe_submission(self, result: str, count: int) -> None:
        if count:
            self.submitted.labels(result).inc(count)

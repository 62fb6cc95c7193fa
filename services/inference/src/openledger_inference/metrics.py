"""The node's own Prometheus metrics (``openledger_inference_*``), registered beside the gRPC
server's in the same registry.

Generation metrics are labelled by adapter (``id@version``, or ``base`` for the base model
alone), as operators of a multi-adapter node ask "which adapter is slow / hot". The label set
grows with the adapters a node has served; a node serves a bounded catalogue of one base
model's adapters, and a restart resets it.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

PREFIX = "openledger_inference"
BASE_LABEL = "base"
"""The adapter label of base-model-only generations."""

_LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class InferenceMetrics:
    """Per adapter: requests, time to first token, tokens/s; adapter cache hits, misses,
    evictions and load latency; the engine's queue depth and running requests."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            f"{PREFIX}_requests",
            "Finished generations by adapter and finish reason.",
            ["adapter", "finish_reason"],
            registry=registry,
        )
        self.output_tokens = Counter(
            f"{PREFIX}_output_tokens",
            "Generated tokens by adapter.",
            ["adapter"],
            registry=registry,
        )
        self.time_to_first_token = Histogram(
            f"{PREFIX}_time_to_first_token_seconds",
            "Time from a request's arrival to its first output token, by adapter.",
            ["adapter"],
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        self.tokens_per_second = Histogram(
            f"{PREFIX}_request_tokens_per_second",
            "Decode speed of one generation (output tokens after the first per second), by "
            "adapter.",
            ["adapter"],
            buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000),
            registry=registry,
        )
        self.cache_hits = Counter(
            f"{PREFIX}_adapter_cache_hits",
            "Requests whose adapter was already held, by the tier it was found in.",
            ["tier"],
            registry=registry,
        )
        self.cache_misses = Counter(
            f"{PREFIX}_adapter_cache_misses",
            "Requests whose adapter had to be fetched from the object store.",
            registry=registry,
        )
        self.cache_evictions = Counter(
            f"{PREFIX}_adapter_cache_evictions",
            "Adapters demoted out of a tier to make room, by the tier they left.",
            ["tier"],
            registry=registry,
        )
        self.load_seconds = Histogram(
            f"{PREFIX}_adapter_load_seconds",
            "Time to bring an adapter into a tier, by the tier it came from "
            "(remote: fetched and hash-checked).",
            ["source"],
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        self.queue_depth = Gauge(
            f"{PREFIX}_queue_depth", "Requests waiting for an engine slot.", registry=registry
        )
        self.running_requests = Gauge(
            f"{PREFIX}_running_requests", "Requests being generated now.", registry=registry
        )

    def generation_finished(
        self,
        adapter: str | None,
        finish_reason: str,
        *,
        output_tokens: int,
        time_to_first_token: float | None,
        decode_seconds: float,
    ) -> None:
        """Account for one finished generation (``adapter`` None: the base model)."""
        label = adapter or BASE_LABEL
        self.requests.labels(label, finish_reason).inc()
        self.output_tokens.labels(label).inc(output_tokens)
        if time_to_first_token is not None:
            self.time_to_first_token.labels(label).observe(time_to_first_token)
        if output_tokens > 1 and decode_seconds > 0:
            self.tokens_per_second.labels(label).observe((output_tokens - 1) / decode_seconds)

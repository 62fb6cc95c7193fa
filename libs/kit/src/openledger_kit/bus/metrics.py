"""Prometheus metrics of the event bus: ``openledger_bus_<thing>_<unit>``, labelled by stream
and group only (ids never become labels)."""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram

_LABELS = ("stream", "group")
# Handlers range from sub-millisecond bookkeeping to multi-second chain calls.
_LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


@dataclass(frozen=True, slots=True)
class BusMetrics:
    """The bus's metric families in one registry (see ``bus_metrics``)."""

    published: Counter
    processed: Counter
    failed: Counter
    dead_lettered: Counter
    duplicates: Counter
    reclaimed: Counter
    handler_duration: Histogram
    pending: Gauge
    lag: Gauge

    @classmethod
    def create(cls, registry: CollectorRegistry) -> BusMetrics:
        def counter(name: str, doc: str, labels: tuple[str, ...] = _LABELS) -> Counter:
            return Counter(f"openledger_bus_{name}", doc, labels, registry=registry)

        def gauge(name: str, doc: str) -> Gauge:
            return Gauge(f"openledger_bus_{name}", doc, _LABELS, registry=registry)

        return cls(
            published=counter("published_total", "Events appended to a stream.", ("stream",)),
            processed=counter("processed_total", "Events handled and acknowledged."),
            failed=counter("failed_total", "Handler invocations that raised."),
            dead_lettered=counter(
                "dead_lettered_total", "Entries moved to the dead-letter stream."
            ),
            duplicates=counter(
                "duplicates_total", "Entries acknowledged without handling: event id already done."
            ),
            reclaimed=counter(
                "reclaimed_total", "Entries claimed from idle consumers with XAUTOCLAIM."
            ),
            handler_duration=Histogram(
                "openledger_bus_handler_duration_seconds",
                "Time spent in event handlers.",
                _LABELS,
                buckets=_LATENCY_BUCKETS,
                registry=registry,
            ),
            pending=gauge(
                "pending_entries", "Entries delivered to the group and not yet acknowledged."
            ),
            lag=gauge("lag_entries", "Entries in the stream not yet delivered to the group."),
        )


_lock = threading.Lock()
_by_registry: weakref.WeakKeyDictionary[CollectorRegistry, BusMetrics] = weakref.WeakKeyDictionary()


def bus_metrics(registry: CollectorRegistry | None = None) -> BusMetrics:
    """The bus metrics registered in ``registry`` (default: the global one), created once.

    Publishers and consumers in one process share the families; each binds its own labels.
    """
    registry = REGISTRY if registry is None else registry
    with _lock:
        metrics = _by_registry.get(registry)
        if metrics is None:
            metrics = _by_registry[registry] = BusMetrics.create(registry)
        return metrics

"""Tuning of a consumer, and the counts it keeps."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openledger_kit.bus.publisher import DEFAULT_MAXLEN
from openledger_kit.bus.streams import BUS_DOMAIN
from openledger_kit.config import ServiceSettings
from openledger_kit.errors import InvalidArgument


@dataclass(frozen=True, slots=True)
class ConsumerOptions:
    """How a consumer reads, retries and gives up.

    - ``concurrency``: handlers running at once (worker tasks).
    - ``batch_size``: entries per XREADGROUP / XAUTOCLAIM; up to ``2 * batch_size`` (at least
      ``concurrency + batch_size``) entries are held in flight.
    - ``block_seconds``: how long one XREADGROUP waits for new entries; keep it below the
      client's socket timeout (redis-py: 5 s).
    - ``visibility_timeout_seconds``: an entry delivered this long ago and not acknowledged is
      taken over by XAUTOCLAIM (by any consumer of the group). A handler must finish well
      within it, or the event is handled twice.
    - ``reclaim_interval_seconds``: how often XAUTOCLAIM runs (default: a quarter of the
      visibility timeout, at most 15 s).
    - ``max_deliveries``: after this many deliveries without success the entry moves to
      ``<key>:dlq``.
    - ``dedupe_retention_seconds``: how long finished event ids are remembered; duplicates
      arriving later are handled again.
    - ``start_id``: where a newly created group starts: ``"0"`` (the whole retained stream,
      so events published before the group existed are not missed) or ``"$"`` (new only).
    - ``dead_letter_unhandled``: an event of a type without a handler goes to the DLQ (True)
      or is acknowledged and dropped (False).
    """

    concurrency: int = 16
    batch_size: int = 100
    block_seconds: float = 2.0
    visibility_timeout_seconds: float = 60.0
    reclaim_interval_seconds: float | None = None
    max_deliveries: int = 5
    dedupe_retention_seconds: float = 24 * 3600.0
    dedupe_trim_interval_seconds: float = 60.0
    metrics_interval_seconds: float = 15.0
    start_id: str = "0"
    dead_letter_unhandled: bool = True
    dead_letter_maxlen: int = DEFAULT_MAXLEN

    def __post_init__(self) -> None:
        positive = {
            "concurrency": self.concurrency,
            "batch_size": self.batch_size,
            "block_seconds": self.block_seconds,
            "visibility_timeout_seconds": self.visibility_timeout_seconds,
            "max_deliveries": self.max_deliveries,
            "dedupe_retention_seconds": self.dedupe_retention_seconds,
            "dedupe_trim_interval_seconds": self.dedupe_trim_interval_seconds,
            "metrics_interval_seconds": self.metrics_interval_seconds,
            "dead_letter_maxlen": self.dead_letter_maxlen,
            "reclaim_interval_seconds": self.reclaim_interval,
        }
        for name, value in positive.items():
            if value <= 0:
                raise InvalidArgument(f"options.{name}", "must be positive", domain=BUS_DOMAIN)

    @classmethod
    def from_settings(cls, settings: ServiceSettings, **overrides: Any) -> ConsumerOptions:
        """Options from a service's ``OL_<SVC>_BUS_*`` settings; keyword overrides win."""
        values: dict[str, Any] = {
            "concurrency": settings.bus_concurrency,
            "visibility_timeout_seconds": settings.bus_visibility_timeout_seconds,
            "max_deliveries": settings.bus_max_deliveries,
            "dead_letter_maxlen": settings.bus_stream_maxlen,
        }
        return cls(**(values | overrides))

    @property
    def reclaim_interval(self) -> float:
        if self.reclaim_interval_seconds is not None:
            return self.reclaim_interval_seconds
        return min(self.visibility_timeout_seconds / 4, 15.0)

    @property
    def max_in_flight(self) -> int:
        return max(2 * self.batch_size, self.concurrency + self.batch_size)


@dataclass
class ConsumerStats:
    """What one consumer instance has done since it started (the Prometheus counters add up
    every consumer of a stream and group in the process)."""

    processed: int = 0
    failed: int = 0
    dead_lettered: int = 0
    duplicates: int = 0
    discarded: int = 0
    reclaimed: int = 0
    replayed: int = 0

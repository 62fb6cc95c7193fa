"""Which node should take a request: a pure ordering of the routable nodes.

Adapter residency comes first because a node that must fetch, hash-check and load an adapter
adds seconds to the first token, far more than a queue of a few requests costs; load decides
within a residency group, and the name breaks ties so that the choice is reproducible.
"""

from __future__ import annotations

import math

from openledger_inference.domain.model import Tier
from openledger_inference.router.model import RoutableNode

_NOT_RESIDENT = len(Tier) + 1


def load_of(node: RoutableNode) -> float:
    """Busy slots per slot: ``(queue_depth + running + in_flight) / max_concurrent_requests``.

    ``in_flight`` counts what this router sent since the last heartbeat, so a burst spreads
    over the pool instead of piling onto the node that looked idle a heartbeat ago."""
    if node.max_concurrent_requests <= 0:
        return math.inf
    busy = node.queue_depth + node.running_requests + node.in_flight
    return busy / node.max_concurrent_requests


def rank_candidates(nodes: list[RoutableNode], adapter: str | None) -> list[RoutableNode]:
    """``nodes`` best first: holding ``adapter`` (``id@version``) in the GPU tier, then the CPU
    tier, then the DISK cache, then the rest; within each group the least loaded first, ties by
    name. Without an adapter (base model only) the order is by load alone."""

    def residency(node: RoutableNode) -> int:
        if adapter is None:
            return 0
        tier = node.adapters.get(adapter)
        return _NOT_RESIDENT if tier is None else int(tier)

    return sorted(nodes, key=lambda node: (residency(node), load_of(node), node.name))

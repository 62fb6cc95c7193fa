"""What routing needs to know about the pool: the nodes that may take a request now, and a way
to tell the pool what routing saw. The pool (membership, heartbeats, leases) implements
``NodeDirectory``; the forwarder only reads it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from openledger_inference.domain.model import Tier


@dataclass(frozen=True)
class RoutableNode:
    """An ACTIVE node as of its last heartbeat."""

    name: str
    """``nodes/{node}``."""
    endpoint: str
    """gRPC ``host:port`` of the node's ``InferenceService``."""
    provider_address: str
    base_models: tuple[str, ...]
    max_concurrent_requests: int
    queue_depth: int
    running_requests: int
    adapters: Mapping[str, Tier] = field(default_factory=dict)
    """Residency: ``id@version`` → the tier the node holds it in."""
    in_flight: int = 0
    """Requests this router has sent to the node and not seen finish (fresher than the load
    the last heartbeat reported)."""


class NodeDirectory(Protocol):
    def routable(self, base_model: str) -> list[RoutableNode]:
        """ACTIVE nodes serving ``base_model``, in no particular order."""

    def request_started(self, name: str) -> None:
        """The router sent a request to node ``name``."""

    def request_finished(self, name: str) -> None:
        """A request sent to node ``name`` ended (however it ended)."""

    def node_failed(self, name: str, reason: str) -> None:
        """Node ``name`` failed a request at the transport level: stop routing to it until its
        next healthy heartbeat."""

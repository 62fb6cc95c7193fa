"""The pure routing order: residency tier first, then load, then name."""

from __future__ import annotations

from openledger_inference.domain.model import Tier
from openledger_inference.router.model import RoutableNode
from openledger_inference.router.routing import load_of, rank_candidates

ADAPTER = "legal-qa@3"


def node(
    name: str,
    *,
    tier: Tier | None = None,
    queue: int = 0,
    running: int = 0,
    in_flight: int = 0,
    slots: int = 4,
) -> RoutableNode:
    return RoutableNode(
        name=f"nodes/{name}",
        endpoint=f"{name}:50055",
        provider_address="0x" + "11" * 20,
        base_models=("tiny",),
        max_concurrent_requests=slots,
        queue_depth=queue,
        running_requests=running,
        adapters={} if tier is None else {ADAPTER: tier},
        in_flight=in_flight,
    )


def names(nodes: list[RoutableNode]) -> list[str]:
    return [n.name.removeprefix("nodes/") for n in nodes]


def test_residency_tiers_come_before_load() -> None:
    ranked = rank_candidates(
        [
            node("none", queue=0),
            node("disk", tier=Tier.DISK, running=3),
            node("gpu", tier=Tier.GPU, queue=10, running=4),
            node("cpu", tier=Tier.CPU, running=2),
        ],
        ADAPTER,
    )
    assert names(ranked) == ["gpu", "cpu", "disk", "none"]


def test_within_a_tier_the_least_loaded_wins() -> None:
    ranked = rank_candidates(
        [
            node("busy", tier=Tier.GPU, queue=2, running=4),
            node("idle", tier=Tier.GPU),
            node("half", tier=Tier.GPU, running=2),
        ],
        ADAPTER,
    )
    assert names(ranked) == ["idle", "half", "busy"]


def test_load_is_relative_to_capacity_and_counts_in_flight() -> None:
    small = node("small", running=2, slots=2)
    large = node("large", running=2, slots=8)
    assert load_of(small) == 1.0
    assert load_of(large) == 0.25
    assert names(rank_candidates([small, large], None)) == ["large", "small"]

    # Requests the router just sent count before the next heartbeat reports them.
    sent_to = node("a", in_flight=3)
    assert names(rank_candidates([sent_to, node("b", running=1)], None)) == ["b", "a"]


def test_ties_break_by_name() -> None:
    ranked = rank_candidates([node("c"), node("a"), node("b")], ADAPTER)
    assert names(ranked) == ["a", "b", "c"]


def test_base_model_requests_ignore_residency() -> None:
    ranked = rank_candidates(
        [node("gpu", tier=Tier.GPU, running=3), node("plain", running=1)], None
    )
    assert names(ranked) == ["plain", "gpu"]


def test_other_adapters_do_not_count_as_residency() -> None:
    holder = node("holder", tier=Tier.GPU)
    ranked = rank_candidates([holder, node("idle")], "other-adapter@1")
    assert names(ranked) == ["holder", "idle"]  # same group: by load, then name


def test_a_node_without_capacity_goes_last() -> None:
    ranked = rank_candidates([node("zero", slots=0), node("full", running=4)], None)
    assert names(ranked) == ["full", "zero"]


def test_input_is_not_modified() -> None:
    nodes = [node("b"), node("a")]
    rank_candidates(nodes, None)
    assert names(nodes) == ["b", "a"]

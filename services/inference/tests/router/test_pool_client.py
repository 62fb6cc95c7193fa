"""The node's pool membership against a real router: a node server started with a router
address and a staked provider key registers (signed, checked against ModelFactory's catalogue
and the stake on chain), heartbeats itself ACTIVE, learns a drain from the heartbeat answer and
stays out once deregistered."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from eth_utils.crypto import keccak

from openledger_inference.node_server import NodeServer
from openledger_inference.router.pool import NodeFilter, NodeState
from openledger_kit.values import Caller
from services.inference.tests.router.conftest import RunningPool
from services.inference.tests.support.models import TINY_MODEL_ID

pytestmark = pytest.mark.slow


async def until(condition: Callable[[], bool]) -> None:
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the condition never held")


async def test_a_node_joins_the_pool_and_follows_a_drain(running_pool: RunningPool) -> None:
    server: NodeServer = await running_pool.start_node("membership")
    node = server.node
    name = node.identity.node
    pool = running_pool.router.pool
    registered = pool.get(name)
    assert registered.state is NodeState.ACTIVE
    assert node.identity.provider_address == registered.registration.provider_address
    assert registered.endpoint == f"127.0.0.1:{server.port}"
    assert registered.registration.base_models == (TINY_MODEL_ID,)
    assert registered.registration.metadata_hash == keccak(b"{}")
    assert registered.capacity == server.engine.capacity
    await until(lambda: node.status().pool_state == "ACTIVE")

    provider = Caller(address=registered.registration.provider_address)
    await pool.drain(name, deregister=False, reason="maintenance", caller=provider)
    await until(lambda: node.status().draining)
    assert node.status().pool_state == "DRAINING"
    assert name not in {n.name for n in running_pool.routable()}

    # Deregistered while draining: the node does not come back by itself.
    await pool.drain(name, deregister=True, reason="retired", caller=provider)
    await until(lambda: node.status().pool_state == "REMOVED")
    assert server.membership is not None and not server.membership.registered.is_set()
    live = pool.list_nodes(
        NodeFilter(states=frozenset({NodeState.REGISTERED, NodeState.ACTIVE})),
        page_size=500,
        page_token="",
    )
    assert registered.endpoint not in {n.endpoint for n in live.nodes}

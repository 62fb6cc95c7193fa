"""pytest plugin (registered through the ``pytest11`` entry point) with session-wide real
infrastructure: one Redis, one L1 anvil and one L2 anvil per test run, started on free loopback
ports the first time a test asks for them. Tests that need a private or restartable process use
``running_redis`` / ``running_anvil`` from ``openledger_kit.testing.processes`` directly.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from openledger_kit.localnet.processes import L1_CHAIN_ID, L2_CHAIN_ID
from openledger_kit.testing.processes import (
    AnvilProcess,
    RedisProcess,
    running_anvil,
    running_redis,
)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisProcess]:
    """A real ``redis-server`` for the whole session. Tests isolate themselves by key prefix."""
    with running_redis(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture(scope="session")
def anvil_l1(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnvilProcess]:
    """A real anvil acting as the L1 (mines every transaction)."""
    with running_anvil(tmp_path_factory.mktemp("anvil-l1"), chain_id=L1_CHAIN_ID) as node:
        yield node


@pytest.fixture(scope="session")
def anvil_l2(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnvilProcess]:
    """A real anvil acting as the L2 (``--optimism``; mines each transaction until the
    sequencer drives it, see ``openledger_kit.localnet.components.l2``)."""
    with running_anvil(
        tmp_path_factory.mktemp("anvil-l2"), chain_id=L2_CHAIN_ID, optimism=True
    ) as node:
        yield node


@pytest.fixture
def scratch_dir(tmp_path: Path) -> Path:
    """A per-test directory (alias kept short for readability in service tests)."""
    return tmp_path

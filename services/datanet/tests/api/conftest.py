"""Fixtures of the gRPC API tests: one datanet server (API and worker in one process) per
module on port 0, over the session's anvils and a Redis of the module's own."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from openledger_datanet.server import DatanetServer, create_datanet_server
from openledger_kit.testing.processes import RedisProcess
from services.datanet.tests.fixtures import chain, contract_artifacts, datanet_redis
from services.datanet.tests.support import Chain, settings

__all__ = ["chain", "contract_artifacts", "datanet_redis"]


@pytest.fixture(scope="module")
async def server(
    chain: Chain, datanet_redis: RedisProcess, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[DatanetServer]:
    state: Path = tmp_path_factory.mktemp("datanet-state")
    running = await create_datanet_server(
        settings(chain, datanet_redis.url, state, admin_addresses=[])
    )
    await running.start()
    await running.wait_ready()
    yield running
    await running.stop(1.0)

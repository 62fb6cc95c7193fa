"""Fixtures of the end-to-end tests: the session's chain (see ``tests/fixtures.py``) and a
Redis per module."""

from __future__ import annotations

from services.datanet.tests.fixtures import chain, contract_artifacts, datanet_redis

__all__ = ["chain", "contract_artifacts", "datanet_redis"]

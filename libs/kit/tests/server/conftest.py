"""Fixtures for the server tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from libs.kit.tests.server.server_echo import Tracing


@pytest.fixture
def tracing() -> Iterator[Tracing]:
    """A private tracer provider recording spans in memory (the global one is left alone)."""
    tracing = Tracing()
    yield tracing
    tracing.provider.shutdown()

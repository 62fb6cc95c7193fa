"""Fixtures other test areas import into their ``conftest.py``::

from services.attribution.tests.support.fixtures import planted

__all__ = ["planted"]
"""

from __future__ import annotations

import pytest

from services.attribution.tests.support.planted import PlantedPlatform, planted_platform


@pytest.fixture(scope="session")
def planted(tmp_path_factory: pytest.TempPathFactory) -> PlantedPlatform:
    """The planted platform, built once per test session (training takes a few seconds)."""
    return planted_platform(tmp_path_factory.mktemp("planted"))

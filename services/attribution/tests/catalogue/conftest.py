from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from openledger_attribution.adapters.repository import Repository
from services.attribution.tests.support.fixtures import planted

__all__ = ["planted", "repo"]


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Repository]:
    repository = Repository.open(f"sqlite:///{tmp_path / 'state' / 'attribution.db'}")
    yield repository
    repository.close()

"""Fixtures of the adapter tests: the session's contract deployment (``platform``), a real
local object store with an ``AdapterShelf`` publishing into it, real peft adapters (written
once per session), and the real torch engine with 2 GPU and 2 CPU slots and ranks up to 16.
Torch runs on one thread: the test machine's cores are shared."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import torch

from openledger_inference.engine.torch_engine import TorchEngine
from openledger_kit.store import ObjectStore, open_store
from openledger_ml.lora import SavedAdapter
from services.inference.tests.support.adapters import make_adapter
from services.inference.tests.support.models import tiny_model
from services.inference.tests.support.platform import (
    AdapterShelf,
    Platform,
    contract_artifacts,
    platform,
)

__all__ = ["contract_artifacts", "platform"]

MAX_LORA_RANK = 16


@pytest.fixture(autouse=True, scope="session")
def one_torch_thread() -> None:
    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def saved_adapters(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SavedAdapter]:
    """Four rank-4 adapters with different outputs, and one of rank 32."""
    where = tmp_path_factory.mktemp("saved-adapters")
    base = tiny_model().path
    saved = {
        f"seed{seed}": make_adapter(base, where / f"seed{seed}", seed=seed) for seed in range(4)
    }
    saved["rank32"] = make_adapter(base, where / "rank32", seed=9, rank=32)
    return saved


@pytest.fixture
def store(tmp_path: Path) -> ObjectStore:
    return open_store(str(tmp_path / "objects"))


@pytest.fixture
async def shelf(platform: Platform, store: ObjectStore) -> AsyncIterator[AdapterShelf]:
    shelf = AdapterShelf(platform, store)
    yield shelf
    await shelf.close()


@pytest.fixture(scope="module")
async def engine() -> AsyncIterator[TorchEngine]:
    engine = TorchEngine(
        tiny_model(),
        max_loras=2,
        max_cpu_loras=2,
        max_lora_rank=MAX_LORA_RANK,
        max_concurrent_requests=4,
    )
    await engine.start()
    yield engine
    await engine.stop()

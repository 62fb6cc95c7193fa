"""From node settings to the served model and its engine."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

from openledger_inference.config import NodeSettings
from openledger_inference.engine.factory import make_engine, resolve_served_model
from openledger_inference.engine.torch_engine import TorchEngine
from openledger_kit.errors import FailedPrecondition
from openledger_ml.testing import model_cache_dir
from services.inference.tests.support.models import tiny_model


def settings(**values: Any) -> NodeSettings:
    values.setdefault("model_cache_dir", model_cache_dir())
    return NodeSettings(**values)


def test_the_packaged_tiny_llama_is_served_from_the_model_cache() -> None:
    assert resolve_served_model(settings(base_model="tiny-llama")) == tiny_model()


def test_a_local_model_from_a_catalogue_file(tmp_path: Path) -> None:
    catalogue = tmp_path / "catalogue.yaml"
    catalogue.write_text(
        f"models:\n  - id: my-tiny\n    source: local_path\n    location: {tiny_model().path}\n"
    )
    served = resolve_served_model(settings(base_model="my-tiny", catalogue_file=catalogue))
    assert served.id == "my-tiny"
    assert (served.path, served.revision) == (tiny_model().path, tiny_model().revision)
    assert (served.context_length, served.vocab_size) == (512, 1024)


def test_an_unknown_base_model_is_refused() -> None:
    with pytest.raises(FailedPrecondition, match="OL_INFERENCE_BASE_MODEL") as raised:
        resolve_served_model(settings(base_model="no-such-model"))
    assert raised.value.reason == "BASE_MODEL_UNKNOWN"


def test_a_base_model_without_weights_here_is_refused(tmp_path: Path) -> None:
    catalogue = tmp_path / "catalogue.yaml"
    catalogue.write_text(
        f"models:\n  - id: gone\n    source: local_path\n    location: {tmp_path / 'gone'}\n"
    )
    with pytest.raises(FailedPrecondition, match="no model directory") as raised:
        resolve_served_model(settings(base_model="gone", catalogue_file=catalogue))
    assert raised.value.reason == "BASE_MODEL_UNAVAILABLE"


def test_a_malformed_catalogue_is_refused(tmp_path: Path) -> None:
    catalogue = tmp_path / "catalogue.yaml"
    catalogue.write_text("models: {}\n")
    with pytest.raises(FailedPrecondition, match="OL_INFERENCE_CATALOGUE_FILE") as raised:
        resolve_served_model(settings(catalogue_file=catalogue))
    assert raised.value.reason == "CATALOGUE_INVALID"


def test_the_torch_engine_gets_the_node_settings() -> None:
    node = settings(
        engine="torch",
        max_concurrent_requests=3,
        max_queued_requests=5,
        max_loras=2,
        max_cpu_loras=4,
        max_lora_rank=16,
        max_context_tokens=128,
    )
    engine = make_engine(node, tiny_model())
    assert isinstance(engine, TorchEngine)
    capacity = engine.capacity
    assert (capacity.max_concurrent_requests, capacity.max_loras) == (3, 2)
    assert (capacity.max_cpu_loras, capacity.max_lora_rank) == (4, 16)
    assert (capacity.max_context_tokens, capacity.device) == (128, "cpu")


@pytest.mark.skipif(importlib.util.find_spec("vllm") is not None, reason="vLLM is installed")
def test_the_vllm_engine_without_vllm_is_a_failed_precondition() -> None:
    with pytest.raises(FailedPrecondition, match="vllm"):
        make_engine(settings(engine="vllm"), tiny_model())

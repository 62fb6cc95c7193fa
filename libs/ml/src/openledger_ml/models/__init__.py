"""Base models: building the tiny test Llama, converting the packaged SmolLM2, loading a
``save_pretrained`` directory and describing one without loading it. Heavy imports (torch,
transformers) happen inside the functions that need them."""

from openledger_ml.models.loading import (
    ModelDescription,
    TokenizerDescription,
    describe,
    load_causal_lm,
    load_tokenizer,
    weights_revision,
)
from openledger_ml.models.smollm2 import convert_smollm2, smollm2_available
from openledger_ml.models.tiny import build_tiny_llama

__all__ = [
    "ModelDescription",
    "TokenizerDescription",
    "build_tiny_llama",
    "convert_smollm2",
    "describe",
    "load_causal_lm",
    "load_tokenizer",
    "smollm2_available",
    "weights_revision",
]

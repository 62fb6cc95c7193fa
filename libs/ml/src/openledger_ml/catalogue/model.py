"""What the catalogue says about a base model: where its weights come from, its shape figures
(for memory estimates and context checks), its tokenizer and where it lies on this machine."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from pathlib import Path

BASE_MODEL_ID = re.compile(r"^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$")
"""A catalogue id: lowercase letters, digits, '.' and '-', at most 63 characters."""


class BaseModelSource(enum.StrEnum):
    LOCAL_PATH = "LOCAL_PATH"
    HUB = "HUB"
    PACKAGED = "PACKAGED"


@dataclass(frozen=True)
class TokenizerInfo:
    name_or_path: str
    tokenizer_class: str
    vocab_size: int
    has_chat_template: bool
    bos_token: str
    eos_token: str
    pad_token: str


@dataclass(frozen=True)
class BaseModelInfo:
    """A catalogue base model (``modelfactory.v1.BaseModel``) plus the shape figures memory
    estimates need and where its weights lie on this machine."""

    id: str
    display_name: str
    description: str
    source: BaseModelSource
    source_location: str
    revision: str
    architecture: str
    model_type: str
    parameter_count: int
    context_length: int
    hidden_size: int
    num_layers: int
    num_attention_heads: int
    num_key_value_heads: int
    intermediate_size: int
    vocab_size: int
    weights_dtype: str
    weights_bytes: int
    tokenizer: TokenizerInfo | None
    max_lora_rank: int
    supported_target_modules: tuple[str, ...]
    default_target_modules: tuple[str, ...]
    available: bool
    unavailable_reason: str = ""
    license: str = ""
    local_path: Path | None = None
    """The ``save_pretrained`` directory (safetensors) to load; None when unavailable."""

    @property
    def name(self) -> str:
        """The resource name, ``baseModels/{id}``."""
        return f"baseModels/{self.id}"

"""Loading a base model saved with ``save_pretrained`` (safetensors only, local files only),
and describing one without loading it.

``describe`` reads only JSON files and the safetensors headers (and ``tokenizers``, which is
light), never importing transformers or torch, so a catalogue of models is described in well
under a second; the weights revision is a streamed SHA-256 of the weights files.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import struct
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

WEIGHTS_SUFFIX = ".safetensors"
_HASH_CHUNK = 1 << 20

_SAFETENSORS_DTYPES = {
    "F64": ("float64", 8),
    "F32": ("float32", 4),
    "F16": ("float16", 2),
    "BF16": ("bfloat16", 2),
    "F8_E4M3": ("float8_e4m3fn", 1),
    "F8_E5M2": ("float8_e5m2", 1),
    "I64": ("int64", 8),
    "I32": ("int32", 4),
    "I16": ("int16", 2),
    "I8": ("int8", 1),
    "U8": ("uint8", 1),
    "BOOL": ("bool", 1),
}

# Config keys under their common names, then the aliases older architectures use.
_CONFIG_KEYS: dict[str, tuple[str, ...]] = {
    "hidden_size": ("hidden_size", "n_embd", "d_model"),
    "num_layers": ("num_hidden_layers", "n_layer", "num_layers"),
    "num_attention_heads": ("num_attention_heads", "n_head"),
    "context_length": ("max_position_embeddings", "n_positions", "max_sequence_length"),
    "vocab_size": ("vocab_size",),
}

# Where the usual projection names are found, in the order people list them.
_PREFERRED_TARGET_ORDER = (
    "q_proj",
    "k_proj",
    "v_proj",
    "o_proj",
    "gate_proj",
    "up_proj",
    "down_proj",
)
_BLOCK_INDEX = re.compile(r"\.\d+\.")


@dataclass(frozen=True)
class TokenizerDescription:
    tokenizer_class: str
    vocab_size: int
    """Including added tokens: the number of rows the embeddings need at least."""
    has_chat_template: bool
    bos_token: str
    eos_token: str
    pad_token: str
    """The eos token when the tokenizer has no pad token (as ``load_tokenizer`` sets it)."""


@dataclass(frozen=True)
class ModelDescription:
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
    tokenizer: TokenizerDescription | None
    supported_target_modules: tuple[str, ...]
    """Suffixes of the linear layers inside the repeated blocks (what LoRA can target)."""
    revision: str


def load_tokenizer(path: Path | str) -> PreTrainedTokenizerBase:
    """The tokenizer saved at ``path``; its pad token is the eos token when it has none, so
    batches can always be padded."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_causal_lm(
    path: Path | str,
    *,
    dtype: torch.dtype | None = None,
    attn_implementation: str = "eager",
    device: str | torch.device = "cpu",
) -> PreTrainedModel:
    """The causal LM saved at ``path`` from its safetensors (never a pickle), on ``device``.
    ``dtype`` defaults to float32. Eager attention is the default because per-example
    gradients (``torch.func.vmap``) fail with sdpa and an attention mask."""
    import torch
    from transformers import AutoModelForCausalLM

    model: PreTrainedModel = AutoModelForCausalLM.from_pretrained(
        str(path),
        dtype=dtype or torch.float32,
        attn_implementation=attn_implementation,
        device_map=device,
        use_safetensors=True,
        local_files_only=True,
    )
    return model


def weights_files(path: Path | str) -> list[Path]:
    """The model's safetensors files, sorted by name."""
    files = sorted(p for p in Path(path).glob(f"*{WEIGHTS_SUFFIX}") if p.is_file())
    if not files:
        raise FileNotFoundError(f"{path}: no {WEIGHTS_SUFFIX} weights")
    return files


def weights_revision(path: Path | str) -> str:
    """Hex SHA-256 over the model's safetensors files, sorted by name, hashed in sequence."""
    digest = hashlib.sha256()
    for file in weights_files(path):
        with file.open("rb") as f:
            while chunk := f.read(_HASH_CHUNK):
                digest.update(chunk)
    return digest.hexdigest()


def describe(path: Path | str) -> ModelDescription:
    """What the model at ``path`` is, from its config, tokenizer files and safetensors headers."""
    root = Path(path)
    config = _read_json(root / "config.json")
    if config is None:
        raise FileNotFoundError(f"{root}: no config.json")
    tensors = _tensor_headers(root)

    parameter_count = 0
    weights_bytes = 0
    bytes_by_dtype: Counter[str] = Counter()
    for _, dtype, shape, nbytes in tensors:
        parameter_count += math.prod(shape)
        weights_bytes += nbytes
        bytes_by_dtype[dtype] += nbytes
    weights_dtype = bytes_by_dtype.most_common(1)[0][0] if bytes_by_dtype else ""

    hidden_size = _config_int(config, "hidden_size", root)
    num_attention_heads = _config_int(config, "num_attention_heads", root)
    architectures = config.get("architectures") or [""]
    intermediate = config.get("intermediate_size") or config.get("n_inner") or 4 * hidden_size
    return ModelDescription(
        architecture=str(architectures[0]),
        model_type=str(config.get("model_type", "")),
        parameter_count=parameter_count,
        context_length=_config_int(config, "context_length", root),
        hidden_size=hidden_size,
        num_layers=_config_int(config, "num_layers", root),
        num_attention_heads=num_attention_heads,
        num_key_value_heads=int(config.get("num_key_value_heads") or num_attention_heads),
        intermediate_size=int(intermediate),
        vocab_size=_config_int(config, "vocab_size", root),
        weights_dtype=weights_dtype,
        weights_bytes=weights_bytes,
        tokenizer=_describe_tokenizer(root),
        supported_target_modules=_target_modules(tensors),
        revision=weights_revision(root),
    )


def _read_json(file: Path) -> dict[str, Any] | None:
    if not file.is_file():
        return None
    value = json.loads(file.read_text(encoding="utf-8"))
    if not isinstance(value, dict):
        raise ValueError(f"{file}: not a JSON object")
    return value


def _config_int(config: dict[str, Any], figure: str, root: Path) -> int:
    for key in _CONFIG_KEYS[figure]:
        if config.get(key) is not None:
            return int(config[key])
    raise ValueError(f"{root}/config.json: none of {', '.join(_CONFIG_KEYS[figure])} is set")


def _tensor_headers(root: Path) -> list[tuple[str, str, tuple[int, ...], int]]:
    """(name, dtype, shape, bytes) of every tensor in the model's safetensors files."""
    tensors = []
    for file in weights_files(root):
        with file.open("rb") as f:
            (header_len,) = struct.unpack("<Q", f.read(8))
            header = json.loads(f.read(header_len))
        for name, entry in header.items():
            if name == "__metadata__":
                continue
            dtype, _ = _SAFETENSORS_DTYPES.get(entry["dtype"], (entry["dtype"].lower(), 0))
            start, end = entry["data_offsets"]
            tensors.append((name, dtype, tuple(int(d) for d in entry["shape"]), end - start))
    return tensors


def _target_modules(tensors: list[tuple[str, str, tuple[int, ...], int]]) -> tuple[str, ...]:
    suffixes = {
        name.removesuffix(".weight").rsplit(".", 1)[-1]
        for name, _, shape, _ in tensors
        if name.endswith(".weight") and len(shape) == 2 and _BLOCK_INDEX.search(name)
    }
    known = [s for s in _PREFERRED_TARGET_ORDER if s in suffixes]
    return (*known, *sorted(suffixes - set(known)))


def _token_text(value: Any) -> str:
    """A special token as ``tokenizer_config.json`` stores it: a string or an AddedToken."""
    if isinstance(value, dict):
        return str(value.get("content", ""))
    return "" if value is None else str(value)


def _describe_tokenizer(root: Path) -> TokenizerDescription | None:
    config = _read_json(root / "tokenizer_config.json")
    if config is None or not (root / "tokenizer.json").is_file():
        if any((root / name).is_file() for name in ("tokenizer.model", "vocab.json")):
            return _describe_with_transformers(root)
        return None
    from tokenizers import Tokenizer

    backend = Tokenizer.from_file(str(root / "tokenizer.json"))
    eos = _token_text(config.get("eos_token"))
    return TokenizerDescription(
        tokenizer_class=str(config.get("tokenizer_class", "")),
        vocab_size=backend.get_vocab_size(with_added_tokens=True),
        has_chat_template=bool(config.get("chat_template"))
        or (root / "chat_template.jinja").is_file()
        or (root / "chat_template.json").is_file(),
        bos_token=_token_text(config.get("bos_token")),
        eos_token=eos,
        pad_token=_token_text(config.get("pad_token")) or eos,
    )


def _describe_with_transformers(root: Path) -> TokenizerDescription:
    """Tokenizers without a ``tokenizer.json`` (sentencepiece, vocab + merges) need
    transformers to be read."""
    tokenizer = load_tokenizer(root)
    return TokenizerDescription(
        tokenizer_class=type(tokenizer).__name__,
        vocab_size=len(tokenizer),
        has_chat_template=bool(tokenizer.chat_template),
        bos_token=str(tokenizer.bos_token or ""),
        eos_token=str(tokenizer.eos_token or ""),
        pad_token=str(tokenizer.pad_token or ""),
    )

"""A tiny Llama built on this machine: a byte-level BPE tokenizer trained on a small corpus and
a randomly initialised ``LlamaForCausalLM``, for tests and for demos that need no download.

The build is deterministic (same arguments, same bytes on disk), so its weights revision is
stable across machines and runs, and idempotent through a completion marker keyed by the
arguments.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from openledger_ml.models.build import is_complete, publish

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

BOS = "<s>"
EOS = "</s>"
PAD = "<pad>"
UNK = "<unk>"
IM_START = "<|im_start|>"
IM_END = "<|im_end|>"
SPECIAL_TOKENS = (UNK, BOS, EOS, PAD, IM_START, IM_END)

CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
"""ChatML, as SmolLM2-Instruct uses it (without its default system message), so a chat
template trained on the tiny model formats prompts the same way as on SmolLM2."""


def default_corpus() -> list[str]:
    """The bundled English corpus, one line a text."""
    text = (
        importlib.resources.files("openledger_ml.models")
        .joinpath("corpus.txt")
        .read_text(encoding="utf-8")
    )
    return [line for line in text.splitlines() if line.strip()]


def build_tiny_llama(
    out_dir: Path,
    *,
    corpus: Iterable[str] | None = None,
    vocab_size: int = 1024,
    hidden_size: int = 64,
    num_layers: int = 2,
    num_heads: int = 4,
    num_kv_heads: int = 2,
    intermediate_size: int = 128,
    max_position_embeddings: int = 512,
    seed: int = 0,
) -> Path:
    """Build (or find already built) the tiny model at ``out_dir``; returns ``out_dir``."""
    texts = default_corpus() if corpus is None else list(corpus)
    if not texts:
        raise ValueError("corpus: no text to train the tokenizer on")
    corpus_hash = hashlib.sha256("\n".join(texts).encode()).hexdigest()
    key = json.dumps(
        {
            "builder": "tiny-llama/v2",
            "corpus_sha256": corpus_hash,
            "vocab_size": vocab_size,
            "hidden_size": hidden_size,
            "num_layers": num_layers,
            "num_heads": num_heads,
            "num_kv_heads": num_kv_heads,
            "intermediate_size": intermediate_size,
            "max_position_embeddings": max_position_embeddings,
            "seed": seed,
        },
        sort_keys=True,
    )
    if is_complete(out_dir, key):
        return out_dir

    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    tokenizer = _train_tokenizer(texts, vocab_size, max_position_embeddings)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=intermediate_size,
        num_hidden_layers=num_layers,
        num_attention_heads=num_heads,
        num_key_value_heads=num_kv_heads,
        max_position_embeddings=max_position_embeddings,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=False,
        dtype="float32",
    )
    model = LlamaForCausalLM(config)
    # Initialised here, from a generator of its own, rather than by transformers' init: the
    # global RNG may be shared with other threads, and transformers' init scheme may change
    # between versions, either of which would change the weights' revision.
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for _, param in sorted(model.named_parameters()):
            if param.ndim == 1:  # RMSNorm scales; this Llama has no biases
                param.fill_(1.0)
            else:
                param.normal_(0.0, config.initializer_range, generator=generator)

    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
    try:
        os.chmod(staging, 0o755)
        model.save_pretrained(staging, safe_serialization=True)
        tokenizer.save_pretrained(staging)
        publish(staging, out_dir, key)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return out_dir


def _train_tokenizer(
    texts: list[str], vocab_size: int, model_max_length: int
) -> PreTrainedTokenizerBase:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    backend = Tokenizer(models.BPE(unk_token=UNK))
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    backend.train_from_iterator(texts, trainer=trainer)
    return PreTrainedTokenizerFast(  # type: ignore[no-untyped-call]
        tokenizer_object=backend,
        bos_token=BOS,
        eos_token=EOS,
        pad_token=PAD,
        unk_token=UNK,
        additional_special_tokens=[IM_START, IM_END],
        chat_template=CHAT_TEMPLATE,
        model_max_length=model_max_length,
    )

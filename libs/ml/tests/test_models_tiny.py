"""The tiny Llama: deterministic, idempotent builds; what ``describe`` says matches the loaded
model and tokenizer; the weights revision is a plain SHA-256 of the safetensors files."""

from __future__ import annotations

import hashlib
import json
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from openledger_ml.models import (
    build_tiny_llama,
    describe,
    load_causal_lm,
    load_tokenizer,
    weights_revision,
)
from openledger_ml.models.build import COMPLETE_MARKER
from openledger_ml.models.tiny import IM_END, IM_START

LLAMA_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


def build_small(out_dir: Path, hidden_size: int = 32) -> Path:
    return build_tiny_llama(
        out_dir,
        vocab_size=400,
        hidden_size=hidden_size,
        num_layers=2,
        num_heads=4,
        num_kv_heads=2,
        intermediate_size=48,
        max_position_embeddings=64,
    )


def files_of(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_llama(tmp_path_factory.mktemp("tiny") / "model")


def test_two_builds_are_byte_identical(tiny: Path, tmp_path: Path) -> None:
    again = build_tiny_llama(tmp_path / "again")
    assert files_of(again) == files_of(tiny)
    assert weights_revision(again) == weights_revision(tiny)


def test_the_seed_and_the_corpus_change_the_build(tiny: Path, tmp_path: Path) -> None:
    reseeded = build_tiny_llama(tmp_path / "seed1", seed=1)
    assert weights_revision(reseeded) != weights_revision(tiny)
    assert (reseeded / "tokenizer.json").read_bytes() == (tiny / "tokenizer.json").read_bytes()

    other_corpus = build_tiny_llama(
        tmp_path / "corpus", corpus=["zebra quartz jumps", "vexing fjord nymph"] * 20
    )
    assert (other_corpus / "tokenizer.json").read_bytes() != (tiny / "tokenizer.json").read_bytes()


def test_a_finished_build_is_not_redone(tmp_path: Path) -> None:
    out = build_small(tmp_path / "m")
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    assert build_small(tmp_path / "m") == out
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == before


def test_other_arguments_or_a_half_build_are_rebuilt(tmp_path: Path) -> None:
    out = build_small(tmp_path / "m")
    wider = build_small(out, hidden_size=64)
    assert describe(wider).hidden_size == 64

    # A crash before the marker leaves a directory that must not count as a model.
    (out / COMPLETE_MARKER).unlink()
    (out / "model.safetensors").write_bytes(b"truncated")
    rebuilt = build_small(out)
    assert files_of(rebuilt) == files_of(build_small(tmp_path / "fresh"))
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_concurrent_builds_of_one_directory_agree(tiny: Path, tmp_path: Path) -> None:
    out = tmp_path / "shared"
    with ThreadPoolExecutor(2) as pool:
        built = list(pool.map(build_tiny_llama, [out, out]))
    assert built == [out, out]
    assert files_of(out) == files_of(tiny)
    assert [p.name for p in tmp_path.iterdir()] == ["shared"]


def test_the_initialisation_is_sensible(tiny: Path) -> None:
    model = load_causal_lm(tiny)
    params = dict(model.named_parameters())
    assert torch.equal(params["model.norm.weight"], torch.ones(64))
    q = params["model.layers.0.self_attn.q_proj.weight"]
    assert abs(q.std().item() - model.config.initializer_range) < 0.005
    assert not torch.equal(q, params["model.layers.1.self_attn.q_proj.weight"])


def test_an_empty_corpus_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="corpus"):
        build_tiny_llama(tmp_path / "m", corpus=[])


def test_describe_matches_the_loaded_model(tmp_path: Path) -> None:
    out = build_small(tmp_path / "m")
    d = describe(out)
    model = load_causal_lm(out)
    tokenizer = load_tokenizer(out)

    assert (d.architecture, d.model_type) == ("LlamaForCausalLM", "llama")
    assert d.parameter_count == sum(p.numel() for p in model.parameters())
    assert d.parameter_count > 0
    assert (d.hidden_size, d.num_layers, d.num_attention_heads, d.num_key_value_heads) == (
        32,
        2,
        4,
        2,
    )
    assert (d.intermediate_size, d.context_length, d.vocab_size) == (48, 64, 400)
    assert d.weights_dtype == "float32"
    assert d.weights_bytes == 4 * d.parameter_count
    assert d.supported_target_modules == LLAMA_TARGETS
    assert d.revision == weights_revision(out)

    assert d.tokenizer is not None
    assert d.tokenizer.vocab_size == len(tokenizer) == 400
    assert d.tokenizer.has_chat_template
    assert (d.tokenizer.bos_token, d.tokenizer.eos_token, d.tokenizer.pad_token) == (
        tokenizer.bos_token,
        tokenizer.eos_token,
        tokenizer.pad_token,
    )
    assert (tokenizer.bos_token, tokenizer.eos_token, tokenizer.pad_token) == (
        "<s>",
        "</s>",
        "<pad>",
    )
    assert tokenizer.model_max_length == 64


def test_the_model_and_tokenizer_work_together(tiny: Path) -> None:
    tokenizer = load_tokenizer(tiny)
    model = load_causal_lm(tiny)
    assert model.config._attn_implementation == "eager"
    assert next(model.parameters()).dtype == torch.float32

    text = "The river runs past the old mill."
    ids = tokenizer(text)["input_ids"]
    assert tokenizer.decode(ids) == text
    assert tokenizer.unk_token_id not in ids

    chat = tokenizer.apply_chat_template(
        [{"role": "user", "content": "Name three colours."}],
        add_generation_prompt=True,
        tokenize=False,
    )
    assert chat == f"{IM_START}user\nName three colours.{IM_END}\n{IM_START}assistant\n"
    chat_ids = tokenizer(chat)["input_ids"]
    assert chat_ids[0] == tokenizer.convert_tokens_to_ids(IM_START)
    assert chat_ids.count(tokenizer.convert_tokens_to_ids(IM_END)) == 1

    batch = tokenizer([text, "Hello."], padding=True, return_tensors="pt")
    with torch.no_grad():
        logits = model(**batch).logits
    assert logits.shape == (2, batch["input_ids"].shape[1], len(tokenizer))
    assert torch.isfinite(logits).all()


def test_load_causal_lm_takes_a_dtype(tiny: Path) -> None:
    model = load_causal_lm(tiny, dtype=torch.bfloat16)
    assert next(model.parameters()).dtype == torch.bfloat16


def test_a_tokenizer_without_pad_gets_eos(tiny: Path, tmp_path: Path) -> None:
    copy = Path(shutil.copytree(tiny, tmp_path / "nopad"))
    config_file = copy / "tokenizer_config.json"
    config = json.loads(config_file.read_text())
    del config["pad_token"]
    config_file.write_text(json.dumps(config))

    assert load_tokenizer(copy).pad_token == "</s>"
    description = describe(copy).tokenizer
    assert description is not None
    assert description.pad_token == "</s>"


def test_weights_revision_hashes_the_files_in_name_order(tmp_path: Path) -> None:
    # Written out of order, and beside files that are not weights.
    save_file({"b": torch.arange(6, dtype=torch.float32).reshape(2, 3)}, tmp_path / "b.safetensors")
    save_file({"a": torch.ones(4, dtype=torch.float16)}, tmp_path / "a.safetensors")
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / COMPLETE_MARKER).write_text("x")

    expected = hashlib.sha256(
        (tmp_path / "a.safetensors").read_bytes() + (tmp_path / "b.safetensors").read_bytes()
    ).hexdigest()
    assert weights_revision(tmp_path) == expected

    (tmp_path / "config.json").write_text('{"changed": true}')
    assert weights_revision(tmp_path) == expected


def test_describe_reads_sharded_weights(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(
        json.dumps(
            {
                "architectures": ["LlamaForCausalLM"],
                "model_type": "llama",
                "hidden_size": 4,
                "num_hidden_layers": 1,
                "num_attention_heads": 2,
                "max_position_embeddings": 16,
                "intermediate_size": 8,
                "vocab_size": 10,
            }
        )
    )
    save_file(
        {
            "model.embed_tokens.weight": torch.zeros(10, 4, dtype=torch.bfloat16),
            "model.layers.0.self_attn.q_proj.weight": torch.zeros(4, 4, dtype=torch.bfloat16),
        },
        tmp_path / "model-00001-of-00002.safetensors",
    )
    save_file(
        {
            "model.layers.0.mlp.up_proj.weight": torch.zeros(8, 4, dtype=torch.bfloat16),
            "model.layers.0.input_layernorm.weight": torch.zeros(4, dtype=torch.float32),
            "lm_head.weight": torch.zeros(10, 4, dtype=torch.bfloat16),
        },
        tmp_path / "model-00002-of-00002.safetensors",
    )
    d = describe(tmp_path)
    assert d.parameter_count == 40 + 16 + 32 + 4 + 40
    assert d.weights_bytes == 2 * (40 + 16 + 32 + 40) + 4 * 4
    assert d.weights_dtype == "bfloat16"
    assert d.num_key_value_heads == 2
    assert d.supported_target_modules == ("q_proj", "up_proj")
    assert d.tokenizer is None


def test_a_directory_without_weights_is_refused(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(FileNotFoundError, match="safetensors"):
        weights_revision(tmp_path)
    with pytest.raises(FileNotFoundError, match="safetensors"):
        describe(tmp_path)

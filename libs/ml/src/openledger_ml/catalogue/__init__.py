"""The base-model catalogue ModelFactory trains on and inference nodes serve: a YAML file of
entries, each resolved to a local ``save_pretrained`` directory and described from its files.
``ModelCatalogue.load(catalogue_file, cache_dir)`` reads one (default: the packaged
``default.yaml``); ``load_base_model`` resolves a single entry of one."""

from openledger_ml.catalogue.loading import (
    DEFAULT_MAX_LORA_RANK,
    DEFAULT_TARGET_MODULES,
    PACKAGED,
    CatalogueEntry,
    CatalogueError,
    ModelCatalogue,
    default_catalogue_text,
    load_base_model,
    parse_catalogue,
)
from openledger_ml.catalogue.model import (
    BASE_MODEL_ID,
    BaseModelInfo,
    BaseModelSource,
    TokenizerInfo,
)

__all__ = [
    "BASE_MODEL_ID",
    "DEFAULT_MAX_LORA_RANK",
    "DEFAULT_TARGET_MODULES",
    "PACKAGED",
    "BaseModelInfo",
    "BaseModelSource",
    "CatalogueEntry",
    "CatalogueError",
    "ModelCatalogue",
    "TokenizerInfo",
    "default_catalogue_text",
    "load_base_model",
    "parse_catalogue",
]

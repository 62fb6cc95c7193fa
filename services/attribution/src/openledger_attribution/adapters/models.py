"""The base-model catalogue as attribution uses it: each entry resolved (and a packaged model
materialised) once, off the event loop, and each base model's tokenizer loaded once."""

from __future__ import annotations

import asyncio
from pathlib import Path

from transformers import PreTrainedTokenizerBase

from openledger_attribution.adapters.flights import SingleFlight
from openledger_kit.errors import FailedPrecondition, NotFound
from openledger_ml.catalogue import BaseModelInfo, load_base_model
from openledger_ml.models.loading import load_tokenizer

BASE_MODEL_UNAVAILABLE = "BASE_MODEL_UNAVAILABLE"
_DOMAIN = "openledger.attribution"


class BaseModelLibrary:
    """``ports.BaseModels`` over a catalogue file (None: the packaged one) and a model cache."""

    def __init__(self, catalogue_file: Path | None, cache_dir: Path) -> None:
        self._catalogue_file = catalogue_file
        self._cache_dir = cache_dir
        self._infos: dict[str, BaseModelInfo] = {}
        self._tokenizers: dict[str, PreTrainedTokenizerBase] = {}
        self._info_flights: SingleFlight[str, BaseModelInfo] = SingleFlight()
        self._tokenizer_flights: SingleFlight[str, PreTrainedTokenizerBase] = SingleFlight()

    async def info(self, base_model: str) -> BaseModelInfo:
        """Raises ``NotFound`` for an id the catalogue lacks and
        ``FailedPrecondition(BASE_MODEL_UNAVAILABLE)`` for one not available here."""
        info = self._infos.get(base_model)
        if info is None:
            info = await self._info_flights.run(base_model, lambda: self._resolve(base_model))
        if not info.available or info.local_path is None:
            raise FailedPrecondition(
                f"base_model {base_model} is not available here: {info.unavailable_reason}",
                reason=BASE_MODEL_UNAVAILABLE,
                domain=_DOMAIN,
            )
        return info

    async def local_path(self, base_model: str) -> Path:
        """The ``save_pretrained`` directory of an available base model."""
        path = (await self.info(base_model)).local_path
        assert path is not None  # info() refuses a model without one
        return path

    async def tokenizer(self, base_model: str) -> PreTrainedTokenizerBase:
        tokenizer = self._tokenizers.get(base_model)
        if tokenizer is None:
            path = await self.local_path(base_model)
            tokenizer = await self._tokenizer_flights.run(
                base_model, lambda: asyncio.to_thread(load_tokenizer, path)
            )
            self._tokenizers[base_model] = tokenizer
        return tokenizer

    async def _resolve(self, base_model: str) -> BaseModelInfo:
        info = await asyncio.to_thread(
            load_base_model, self._catalogue_file, self._cache_dir, base_model
        )
        if info is None:
            raise NotFound(
                f"base_model {base_model} is not in the catalogue",
                reason="BASE_MODEL_NOT_FOUND",
                domain=_DOMAIN,
            )
        self._infos[base_model] = info
        return info

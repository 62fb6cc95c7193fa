"""Exact and near-duplicate detection: sha256 keys, MinHash signatures and an LSH index.

Shingles. The proto fixes word n-grams (n = ``near_duplicate_ngram_size``, default 3). On the
short records datanets hold (10-80 words) word 3-grams alone are too coarse: changing one
word of a 20-word text removes 3 of its 18 trigrams and the Jaccard similarity of the pair
drops to ~0.7, under any useful threshold. So texts of fewer than ``SHORT_TEXT_WORDS`` words
also contribute character 5-grams of their word sequence, which move far less per edited
word; the corpus test measures the effect (``tests/domain/curation/test_corpus.py``).
Words are casefolded ``\\w+`` runs, so punctuation and case edits do not count as changes.

Index. ``MinHashLSH`` (datasketch) proposes candidates and each is confirmed with the
estimated Jaccard similarity of the full signatures. datasketch's own banding for a threshold t
balances false positives against false negatives and finds only ~40% of the pairs whose
similarity is exactly t (``lsh_params`` documents the arithmetic); a dedupe filter wants the
opposite trade, since a false candidate costs one vectorised comparison and a missed one lets
a duplicate in. ``lsh_params`` picks the banding that still proposes 99.5% of the pairs at
t - 0.05 with the fewest candidates.
"""

from __future__ import annotations

import hashlib
import re
import struct
import zlib
from collections.abc import Iterable, Mapping

import numpy as np
import numpy.typing as npt
from datasketch import MinHash, MinHashLSH  # type: ignore[import-untyped]

from ..canonical import canonical_json

NUM_PERM = 128
"""Permutations per signature, as the proto's ``near_duplicate_threshold`` documents."""
SEED = 1
SCHEME = "affine32"
SHORT_TEXT_WORDS = 120
"""Texts with fewer words than this also get character shingles."""
CHAR_NGRAM = 5
CANDIDATE_MARGIN = 0.05
CANDIDATE_RECALL = 0.995
"""LSH proposes a pair with similarity ``threshold - CANDIDATE_MARGIN`` this often at least."""

_SIGNATURE_VERSION = 1
_SIGNATURE_BYTES = 1 + 4 * NUM_PERM
_WORD = re.compile(r"\w+")
# CRC-32 instead of datasketch's default SHA-1 as the base hash: 5x cheaper per shingle, and
# the affine schemes pass every base hash through the MurmurHash3 finaliser before permuting,
# so its weak mixing does not bias the signature. Changing it changes every signature: bump
# _SIGNATURE_VERSION with it.
_HASH = zlib.crc32
_PERMUTATIONS = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME).permutations

Signature = npt.NDArray[np.uint32]


def exact_key(content: Mapping[str, object]) -> bytes:
    """sha256 of the RFC 8785 canonical JSON of (curated) content."""
    return hashlib.sha256(canonical_json(content)).digest()


def dedupe_words(text: str) -> list[str]:
    """The casefolded word sequence that shingles are built from."""
    return _WORD.findall(text.casefold())


def shingles(text: str, ngram: int) -> set[bytes]:
    """Word ``ngram``-grams of ``text`` (the whole text if shorter), plus character 5-grams
    of the word sequence when the text is short. Empty for a text without words."""
    words = dedupe_words(text)
    if not words:
        return set()
    out = {
        ("w:" + " ".join(words[i : i + ngram])).encode()
        for i in range(max(1, len(words) - ngram + 1))
    }
    if len(words) < SHORT_TEXT_WORDS:
        joined = " ".join(words)
        out.update(
            ("c:" + joined[i : i + CHAR_NGRAM]).encode()
            for i in range(max(1, len(joined) - CHAR_NGRAM + 1))
        )
    return out


def signature(items: Iterable[bytes]) -> Signature:
    """The MinHash signature (``NUM_PERM`` uint32 values) of a shingle set."""
    minhash = MinHash(
        num_perm=NUM_PERM, seed=SEED, scheme=SCHEME, hashfunc=_HASH, permutations=_PERMUTATIONS
    )
    minhash.update_batch(list(items))
    values: Signature = minhash.hashvalues
    return values


def text_signature(text: str, ngram: int) -> Signature | None:
    """The signature of ``text``'s shingles, or ``None`` for a text without words."""
    items = shingles(text, ngram)
    return signature(items) if items else None


def signature_to_bytes(values: Signature) -> bytes:
    """Serialise a signature for storage: a version byte, then little-endian uint32 values."""
    return struct.pack("<B", _SIGNATURE_VERSION) + values.astype("<u4").tobytes()


def signature_from_bytes(data: bytes) -> Signature:
    """Inverse of ``signature_to_bytes``; ``ValueError`` on a foreign or truncated payload."""
    if len(data) != _SIGNATURE_BYTES or data[0] != _SIGNATURE_VERSION:
        raise ValueError(f"not a version-{_SIGNATURE_VERSION} MinHash signature")
    return np.frombuffer(data, dtype="<u4", offset=1).astype(np.uint32)


def jaccard(a: Signature, b: Signature) -> float:
    """Estimated Jaccard similarity of the sets behind two signatures."""
    return float(np.count_nonzero(a == b)) / NUM_PERM


def lsh_params(threshold: float) -> tuple[int, int]:
    """``(bands, rows)`` for an LSH over ``NUM_PERM`` permutations: the most rows per band
    (fewest candidates) whose probability ``1 - (1 - s**rows)**bands`` of proposing a pair of
    similarity ``s = threshold - CANDIDATE_MARGIN`` is at least ``CANDIDATE_RECALL``.

    At 0.8 this is 25 bands of 5 rows: pairs at 0.75 are proposed 99.9% of the time, pairs at
    0.3 (unrelated short texts on one topic) 6%, pairs at 0.1 0.03%.
    """
    similarity = min(1.0, max(0.01, threshold - CANDIDATE_MARGIN))
    for rows in range(NUM_PERM, 0, -1):
        bands = NUM_PERM // rows
        if 1.0 - (1.0 - similarity**rows) ** bands >= CANDIDATE_RECALL:
            return bands, rows
    return NUM_PERM, 1


class NearDuplicateIndex:
    """Signatures of accepted texts, queried for the most similar one above a threshold."""

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold
        self._lsh = MinHashLSH(num_perm=NUM_PERM, params=lsh_params(threshold))
        self._rows: dict[str, int] = {}
        self._matrix = np.empty((64, NUM_PERM), dtype=np.uint32)

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, key: str) -> bool:
        return key in self._rows

    def add(self, key: str, values: Signature) -> None:
        """Index ``values`` under ``key``; adding a key twice keeps the first signature."""
        if key in self._rows:
            return
        row = len(self._rows)
        if row == len(self._matrix):
            grown = np.empty((2 * row, NUM_PERM), dtype=np.uint32)
            grown[:row] = self._matrix
            self._matrix = grown
        self._matrix[row] = values
        self._rows[key] = row
        self._lsh.insert(key, _as_minhash(values), check_duplication=False)

    def best_match(self, values: Signature) -> tuple[str, float] | None:
        """The indexed key most similar to ``values`` among the LSH candidates and its
        estimated Jaccard similarity (ties to the earliest added), or ``None``."""
        candidates: list[str] = self._lsh.query(_as_minhash(values))
        if not candidates:
            return None
        rows = np.fromiter((self._rows[key] for key in candidates), dtype=np.intp)
        similarity = np.count_nonzero(self._matrix[rows] == values, axis=1) / NUM_PERM
        best = max(range(len(candidates)), key=lambda i: (similarity[i], -rows[i]))
        return candidates[best], float(similarity[best])


def _as_minhash(values: Signature) -> MinHash:
    return MinHash(
        num_perm=NUM_PERM,
        seed=SEED,
        scheme=SCHEME,
        hashfunc=_HASH,
        hashvalues=values,
        permutations=_PERMUTATIONS,
    )

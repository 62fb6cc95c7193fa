"""The span index of one snapshot: a suffix array over its tokenized records.

The records' tokens are laid end to end, each record preceded by a separator and the whole
closed by one more. The separator is the largest value of the token dtype, above every real
token id, so no query span can match it: a match never crosses records, and every suffix that
begins with real tokens is followed by at least one more element (reads past a match's end stay
in bounds). Suffixes sort by their first token and separators sort last, so the suffix-array
interval of a single token is read off the cumulative unigram counts; longer spans narrow that
interval one token at a time by binary search.

On disk an index is a directory of ``.npy`` files (written without pickle, loaded
memory-mapped) and ``documents.json``; :meth:`SpanIndex.digest` is the SHA-256 of those files
concatenated in :data:`INDEX_FILES` order, so anyone holding the files can check the hash that
evidence cites.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal, TypeAlias

import numpy as np
import numpy.typing as npt
from pydivsufsort import divsufsort  # type: ignore[import-untyped]

from openledger_kit.errors import FailedPrecondition, InvalidArgument, NotFound

Tokens: TypeAlias = Sequence[int] | npt.NDArray[np.integer[Any]]

DOMAIN = "openledger.attribution"
FORMAT_VERSION = 1
DOCUMENTS_FILE = "documents.json"
ARRAY_FILES = ("offsets.npy", "unigrams.npy", "tokens.npy", "sa.npy")
INDEX_FILES = (DOCUMENTS_FILE, *ARRAY_FILES)
"""The files of a saved index, in the order :meth:`SpanIndex.digest` hashes them."""

_UINT16_VOCAB_LIMIT = 65535
_GATHER = 256
"""An interval this small is narrowed by one vectorised gather and ``searchsorted`` instead of
scalar bisection steps (each of which costs a Python round trip)."""
_FINISH = 16
"""When a span's interval holds this few suffixes, their continuations are compared with the
rest of the query at once, which ends the search instead of narrowing token by token."""
_WINDOW = 256
"""Query tokens compared per vectorised step when finishing a longest-prefix search."""


@dataclass(frozen=True)
class IndexedDocument:
    """One record of the snapshot as the index knows it."""

    record_id: str
    contributor: str
    """The contributor's 0x address."""
    token_count: int
    content_hash: bytes = b""
    """keccak256 of the record's content as its contributor signed it (evidence cites it)."""

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "content_hash": "0x" + self.content_hash.hex()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> IndexedDocument:
        return cls(**{**data, "content_hash": bytes.fromhex(data.get("content_hash", "")[2:])})


def _token_dtype(vocab_size: int) -> np.dtype[Any]:
    if vocab_size < _UINT16_VOCAB_LIMIT:
        return np.dtype("<u2")
    return np.dtype("<u4")


class _HashWriter:
    """A write-only file object that feeds a hash, so ``np.save``'s exact bytes are hashed
    without writing them anywhere."""

    def __init__(self, sha: hashlib._Hash) -> None:
        self._sha = sha

    def write(self, data: bytes) -> int:
        self._sha.update(data)
        return len(data)


class SpanIndex:
    """Counts, locates and extends token spans over a snapshot's records."""

    def __init__(
        self,
        *,
        tokens: npt.NDArray[np.unsignedinteger[Any]],
        suffix_array: npt.NDArray[np.signedinteger[Any]],
        offsets: npt.NDArray[np.int64],
        unigrams: npt.NDArray[np.int64],
        documents: Sequence[IndexedDocument],
        vocab_size: int,
    ) -> None:
        self._tokens = tokens
        self._sa = suffix_array
        self._offsets = offsets
        self._unigrams = unigrams
        # Suffixes sort by first token, so token t's suffixes start where the smaller ones end.
        self._starts = np.concatenate(([0], np.cumsum(unigrams)[:-1])).astype(np.int64)
        self._last = len(tokens) - 1
        self._documents = tuple(documents)
        self._vocab_size = vocab_size
        self._total_tokens = int(unigrams.sum())
        self._digest: bytes | None = None

    @classmethod
    def build(
        cls,
        documents: Sequence[tuple[IndexedDocument, Tokens]],
        vocab_size: int,
    ) -> SpanIndex:
        """Index ``documents`` (each with its token ids, all below ``vocab_size``)."""
        if vocab_size <= 0 or vocab_size >= np.iinfo(np.uint32).max:
            raise InvalidArgument("vocab_size", "must be in [1, 2^32 - 1)", domain=DOMAIN)
        dtype = _token_dtype(vocab_size)
        separator = np.iinfo(dtype).max
        arrays = []
        for i, (document, tokens) in enumerate(documents):
            array = np.asarray(tokens)
            if array.ndim != 1 or (array.size and array.dtype.kind not in "iu"):
                raise InvalidArgument(
                    f"documents[{i}].tokens", "must be a flat list of token ids", domain=DOMAIN
                )
            if array.size and (int(array.min()) < 0 or int(array.max()) >= vocab_size):
                raise InvalidArgument(
                    f"documents[{i}].tokens",
                    f"token ids must be in [0, {vocab_size})",
                    domain=DOMAIN,
                )
            if document.token_count != array.size:
                raise InvalidArgument(
                    f"documents[{i}].token_count",
                    f"is {document.token_count} but the record has {array.size} tokens",
                    domain=DOMAIN,
                )
            arrays.append(array)

        lengths = np.fromiter((a.size for a in arrays), dtype=np.int64, count=len(arrays))
        # Document i's tokens start after i + 1 separators and the tokens before it.
        offsets = np.cumsum(lengths) - lengths + np.arange(1, len(arrays) + 1, dtype=np.int64)
        corpus = np.full(int(lengths.sum()) + len(arrays) + 1, separator, dtype=dtype)
        for offset, array in zip(offsets.tolist(), arrays, strict=True):
            corpus[offset : offset + array.size] = array

        if dtype.itemsize == 2:
            unigrams = np.bincount(corpus, minlength=separator + 1)[:vocab_size]
        else:
            unigrams = np.bincount(corpus[corpus != separator], minlength=vocab_size)
        return cls(
            tokens=corpus,
            suffix_array=_suffix_array(corpus),
            offsets=offsets.astype(np.int64),
            unigrams=unigrams.astype(np.int64),
            documents=[document for document, _ in documents],
            vocab_size=vocab_size,
        )

    # ---- persistence -------------------------------------------------------------------------

    def _documents_json(self) -> bytes:
        payload = {
            "format": FORMAT_VERSION,
            "vocab_size": self._vocab_size,
            "documents": [document.to_json() for document in self._documents],
        }
        return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()

    def _arrays(self) -> dict[str, npt.NDArray[Any]]:
        return {
            "offsets.npy": self._offsets,
            "unigrams.npy": self._unigrams,
            "tokens.npy": self._tokens,
            "sa.npy": self._sa,
        }

    def save(self, directory: Path) -> None:
        """Write the index's files into ``directory`` (created if missing)."""
        directory.mkdir(parents=True, exist_ok=True)
        (directory / DOCUMENTS_FILE).write_bytes(self._documents_json())
        for name, array in self._arrays().items():
            with (directory / name).open("wb") as out:
                np.save(out, array, allow_pickle=False)

    @classmethod
    def load(cls, directory: Path) -> SpanIndex:
        """Open a saved index; its arrays are memory-mapped, not read into memory."""
        missing = [name for name in INDEX_FILES if not (directory / name).is_file()]
        if missing:
            raise NotFound(
                f"no span index in {directory} (missing {', '.join(missing)})",
                reason="SPAN_INDEX_NOT_FOUND",
                domain=DOMAIN,
            )
        meta = json.loads((directory / DOCUMENTS_FILE).read_bytes())
        if meta.get("format") != FORMAT_VERSION:
            raise FailedPrecondition(
                f"span index {directory} has format {meta.get('format')}, "
                f"this code reads {FORMAT_VERSION}",
                reason="SPAN_INDEX_FORMAT",
                domain=DOMAIN,
            )
        arrays = {
            # A plain ndarray view of the mapping: memmap's subclass hooks slow scalar reads.
            name: np.load(directory / name, mmap_mode="r", allow_pickle=False).view(np.ndarray)
            for name in ARRAY_FILES
        }
        vocab_size = int(meta["vocab_size"])
        documents = [IndexedDocument.from_json(document) for document in meta["documents"]]
        tokens, sa = arrays["tokens.npy"], arrays["sa.npy"]
        if (
            tokens.dtype != _token_dtype(vocab_size)
            or sa.shape != tokens.shape
            or arrays["offsets.npy"].shape != (len(documents),)
            or arrays["unigrams.npy"].shape != (vocab_size,)
        ):
            raise FailedPrecondition(
                f"span index {directory} is inconsistent",
                reason="SPAN_INDEX_CORRUPT",
                domain=DOMAIN,
            )
        return cls(
            tokens=tokens,
            suffix_array=sa,
            offsets=arrays["offsets.npy"],
            unigrams=arrays["unigrams.npy"],
            documents=documents,
            vocab_size=vocab_size,
        )

    def digest(self) -> bytes:
        """SHA-256 over the saved files' bytes in :data:`INDEX_FILES` order (the same whether
        the index was built here or loaded)."""
        if self._digest is None:
            sha = hashlib.sha256(self._documents_json())
            writer = _HashWriter(sha)
            for array in self._arrays().values():
                np.save(writer, array, allow_pickle=False)
            self._digest = sha.digest()
        return self._digest

    # ---- shape -------------------------------------------------------------------------------

    @property
    def total_tokens(self) -> int:
        """Real tokens indexed (separators not counted)."""
        return self._total_tokens

    @property
    def documents(self) -> Sequence[IndexedDocument]:
        """The records, in the order given to :meth:`build`; occurrences index into it."""
        return self._documents

    @property
    def vocab_size(self) -> int:
        return self._vocab_size

    def document_tokens(self, document: int) -> npt.NDArray[np.unsignedinteger[Any]]:
        """The token ids of record ``document`` (an index into :attr:`documents`)."""
        if not 0 <= document < len(self._documents):
            raise InvalidArgument(
                "document", f"must be in [0, {len(self._documents)})", domain=DOMAIN
            )
        start = int(self._offsets[document])
        return self._tokens[start : start + self._documents[document].token_count]

    # ---- queries -----------------------------------------------------------------------------

    def unigram_count(self, token: int) -> int:
        """How often ``token`` occurs in the corpus (0 outside the vocabulary)."""
        return int(self._unigrams[token]) if 0 <= token < self._vocab_size else 0

    def count(self, tokens: Tokens) -> int:
        """Occurrences of the span ``tokens`` in the corpus."""
        lo, hi = self._interval(tokens)
        return hi - lo

    def occurrences(self, tokens: Tokens, limit: int) -> list[tuple[int, int]]:
        """Up to ``limit`` occurrences of ``tokens`` as (document index, token offset in that
        document): the first ones in corpus order, i.e. by document, then offset."""
        if limit < 0:
            raise InvalidArgument("limit", "must not be negative", domain=DOMAIN)
        lo, hi = self._interval(tokens)
        if limit == 0 or lo == hi:
            return []
        positions = np.asarray(self._sa[lo:hi], dtype=np.int64)
        if positions.size > limit:
            positions = np.partition(positions, limit - 1)[:limit]
        positions.sort()
        documents = np.searchsorted(self._offsets, positions, side="right") - 1
        within = positions - self._offsets[documents]
        return list(zip(documents.tolist(), within.tolist(), strict=True))

    def longest_prefix(self, tokens: Tokens, start: int) -> int:
        """The largest n such that ``tokens[start:start + n]`` occurs in the corpus."""
        if not 0 <= start <= len(tokens):
            raise InvalidArgument("start", f"must be in [0, {len(tokens)}]", domain=DOMAIN)
        if start == len(tokens):
            return 0
        first = int(tokens[start])
        if not 0 <= first < self._vocab_size or self._unigrams[first] == 0:
            return 0
        lo = int(self._starts[first])
        hi = lo + int(self._unigrams[first])
        depth = 1
        while start + depth < len(tokens):
            if hi - lo <= _FINISH:
                return depth + self._extend(lo, hi, depth, tokens, start + depth)
            token = int(tokens[start + depth])
            if not 0 <= token < self._vocab_size:
                return depth
            lo, hi = self._narrow(lo, hi, depth, token)
            if lo == hi:
                return depth
            depth += 1
        return depth

    def _interval(self, tokens: Tokens) -> tuple[int, int]:
        """The suffix-array interval of the suffixes that begin with ``tokens``."""
        if len(tokens) == 0:
            raise InvalidArgument("tokens", "must not be empty", domain=DOMAIN)
        first = int(tokens[0])
        if not 0 <= first < self._vocab_size:
            return 0, 0
        lo = int(self._starts[first])
        hi = lo + int(self._unigrams[first])
        for depth in range(1, len(tokens)):
            token = int(tokens[depth])
            if lo == hi or not 0 <= token < self._vocab_size:
                return 0, 0
            lo, hi = self._narrow(lo, hi, depth, token)
        return lo, hi

    def _narrow(self, lo: int, hi: int, depth: int, token: int) -> tuple[int, int]:
        """Within [lo, hi), whose suffixes share their first ``depth`` tokens (so the token at
        ``depth`` is sorted there), the sub-interval whose token at ``depth`` is ``token``."""
        tokens, sa = self._tokens, self._sa
        # Both bounds share their bisection steps until one lands inside the sub-interval.
        while hi - lo > _GATHER:
            mid = (lo + hi) // 2
            value = int(tokens[int(sa[mid]) + depth])
            if value < token:
                lo = mid + 1
            elif value > token:
                hi = mid
            else:
                return (
                    self._bound(lo, mid, depth, token, "left"),
                    self._bound(mid + 1, hi, depth, token, "right"),
                )
        keys = tokens[sa[lo:hi] + depth]
        return (
            lo + int(np.searchsorted(keys, token, side="left")),
            lo + int(np.searchsorted(keys, token, side="right")),
        )

    def _bound(
        self, lo: int, hi: int, depth: int, token: int, side: Literal["left", "right"]
    ) -> int:
        tokens, sa = self._tokens, self._sa
        right = side == "right"
        while hi - lo > _GATHER:
            mid = (lo + hi) // 2
            value = int(tokens[int(sa[mid]) + depth])
            if value < token or (right and value == token):
                lo = mid + 1
            else:
                hi = mid
        keys = tokens[sa[lo:hi] + depth]
        return lo + int(np.searchsorted(keys, token, side=side))

    def _extend(self, lo: int, hi: int, depth: int, tokens: Tokens, at: int) -> int:
        """How many of ``tokens[at:]`` the best of the suffixes in [lo, hi) continues with,
        given they all match up to ``depth``."""
        positions = np.asarray(self._sa[lo:hi], dtype=np.int64) + depth
        matched = 0
        while True:
            window = np.asarray(tokens[at + matched : at + matched + _WINDOW], dtype=np.int64)
            valid = (window >= 0) & (window < self._vocab_size)
            complete = bool(valid.all()) and window.size == _WINDOW
            if not valid.all():
                window = window[: int(np.argmin(valid))]
            if window.size == 0:
                return matched
            # Reads past the corpus end clamp onto the closing separator, which matches nothing.
            where = np.minimum(positions[:, None] + (matched + np.arange(window.size)), self._last)
            equal = self._tokens[where] == window
            runs = np.where(equal.all(axis=1), window.size, np.argmin(equal, axis=1))
            best = int(runs.max())
            matched += best
            if best < window.size or not complete:
                return matched
            positions = positions[runs == window.size]


def _suffix_array(
    corpus: npt.NDArray[np.unsignedinteger[Any]],
) -> npt.NDArray[np.signedinteger[Any]]:
    """The suffix array of ``corpus`` by libdivsufsort over its big-endian bytes: byte order
    is then token order, and the suffixes at whole-token offsets are the token suffixes."""
    shift = corpus.dtype.itemsize.bit_length() - 1
    raw: npt.NDArray[np.signedinteger[Any]] = np.asarray(
        divsufsort(corpus.astype(corpus.dtype.newbyteorder(">")).view(np.uint8))
    )
    sa: npt.NDArray[np.signedinteger[Any]] = raw[(raw & ((1 << shift) - 1)) == 0] >> shift
    return sa.astype(np.int32 if corpus.size <= np.iinfo(np.int32).max else np.int64, copy=False)

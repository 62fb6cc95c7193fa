"""The object-store protocol and what both backends share: hashing while writing, streaming
reads and verified reads.

Objects are immutable and named by the SHA-256 of their bytes, so writing the same content
twice is harmless and a reader that found an address always gets the same bytes. The store is
synchronous (file and object-store I/O); asyncio services call it through
``asyncio.to_thread``.
"""

from __future__ import annotations

import hashlib
import io
import os
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from typing import Protocol, runtime_checkable

from openledger_kit.store.digest import Digest, DigestLike
from openledger_kit.store.errors import CorruptObject, DigestMismatch

DEFAULT_CHUNK_SIZE = 1 << 20
"""Bytes per read or write step: the memory a streaming put or read holds at once."""

Chunk = bytes | bytearray | memoryview


@runtime_checkable
class Readable(Protocol):
    """Anything with ``read(n)`` returning bytes: an open file, a socket file, a response."""

    def read(self, size: int = -1, /) -> bytes: ...


Source = Iterable[Chunk] | Readable
"""What a streaming put consumes: an iterator of byte chunks or a readable binary file."""


class ObjectStore(Protocol):
    """A content-addressed object store. ``open_store(url)`` returns one."""

    def put_bytes(self, data: Chunk, *, expected: DigestLike | None = None) -> Digest:
        """Store ``data``; return its digest. ``expected`` makes a mismatch an error."""
        ...

    def put_stream(self, source: Source, *, expected: DigestLike | None = None) -> Digest:
        """Store what ``source`` yields, hashing while writing, holding one chunk at a time."""
        ...

    def put_file(
        self, path: str | os.PathLike[str], *, expected: DigestLike | None = None
    ) -> Digest:
        """Store a file's contents by streaming it."""
        ...

    def open(self, digest: DigestLike, *, verify: bool | None = None) -> io.BufferedIOBase:
        """A binary reader for the object (a context manager; close it)."""
        ...

    def iter_chunks(
        self,
        digest: DigestLike,
        *,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        verify: bool | None = None,
    ) -> Iterator[bytes]:
        """The object's bytes in chunks of at most ``chunk_size``."""
        ...

    def get_bytes(self, digest: DigestLike, *, verify: bool | None = None) -> bytes:
        """The whole object in memory (for small objects)."""
        ...

    def exists(self, digest: DigestLike) -> bool:
        """Whether an object is stored under ``digest``."""
        ...

    def size(self, digest: DigestLike) -> int:
        """The object's length in bytes."""
        ...

    def delete(self, digest: DigestLike) -> bool:
        """Remove the object (garbage collection); False when it was not there."""
        ...

    def iter_digests(self) -> Iterator[Digest]:
        """Every stored digest, in no particular order (for garbage collection)."""
        ...

    def location(self, digest: DigestLike) -> str:
        """Where the object lives (a path or URL), for operators and diagnostics."""
        ...


class Tally:
    """Running SHA-256 and length of the bytes written so far."""

    def __init__(self) -> None:
        self._hasher = hashlib.sha256()
        self.size = 0

    def feed(self, chunk: Chunk) -> None:
        self._hasher.update(chunk)
        self.size += len(chunk)

    def digest(self) -> Digest:
        return Digest(self._hasher.hexdigest())


def iter_source(source: Source, chunk_size: int) -> Iterator[Chunk]:
    """Chunks from an iterator or a readable file, never more than one chunk in memory."""
    if isinstance(source, bytes | bytearray | memoryview):
        # bytes are iterable too, but as ints: treat a whole buffer as one chunk.
        yield source
        return
    if isinstance(source, Readable):
        while data := source.read(chunk_size):
            yield data
        return
    for chunk in source:
        if chunk:
            yield chunk


def check_expected(expected: DigestLike | None, actual: Digest) -> None:
    """Raise ``DigestMismatch`` when the writer declared a different digest."""
    if expected is not None and Digest.parse(expected) != actual:
        raise DigestMismatch(Digest.parse(expected), actual)


class VerifyingReader(io.RawIOBase):
    """Passes reads through while hashing; at end of file, raises ``CorruptObject`` if the bytes
    read do not hash to the address. Not seekable: the hash covers one pass from the start."""

    def __init__(self, inner: io.RawIOBase, digest: Digest, location: str) -> None:
        super().__init__()
        self._inner = inner
        self._digest = digest
        self._location = location
        self._tally = Tally()
        self._checked = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        count = self._inner.readinto(buffer)
        if count is None:
            return 0
        if count:
            self._tally.feed(memoryview(buffer)[:count])
        elif len(buffer) and not self._checked:
            self._checked = True
            actual = self._tally.digest()
            if actual != self._digest:
                raise CorruptObject(self._digest, actual, self._location)
        return count

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            super().close()


class BaseStore(ABC):
    """What both backends share; a backend supplies writing, raw reading and bookkeeping."""

    def __init__(self, *, verify_reads: bool = False, chunk_size: int = DEFAULT_CHUNK_SIZE) -> None:
        if chunk_size <= 0:
            raise ValueError("chunk_size must be positive")
        self.verify_reads = verify_reads
        self.chunk_size = chunk_size

    # -- what a backend implements

    @abstractmethod
    def _write(self, chunks: Iterable[Chunk], expected: DigestLike | None) -> Digest:
        """Write the chunks under their digest, atomically; return the digest."""

    @abstractmethod
    def _open_raw(self, digest: Digest) -> io.RawIOBase:
        """An unbuffered reader of the stored bytes; raises ``ObjectNotFound``."""

    @abstractmethod
    def _touch(self, digest: Digest) -> bool:
        """True when the object exists; may also refresh its age so a GC grace period counts
        from the latest write of the same content."""

    @abstractmethod
    def exists(self, digest: DigestLike) -> bool: ...

    @abstractmethod
    def size(self, digest: DigestLike) -> int: ...

    @abstractmethod
    def delete(self, digest: DigestLike) -> bool: ...

    @abstractmethod
    def iter_digests(self) -> Iterator[Digest]: ...

    @abstractmethod
    def location(self, digest: DigestLike) -> str: ...

    # -- shared behaviour

    def put_bytes(self, data: Chunk, *, expected: DigestLike | None = None) -> Digest:
        """Store ``data``; when it is already stored nothing is written."""
        digest = Digest.of(data)
        check_expected(expected, digest)
        if self._touch(digest):
            return digest
        return self._write([data], None)

    def put_stream(self, source: Source, *, expected: DigestLike | None = None) -> Digest:
        """Store what ``source`` yields without holding more than one chunk in memory.

        The digest is only known at the end, so the bytes go to a temporary name first and
        are moved under their address once complete: a reader never sees a partial object.
        """
        return self._write(iter_source(source, self.chunk_size), expected)

    def put_file(
        self, path: str | os.PathLike[str], *, expected: DigestLike | None = None
    ) -> Digest:
        """Store a file's contents by streaming it."""
        with open(path, "rb") as file:
            return self.put_stream(file, expected=expected)

    def open(self, digest: DigestLike, *, verify: bool | None = None) -> io.BufferedIOBase:
        """A buffered binary reader. With verification (``verify=True``, or the store's
        ``verify_reads`` when ``verify`` is None) the read that reaches the end of the object
        raises ``CorruptObject`` if the bytes do not match: trust nothing read from it until
        then. Raises ``ObjectNotFound``."""
        address = Digest.parse(digest)
        raw = self._open_raw(address)
        if self._should_verify(verify):
            raw = VerifyingReader(raw, address, self.location(address))
        return io.BufferedReader(raw, buffer_size=self.chunk_size)

    def iter_chunks(
        self,
        digest: DigestLike,
        *,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        verify: bool | None = None,
    ) -> Iterator[bytes]:
        """The object in chunks. With verification, the step after the last chunk raises
        ``CorruptObject``; a consumer must not act on the data before the iterator ends."""
        with self.open(digest, verify=verify) as reader:
            while chunk := reader.read(chunk_size):
                yield chunk

    def get_bytes(self, digest: DigestLike, *, verify: bool | None = None) -> bytes:
        """The whole object; verified before it is returned when verification is on."""
        with self.open(digest, verify=verify) as reader:
            return reader.read()

    def _should_verify(self, verify: bool | None) -> bool:
        return self.verify_reads if verify is None else verify

"""The fsspec backend: any filesystem fsspec knows (``s3://``, ``gcs://``, ``memory://``,
``file://`` ...). Cloud protocols need their fsspec package installed (``s3fs``, ``gcsfs``);
credentials and endpoints come through ``storage_options`` (e.g. ``endpoint_url`` and ``key``
for an S3-compatible server) or the provider's usual environment variables.

Keys under the root URL::

    sha256/<first two hex digits>/<64 hex digits>   the objects
    tmp/<random>                                     uploads in progress

Object stores have no rename, so a write uploads to a temporary key and then moves it onto the
address with ``fs.mv`` (a server-side copy and a delete on S3 and GCS, a real rename on local
disks). The address therefore appears only once complete: S3 and GCS make a copied object
visible whole, never part-written. Temporary keys left by crashed writers are not swept here:
give ``tmp/`` a lifecycle rule (delete after a day) on the bucket.

Reads are ranged (``cat_file`` with start/end), a chunk at a time, so memory stays bounded and
concurrent readers never share a file position.
"""

from __future__ import annotations

import io
import posixpath
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from fsspec.core import split_protocol, url_to_fs  # type: ignore[import-untyped]

from openledger_kit.errors import InvalidArgument
from openledger_kit.store.base import DEFAULT_CHUNK_SIZE, BaseStore, Chunk, Tally, check_expected
from openledger_kit.store.digest import ALGORITHM, Digest, DigestLike
from openledger_kit.store.errors import ObjectNotFound


class FsspecStore(BaseStore):
    """Objects as keys under an fsspec URL. ``storage_options`` go to the filesystem."""

    def __init__(
        self,
        url: str,
        *,
        verify_reads: bool = False,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        **storage_options: Any,
    ) -> None:
        super().__init__(verify_reads=verify_reads, chunk_size=chunk_size)
        protocol, _ = split_protocol(url)
        if protocol in (None, "file", "local"):
            # Local disks need parent directories; object stores have none to make.
            storage_options.setdefault("auto_mkdir", True)
        self.url = url
        fs, root = url_to_fs(url, **storage_options)
        self.fs: Any = fs
        self.root: str = str(root).rstrip("/")

    def __repr__(self) -> str:
        return f"FsspecStore({self.url!r})"

    def key(self, digest: DigestLike) -> str:
        """The filesystem path (no protocol) of the object."""
        hexdigest = Digest.parse(digest).hexdigest
        return f"{self.root}/{ALGORITHM}/{hexdigest[:2]}/{hexdigest}"

    def location(self, digest: DigestLike) -> str:
        return str(self.fs.unstrip_protocol(self.key(digest)))

    def exists(self, digest: DigestLike) -> bool:
        return bool(self.fs.isfile(self.key(digest)))

    def size(self, digest: DigestLike) -> int:
        address = Digest.parse(digest)
        try:
            return int(self.fs.size(self.key(address)))
        except FileNotFoundError:
            raise ObjectNotFound(address) from None

    def delete(self, digest: DigestLike) -> bool:
        key = self.key(digest)
        # Some object stores delete a missing key silently: ask first to report it.
        if not self.fs.isfile(key):
            return False
        try:
            self.fs.rm_file(key)
        except FileNotFoundError:
            return False
        return True

    def iter_digests(self) -> Iterator[Digest]:
        for path in self.fs.find(f"{self.root}/{ALGORITHM}"):
            try:
                digest = Digest(posixpath.basename(str(path)))
            except InvalidArgument:
                continue  # not an object (a stray key)
            yield digest

    def _touch(self, digest: Digest) -> bool:
        # Object stores cannot refresh a key's age without rewriting it.
        return self.exists(digest)

    def _open_raw(self, digest: Digest) -> io.RawIOBase:
        key = self.key(digest)
        try:
            size = int(self.fs.size(key))
        except FileNotFoundError:
            raise ObjectNotFound(digest) from None
        return _RangeReader(self.fs, key, size, digest)

    def _write(self, chunks: Iterable[Chunk], expected: DigestLike | None) -> Digest:
        tmp = f"{self.root}/tmp/{uuid.uuid4().hex}"
        moved = False
        try:
            tally = Tally()
            with self.fs.open(tmp, "wb") as file:
                for chunk in chunks:
                    tally.feed(chunk)
                    file.write(chunk)
            digest = tally.digest()
            check_expected(expected, digest)
            if not self.fs.isfile(self.key(digest)):
                self.fs.mv(tmp, self.key(digest))
                moved = True
            return digest
        finally:
            if not moved:
                try:
                    self.fs.rm_file(tmp)
                except FileNotFoundError:
                    pass


class _RangeReader(io.RawIOBase):
    """Reads an object by byte ranges, one request per ``readinto``."""

    def __init__(self, fs: Any, key: str, size: int, digest: Digest) -> None:
        super().__init__()
        self._fs = fs
        self._key = key
        self._size = size
        self._digest = digest
        self._position = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        end = min(self._position + len(buffer), self._size)
        if end <= self._position:
            return 0
        try:
            data: bytes = self._fs.cat_file(self._key, start=self._position, end=end)
        except FileNotFoundError:
            raise ObjectNotFound(self._digest) from None
        count = len(data)
        memoryview(buffer)[:count] = data
        self._position += count
        return count

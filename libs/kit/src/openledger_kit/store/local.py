"""The local-directory backend (the default).

Layout under the root::

    sha256/<first two hex digits>/<64 hex digits>   the objects, read-only (0444)
    tmp/                                             writes in progress

A write goes to a fresh temporary file in ``tmp/``, is flushed and fsynced, then
``os.replace``-d onto its address, and the address's directory is fsynced. ``tmp/`` sits under
the root, so it is on the same filesystem and the replace is atomic: a reader sees either no
object or the whole object. (The address of a stream is only known once it has been read, so
the temporary file cannot already sit in the address's own directory.) Concurrent writers of the
same content each write their own temporary file and replace in turn; the bytes are identical, so
any winner is correct.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from openledger_kit.errors import InvalidArgument
from openledger_kit.store.base import DEFAULT_CHUNK_SIZE, BaseStore, Chunk, Tally, check_expected
from openledger_kit.store.digest import ALGORITHM, Digest, DigestLike
from openledger_kit.store.errors import ObjectNotFound

_OBJECT_MODE = 0o444


class LocalStore(BaseStore):
    """Objects as files under ``root`` (created if missing)."""

    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        verify_reads: bool = False,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        fsync: bool = True,
    ) -> None:
        super().__init__(verify_reads=verify_reads, chunk_size=chunk_size)
        self.root = Path(root)
        self.fsync = fsync
        self._objects = self.root / ALGORITHM
        self._tmp = self.root / "tmp"
        self._objects.mkdir(parents=True, exist_ok=True)
        self._tmp.mkdir(parents=True, exist_ok=True)

    def __repr__(self) -> str:
        return f"LocalStore({str(self.root)!r})"

    def path(self, digest: DigestLike) -> Path:
        """The file that holds (or would hold) the object."""
        hexdigest = Digest.parse(digest).hexdigest
        return self._objects / hexdigest[:2] / hexdigest

    def location(self, digest: DigestLike) -> str:
        return str(self.path(digest))

    def exists(self, digest: DigestLike) -> bool:
        return self.path(digest).is_file()

    def size(self, digest: DigestLike) -> int:
        address = Digest.parse(digest)
        try:
            return self.path(address).stat().st_size
        except FileNotFoundError:
            raise ObjectNotFound(address) from None

    def delete(self, digest: DigestLike) -> bool:
        try:
            self.path(digest).unlink()
        except FileNotFoundError:
            return False
        return True

    def iter_digests(self) -> Iterator[Digest]:
        for shard in sorted(self._objects.iterdir()):
            if not shard.is_dir():
                continue
            for entry in shard.iterdir():
                try:
                    digest = Digest(entry.name)
                except InvalidArgument:
                    continue  # not an object (a stray file)
                yield digest

    def remove_stale_temp(self, older_than_seconds: float = 3600.0) -> int:
        """Delete temporary files left by writers that crashed; return how many. Files younger
        than ``older_than_seconds`` may belong to writes still in progress and are kept."""
        cutoff = time.time() - older_than_seconds
        removed = 0
        for entry in self._tmp.iterdir():
            with contextlib.suppress(FileNotFoundError):
                if entry.stat().st_mtime < cutoff:
                    entry.unlink()
                    removed += 1
        return removed

    def _touch(self, digest: Digest) -> bool:
        try:
            # A GC that spares recent objects must count from this write, not the first one.
            os.utime(self.path(digest))
        except FileNotFoundError:
            return False
        except PermissionError:
            # Not the owner of the file (another user wrote it): it exists all the same.
            return True
        return True

    def _open_raw(self, digest: Digest) -> io.RawIOBase:
        try:
            return open(self.path(digest), "rb", buffering=0)
        except FileNotFoundError:
            raise ObjectNotFound(digest) from None

    def _write(self, chunks: Iterable[Chunk], expected: DigestLike | None) -> Digest:
        fd, tmp_name = tempfile.mkstemp(dir=self._tmp, prefix="put-")
        tmp = Path(tmp_name)
        try:
            tally = Tally()
            with os.fdopen(fd, "wb", buffering=0) as file:
                for chunk in chunks:
                    tally.feed(chunk)
                    view = memoryview(chunk)
                    while view:
                        written = file.write(view)
                        view = view[written or 0 :]
                if self.fsync:
                    os.fsync(file.fileno())
            digest = tally.digest()
            check_expected(expected, digest)
            if self._touch(digest):
                tmp.unlink()
                return digest
            target = self.path(digest)
            target.parent.mkdir(exist_ok=True)
            os.chmod(tmp, _OBJECT_MODE)
            os.replace(tmp, target)
            if self.fsync:
                _fsync_dir(target.parent)
            return digest
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise


def _fsync_dir(directory: Path) -> None:
    """Make a rename durable: the new directory entry survives a crash."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

"""``open_store(url)``: the backend for a configured ``object_store_url``."""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import unquote, urlsplit

from openledger_kit.store.base import DEFAULT_CHUNK_SIZE, ObjectStore
from openledger_kit.store.local import LocalStore
from openledger_kit.store.remote import FsspecStore


def open_store(
    url: str | os.PathLike[str],
    *,
    verify_reads: bool = False,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    **storage_options: Any,
) -> ObjectStore:
    """The store at ``url``.

    A plain path (``.run/objects``, ``/var/lib/ol``) or a ``file://`` URL gives a
    ``LocalStore`` (fsync'd atomic renames); any other scheme (``s3://bucket/prefix``,
    ``gcs://…``, ``memory://…``) gives an ``FsspecStore`` with ``storage_options`` passed to
    the filesystem. ``verify_reads`` re-hashes every read (see ``ObjectStore.open``).
    """
    text = os.fspath(url)
    scheme = urlsplit(text).scheme
    if len(scheme) <= 1:
        # No scheme, or a Windows drive letter: a local path.
        return LocalStore(text, verify_reads=verify_reads, chunk_size=chunk_size)
    if scheme == "file":
        # file:///abs/path and file://relative/path (netloc + path) both name a directory.
        path = unquote(text[len("file://") :])
        return LocalStore(path, verify_reads=verify_reads, chunk_size=chunk_size)
    return FsspecStore(text, verify_reads=verify_reads, chunk_size=chunk_size, **storage_options)

"""Content-addressed object store: records, snapshots, adapters, indexes and features.

Objects are addressed by the SHA-256 of their bytes (``Digest``, written ``sha256:<hex>``).
``open_store(url)`` picks the backend from the configured ``object_store_url``: a local
directory by default, any fsspec URL (``s3://``, ``gcs://``, ``memory://``) in a cluster. Both
backends write atomically (readers never see a partial object), stream in bounded memory, and
can re-hash on read (``verify_reads=True`` or ``verify=True`` per call). The API is synchronous;
from asyncio call it through ``asyncio.to_thread``.

Garbage collection: ``iter_digests`` lists what is stored and ``delete`` removes an object. A
concurrent ``put`` of the same content may find the object just before it is deleted and skip
its write, so a collector should only delete objects that have been unreferenced for a grace
period longer than any write takes (the local backend refreshes an object's mtime on every
``put`` of it, for that reason).
"""

from openledger_kit.store.base import DEFAULT_CHUNK_SIZE, ObjectStore, Readable, Source
from openledger_kit.store.digest import Digest, DigestLike
from openledger_kit.store.errors import CorruptObject, DigestMismatch, ObjectNotFound
from openledger_kit.store.factory import open_store
from openledger_kit.store.local import LocalStore
from openledger_kit.store.remote import FsspecStore

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "CorruptObject",
    "Digest",
    "DigestLike",
    "DigestMismatch",
    "FsspecStore",
    "LocalStore",
    "ObjectNotFound",
    "ObjectStore",
    "Readable",
    "Source",
    "open_store",
]

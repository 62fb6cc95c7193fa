"""A snapshot's files in the content-addressed object store: JSON Lines and Apache Parquet.

Both hold the records in snapshot order (record ``i`` is Merkle leaf ``i``), as snapshot.proto
defines them:

- JSONL (``application/jsonl``): line ``i`` is the canonical JSON (RFC 8785) of ``{"index",
  "record_id", "contributor", "content", "content_hash", "curated_content_hash", "signature",
  "leaf_hash"}`` with hashes and the signature as 0x-prefixed lowercase hex, ended by ``\\n``.
  Its SHA-256 is what ``DatanetRegistry.anchorSnapshot`` records.
- Parquet (``application/vnd.apache.parquet``): one row per record, columns ``index`` (int64),
  ``record_id``, ``contributor``, ``content`` (canonical JSON) as strings and
  ``content_hash``, ``curated_content_hash``, ``signature``, ``leaf_hash`` as binary.

Writing streams: the records are read once, in batches; JSONL goes straight into the store's
streaming put and each batch also becomes a Parquet row group in a temporary file, which is
then streamed into the store. Memory stays at one batch whatever the snapshot's size. Reading
streams too, so an export or a verifier never holds a whole snapshot.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from openledger_datanet.domain.merkle import MerkleTree
from openledger_datanet.domain.model import ObjectRef
from openledger_datanet.domain.snapshot import SnapshotRecord
from openledger_kit.errors import InvalidArgument
from openledger_kit.store import Digest, DigestLike, ObjectStore

JSONL_MEDIA_TYPE = "application/jsonl"
PARQUET_MEDIA_TYPE = "application/vnd.apache.parquet"
DEFAULT_BATCH = 1000
"""Records per JSONL chunk and per Parquet row group."""

PARQUET_SCHEMA = pa.schema(
    [
        pa.field("index", pa.int64(), nullable=False),
        pa.field("record_id", pa.string(), nullable=False),
        pa.field("contributor", pa.string(), nullable=False),
        pa.field("content", pa.string(), nullable=False),
        pa.field("content_hash", pa.binary(), nullable=False),
        pa.field("curated_content_hash", pa.binary(), nullable=False),
        pa.field("signature", pa.binary(), nullable=False),
        pa.field("leaf_hash", pa.binary(), nullable=False),
    ]
)


@dataclass(frozen=True)
class SnapshotFiles:
    """What ``write_snapshot_files`` stored."""

    jsonl: ObjectRef
    parquet: ObjectRef
    record_count: int


class SnapshotFileWriter:
    """``writer(datanet_id, sequence, records)`` writes a snapshot's two files into ``store``:
    the callable the application service is given to turn frozen records into files."""

    def __init__(self, store: ObjectStore, *, batch_size: int = DEFAULT_BATCH) -> None:
        self.store = store
        self.batch_size = batch_size

    def __call__(
        self, datanet_id: str, sequence: int, records: Iterable[SnapshotRecord]
    ) -> SnapshotFiles:
        return write_snapshot_files(self.store, records, batch_size=self.batch_size)


def write_snapshot_files(
    store: ObjectStore,
    records: Iterable[SnapshotRecord],
    *,
    batch_size: int = DEFAULT_BATCH,
    tmp_dir: str | os.PathLike[str] | None = None,
) -> SnapshotFiles:
    """Write the JSONL and Parquet files of ``records`` (which must come in snapshot order,
    indices 0, 1, ...) in one pass; return their object references.

    ``InvalidArgument`` when the records are out of order or there are none.
    """
    with tempfile.TemporaryDirectory(dir=tmp_dir, prefix="snapshot-") as scratch:
        parquet_path = Path(scratch) / "records.parquet"
        counter = _Counter()
        with pq.ParquetWriter(parquet_path, PARQUET_SCHEMA, compression="zstd") as parquet:

            def jsonl_chunks() -> Iterator[bytes]:
                for batch in _batches(records, batch_size):
                    counter.check(batch)
                    parquet.write_table(_table(batch))
                    yield b"".join(record.to_json_line() for record in batch)

            jsonl_digest = store.put_stream(jsonl_chunks())
        if counter.count == 0:
            raise InvalidArgument("records", "a snapshot needs at least one record")
        parquet_digest = store.put_file(parquet_path)
    return SnapshotFiles(
        jsonl=object_ref(store, jsonl_digest, JSONL_MEDIA_TYPE),
        parquet=object_ref(store, parquet_digest, PARQUET_MEDIA_TYPE),
        record_count=counter.count,
    )


def object_ref(store: ObjectStore, digest: DigestLike, media_type: str) -> ObjectRef:
    """The ``ObjectRef`` of a stored object: its fsspec URL, SHA-256, size and media type."""
    address = Digest.parse(digest)
    location = store.location(address)
    uri = Path(location).as_uri() if os.path.isabs(location) else location
    return ObjectRef(
        uri=uri,
        sha256=bytes.fromhex(address.hexdigest),
        size_bytes=store.size(address),
        media_type=media_type,
    )


def iter_jsonl_records(
    store: ObjectStore,
    digest: DigestLike,
    *,
    start_index: int = 0,
    verify: bool = True,
) -> Iterator[SnapshotRecord]:
    """The records of a snapshot's JSONL object in order, from ``start_index``, read line by
    line. With ``verify``, each record's index must follow the previous one, its curated hash
    must match its content and its leaf its fields (``InvalidArgument`` otherwise), and the
    object's bytes are re-hashed against its address (``CorruptObject`` at the end)."""
    expected = 0
    with store.open(digest, verify=verify) as reader:
        for line in reader:
            record = SnapshotRecord.from_json(json.loads(line))
            if verify:
                if record.index != expected:
                    raise InvalidArgument(
                        "jsonl", f"line {expected} holds record index {record.index}"
                    )
                record.verify()
            expected += 1
            if record.index >= start_index:
                yield record


def iter_parquet_records(
    store: ObjectStore, digest: DigestLike, *, batch_size: int = DEFAULT_BATCH
) -> Iterator[SnapshotRecord]:
    """The records of a snapshot's Parquet object in order, one row group batch at a time."""
    with store.open(digest) as reader:
        parquet = pq.ParquetFile(reader)
        for batch in parquet.iter_batches(batch_size=batch_size):
            for row in batch.to_pylist():
                yield _from_row(row)


def root_from_jsonl(store: ObjectStore, digest: DigestLike) -> tuple[bytes, int]:
    """The Merkle root recomputed from a JSONL object, and its record count: every leaf is
    recomputed from its record's fields (nothing in the file is trusted)."""
    leaves = [record.expected_leaf() for record in iter_jsonl_records(store, digest)]
    if not leaves:
        raise InvalidArgument("jsonl", "the snapshot file holds no records")
    return MerkleTree(leaves).root, len(leaves)


class _Counter:
    """Checks that batches continue the index sequence 0, 1, ... and counts the records."""

    def __init__(self) -> None:
        self.count = 0

    def check(self, batch: list[SnapshotRecord]) -> None:
        for record in batch:
            if record.index != self.count:
                raise InvalidArgument(
                    "records",
                    f"snapshot records must come in order: index {record.index} where "
                    f"{self.count} was due",
                )
            self.count += 1


def _batches(records: Iterable[SnapshotRecord], size: int) -> Iterator[list[SnapshotRecord]]:
    iterator = iter(records)
    while batch := list(islice(iterator, size)):
        yield batch


def _table(batch: list[SnapshotRecord]) -> Any:
    return pa.Table.from_pydict(
        {
            "index": [record.index for record in batch],
            "record_id": [record.record_id for record in batch],
            "contributor": [record.contributor for record in batch],
            "content": [record.canonical_content().decode() for record in batch],
            "content_hash": [record.content_hash for record in batch],
            "curated_content_hash": [record.curated_content_hash for record in batch],
            "signature": [record.signature for record in batch],
            "leaf_hash": [record.leaf_hash for record in batch],
        },
        schema=PARQUET_SCHEMA,
    )


def _from_row(row: dict[str, Any]) -> SnapshotRecord:
    return SnapshotRecord(
        index=int(row["index"]),
        record_id=str(row["record_id"]),
        contributor=str(row["contributor"]),
        content=json.loads(row["content"]),
        content_hash=bytes(row["content_hash"]),
        curated_content_hash=bytes(row["curated_content_hash"]),
        signature=bytes(row["signature"]),
        leaf_hash=bytes(row["leaf_hash"]),
    )

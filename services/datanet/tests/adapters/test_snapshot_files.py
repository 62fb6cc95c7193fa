"""Snapshot files in a real local object store: JSONL and Parquet read back equal to the
database's records, the root recomputed from the JSONL equals the stored root, tampering is
caught, and writing streams."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq  # type: ignore[import-untyped]
import pytest

from openledger_datanet.adapters.repository import Repository
from openledger_datanet.adapters.snapshot_files import (
    JSONL_MEDIA_TYPE,
    PARQUET_MEDIA_TYPE,
    SnapshotFileWriter,
    iter_jsonl_records,
    iter_parquet_records,
    root_from_jsonl,
    write_snapshot_files,
)
from openledger_datanet.domain.canonical import canonical_json, content_hash
from openledger_datanet.domain.snapshot import SnapshotRecord
from openledger_kit.errors import InvalidArgument
from openledger_kit.store import Digest, LocalStore
from openledger_kit.store.base import Source

from .repo_support import ALICE, BOB, CAROL, accept, make_datanet, record, reject

COUNT = 230  # several batches of BATCH records, and a last partial one
BATCH = 64


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("snapshot-files")


@pytest.fixture(scope="module")
def store(workdir: Path) -> LocalStore:
    return LocalStore(workdir / "objects", fsync=False)


@pytest.fixture(scope="module")
def frozen(workdir: Path, store: LocalStore) -> Iterator[tuple[Repository, int]]:
    """One datanet with a frozen snapshot and its files, shared by the tests (which only add
    snapshots of their own)."""
    repo = Repository.open(f"sqlite:///{workdir / 'datanet.db'}")
    make_datanet(repo)
    inputs = [
        record(f"record {i} \u00e9t\u00e9 \U0001f600", (ALICE, BOB, CAROL)[i % 3])
        for i in range(COUNT + 30)
    ]
    submitted = repo.add_contributions("medicine", inputs, request_id="r")
    for index, item in enumerate(submitted):
        outcome = reject() if index % 12 == 5 else accept(f"record {index} \u00e9t\u00e9 ")
        repo.record_outcome(item.contribution.id, outcome, event_id=str(index), datanet_revision=1)
    assert repo.get_datanet("medicine").accepted_count >= COUNT
    job = repo.create_snapshot_job("medicine")
    snapshot = repo.freeze_snapshot(
        "medicine", job.sequence, SnapshotFileWriter(store, batch_size=BATCH)
    )
    assert snapshot.jsonl is not None and snapshot.parquet is not None
    yield repo, job.sequence
    repo.close()


def test_files_read_back_equal_the_database_records(
    frozen: tuple[Repository, int], store: LocalStore
) -> None:
    repo, sequence = frozen
    snapshot = repo.get_snapshot("medicine", sequence)
    assert snapshot.jsonl is not None and snapshot.parquet is not None
    from_db = list(repo.snapshot_records("medicine", sequence))
    assert len(from_db) == snapshot.record_count
    jsonl_digest = Digest(snapshot.jsonl.sha256.hex())
    parquet_digest = Digest(snapshot.parquet.sha256.hex())
    assert list(iter_jsonl_records(store, jsonl_digest)) == from_db
    assert list(iter_parquet_records(store, parquet_digest, batch_size=50)) == from_db
    # Resuming an export from the file.
    resumed = list(iter_jsonl_records(store, jsonl_digest, start_index=100))
    assert resumed == from_db[100:]


def test_root_recomputed_from_the_jsonl_equals_the_stored_root(
    frozen: tuple[Repository, int], store: LocalStore
) -> None:
    repo, sequence = frozen
    snapshot = repo.get_snapshot("medicine", sequence)
    assert snapshot.jsonl is not None
    root, count = root_from_jsonl(store, Digest(snapshot.jsonl.sha256.hex()))
    assert (root, count) == (snapshot.merkle_root, snapshot.record_count)


def test_object_refs_describe_the_stored_bytes(
    frozen: tuple[Repository, int], store: LocalStore
) -> None:
    repo, sequence = frozen
    snapshot = repo.get_snapshot("medicine", sequence)
    jsonl, parquet = snapshot.jsonl, snapshot.parquet
    assert jsonl is not None and parquet is not None
    assert (jsonl.media_type, parquet.media_type) == (JSONL_MEDIA_TYPE, PARQUET_MEDIA_TYPE)
    for ref in (jsonl, parquet):
        path = Path(ref.uri.removeprefix("file://"))
        assert ref.uri.startswith("file:///") and path.is_file()
        data = path.read_bytes()
        assert hashlib.sha256(data).digest() == ref.sha256 and len(data) == ref.size_bytes
    # The JSONL file is the canonical lines of the records, nothing else.
    lines = Path(jsonl.uri.removeprefix("file://")).read_bytes().split(b"\n")
    assert lines[-1] == b"" and len(lines) == snapshot.record_count + 1
    first = json.loads(lines[0])
    assert canonical_json(first) == lines[0] and first["index"] == 0
    # The Parquet columns and types of snapshot.proto, one row group per batch.
    parquet_file = pq.ParquetFile(parquet.uri.removeprefix("file://"))
    assert parquet_file.schema_arrow.names == [
        "index",
        "record_id",
        "contributor",
        "content",
        "content_hash",
        "curated_content_hash",
        "signature",
        "leaf_hash",
    ]
    assert str(parquet_file.schema_arrow.field("index").type) == "int64"
    assert str(parquet_file.schema_arrow.field("leaf_hash").type) == "binary"
    assert parquet_file.metadata.num_rows == snapshot.record_count
    assert parquet_file.metadata.num_row_groups == -(-snapshot.record_count // BATCH)


def test_refreezing_keeps_the_files_and_a_lost_file_step_is_redone(
    frozen: tuple[Repository, int], store: LocalStore
) -> None:
    repo, sequence = frozen
    snapshot = repo.get_snapshot("medicine", sequence)
    calls: list[int] = []

    def counting_writer(datanet_id: str, seq: int, records: Iterator[SnapshotRecord]) -> object:
        calls.append(seq)
        return SnapshotFileWriter(store)(datanet_id, seq, records)

    assert repo.freeze_snapshot("medicine", sequence, counting_writer) == snapshot  # type: ignore[arg-type]
    assert calls == []
    # A job that froze but crashed before recording its files gets them on the next run,
    # with the same bytes (content addressing: the same object).
    second = repo.create_snapshot_job("medicine")
    repo.freeze_snapshot("medicine", second.sequence)
    redone = repo.freeze_snapshot("medicine", second.sequence, counting_writer)  # type: ignore[arg-type]
    assert calls == [second.sequence]
    assert redone.jsonl == snapshot.jsonl and redone.parquet is not None


def test_tampered_jsonl_is_detected(frozen: tuple[Repository, int], store: LocalStore) -> None:
    repo, sequence = frozen
    records = list(repo.snapshot_records("medicine", sequence, 0, 5))
    lines = [r.to_json_line() for r in records]

    def stored(lines_: list[bytes]) -> Digest:
        return store.put_bytes(b"".join(lines_))

    forged = json.loads(lines[2])
    forged["content"]["text"] = "forged"
    with pytest.raises(InvalidArgument, match="curated_content_hash"):
        list(iter_jsonl_records(store, stored([*lines[:2], canonical_json(forged) + b"\n"])))
    swapped = [lines[0], lines[2], lines[1]]
    with pytest.raises(InvalidArgument, match="index"):
        list(iter_jsonl_records(store, stored(swapped)))
    moved = json.loads(lines[1])
    moved["index"] = 0
    with pytest.raises(InvalidArgument, match="leaf_hash"):
        list(iter_jsonl_records(store, stored([canonical_json(moved) + b"\n"])))
    # A changed record changes the recomputed root.
    good_root, _ = root_from_jsonl(store, stored(lines))
    other = list(repo.snapshot_records("medicine", sequence, 0, 4))
    assert root_from_jsonl(store, stored([r.to_json_line() for r in other]))[0] != good_root


def test_writing_refuses_records_out_of_order_or_none(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "objects", fsync=False)
    with pytest.raises(InvalidArgument):
        write_snapshot_files(store, [])
    sample = SnapshotRecord.build(
        1, "r", ALICE, {"text": "x"}, b"\x01" * 32, b"\x02" * 32, b"\x03" * 65
    )
    with pytest.raises(InvalidArgument, match="order"):
        write_snapshot_files(store, [sample])


class _ObservingStore(LocalStore):
    """A local store that notes, for each chunk it is handed, how many records the producer
    had yielded by then."""

    def __init__(self, root: Path, produced: list[int]) -> None:
        super().__init__(root, fsync=False)
        self.produced = produced
        self.seen: list[int] = []

    def put_stream(self, source: Source, *, expected: object = None) -> Digest:
        def watched() -> Iterator[bytes]:
            for chunk in source:  # type: ignore[union-attr]
                self.seen.append(self.produced[0])
                yield bytes(chunk)

        return super().put_stream(watched())


def test_writing_streams_batch_by_batch(tmp_path: Path) -> None:
    produced = [0]
    store = _ObservingStore(tmp_path / "objects", produced)
    sample = [
        SnapshotRecord.build(
            i,
            f"r{i}",
            ALICE,
            {"text": f"x{i}"},
            b"\x01" * 32,
            content_hash({"text": f"x{i}"}),
            b"\x03" * 65,
        )
        for i in range(10)
    ]

    def generate() -> Iterator[SnapshotRecord]:
        for item in sample:
            produced[0] += 1
            yield item

    files = write_snapshot_files(store, generate(), batch_size=3)
    assert files.record_count == 10
    # Each JSONL chunk reached the store when only its batch had been produced (the Parquet
    # file is streamed in after the last one).
    assert store.seen[:4] == [3, 6, 9, 10]
    assert list(iter_jsonl_records(store, Digest(files.jsonl.sha256.hex()))) == sample

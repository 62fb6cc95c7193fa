"""The object store on its three real backends: a local directory, and fsspec's own
``memory://`` and ``file://`` filesystems."""

from __future__ import annotations

import hashlib
import io
import os
import threading
import tracemalloc
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from openledger_kit.errors import InvalidArgument
from openledger_kit.store import (
    CorruptObject,
    Digest,
    DigestMismatch,
    FsspecStore,
    LocalStore,
    ObjectNotFound,
    open_store,
)
from openledger_kit.store.base import BaseStore

MIB = 1 << 20


def _temp_entries(store: BaseStore) -> list[str]:
    """What is left in the store's temporary area."""
    if isinstance(store, LocalStore):
        return [entry.name for entry in (store.root / "tmp").iterdir()]
    assert isinstance(store, FsspecStore)
    return [str(path) for path in store.fs.find(f"{store.root}/tmp")]


def _corrupt(store: BaseStore, digest: Digest, data: bytes) -> None:
    """Overwrite the stored bytes behind the store's back, as disk rot would."""
    if isinstance(store, LocalStore):
        path = store.path(digest)
        path.chmod(0o644)
        path.write_bytes(data)
    else:
        assert isinstance(store, FsspecStore)
        store.fs.pipe_file(store.key(digest), data)


@pytest.fixture(params=["local", "fsspec-memory", "fsspec-file"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BaseStore]:
    kind = request.param
    if kind == "local":
        yield LocalStore(tmp_path / "objects")
    elif kind == "fsspec-memory":
        memory = FsspecStore(f"memory://ol-store-test-{uuid.uuid4().hex}")
        yield memory
        if memory.fs.exists(memory.root):
            memory.fs.rm(memory.root, recursive=True)
    else:
        yield FsspecStore(f"file://{tmp_path / 'objects'}")


def _pattern(count: int, chunk_size: int = MIB) -> Iterator[bytes]:
    """``count`` distinct deterministic chunks, made one at a time."""
    for index in range(count):
        block = hashlib.sha256(index.to_bytes(8, "big")).digest()
        yield block * (chunk_size // len(block))


def test_round_trip(store: BaseStore) -> None:
    data = b"hello, openledger"
    digest = store.put_bytes(data)

    assert digest == Digest.of(data)
    assert str(digest) == "sha256:" + hashlib.sha256(data).hexdigest()
    assert store.exists(digest) and store.exists(str(digest))
    assert store.size(digest) == len(data)
    assert store.get_bytes(str(digest), verify=True) == data
    with store.open(digest) as reader:
        assert reader.read(5) == b"hello"
        assert reader.read() == b", openledger"
    assert b"".join(store.iter_chunks(digest, chunk_size=4)) == data
    assert list(store.iter_digests()) == [digest]
    # Same content again: same address, still one object.
    assert store.put_bytes(data) == digest
    assert list(store.iter_digests()) == [digest]

    assert store.delete(digest) is True
    assert store.delete(digest) is False
    assert not store.exists(digest)
    assert _temp_entries(store) == []


def test_missing_object_raises_not_found(store: BaseStore) -> None:
    digest = Digest.of(b"never stored")
    with pytest.raises(ObjectNotFound) as raised:
        store.get_bytes(digest)
    assert raised.value.reason == "OBJECT_NOT_FOUND"
    assert raised.value.metadata == {"digest": str(digest)}
    with pytest.raises(ObjectNotFound):
        store.size(digest)
    with pytest.raises(ObjectNotFound):
        list(store.iter_chunks(digest))


def test_put_stream_from_iterator_file_object_and_path(store: BaseStore, tmp_path: Path) -> None:
    chunks: list[bytes | bytearray | memoryview] = [
        b"alpha-",
        bytearray(b"beta-"),
        memoryview(b"gamma"),
    ]
    whole = b"alpha-beta-gamma"

    from_iterator = store.put_stream(iter(chunks))
    from_file_object = store.put_stream(io.BytesIO(whole))
    source = tmp_path / "source.bin"
    source.write_bytes(whole)
    from_path = store.put_file(source, expected=Digest.of(whole))

    assert from_iterator == from_file_object == from_path == Digest.of(whole)
    assert store.get_bytes(from_iterator) == whole
    # An empty object is an object too.
    empty = store.put_stream(iter([]))
    assert store.get_bytes(empty, verify=True) == b""
    assert store.size(empty) == 0


def test_declared_digest_mismatch_stores_nothing(store: BaseStore) -> None:
    wrong = Digest.of(b"something else")
    with pytest.raises(DigestMismatch) as raised:
        store.put_stream(iter([b"actual ", b"content"]), expected=wrong)
    assert raised.value.field == "digest"
    assert raised.value.actual == Digest.of(b"actual content")
    with pytest.raises(DigestMismatch):
        store.put_bytes(b"actual content", expected=str(wrong))
    assert list(store.iter_digests()) == []
    assert _temp_entries(store) == []


def test_failing_source_leaves_no_object_and_no_temp_file(store: BaseStore) -> None:
    def broken() -> Iterator[bytes]:
        yield b"first part"
        raise ConnectionResetError("upload interrupted")

    with pytest.raises(ConnectionResetError):
        store.put_stream(broken())
    assert list(store.iter_digests()) == []
    assert _temp_entries(store) == []


def test_corrupted_object_detected_when_verifying(store: BaseStore) -> None:
    data = b"precious record " * 1000
    digest = store.put_bytes(data)
    rotten = b"X" + data[1:]
    _corrupt(store, digest, rotten)

    # Without verification the store hands back what is on disk: verification is the check.
    assert store.get_bytes(digest, verify=False) == rotten

    with pytest.raises(CorruptObject) as raised:
        store.get_bytes(digest, verify=True)
    assert raised.value.digest == digest
    assert raised.value.actual == Digest.of(rotten)
    assert raised.value.reason == "OBJECT_CORRUPT"

    with pytest.raises(CorruptObject):
        for _ in store.iter_chunks(digest, chunk_size=1024, verify=True):
            pass
    with pytest.raises(CorruptObject), store.open(digest, verify=True) as reader:
        reader.read()

    # A store opened with verify_reads checks every read by default.
    store.verify_reads = True
    with pytest.raises(CorruptObject):
        store.get_bytes(digest)
    # Intact objects pass the same check.
    intact = store.put_bytes(b"intact")
    assert store.get_bytes(intact) == b"intact"


def test_concurrent_writers_of_the_same_content(store: BaseStore) -> None:
    content = b"".join(_pattern(2, chunk_size=256 * 1024))
    digest = Digest.of(content)
    writers = 8
    start = threading.Barrier(writers + 1)
    done = threading.Event()
    seen_partial: list[int] = []

    def write() -> Digest:
        start.wait()
        # Small chunks so that writes interleave with each other and with the reader.
        return store.put_stream(content[i : i + 16384] for i in range(0, len(content), 16384))

    def read_while_writing() -> int:
        start.wait()
        reads = 0
        while not done.is_set():
            if store.exists(digest):
                got = store.get_bytes(digest, verify=True)
                if got != content:
                    seen_partial.append(len(got))
                reads += 1
        return reads

    with ThreadPoolExecutor(max_workers=writers + 1) as pool:
        reader = pool.submit(read_while_writing)
        results = [pool.submit(write) for _ in range(writers)]
        digests = {future.result() for future in results}
        done.set()
        reader.result()

    assert digests == {digest}
    assert seen_partial == []
    assert store.get_bytes(digest, verify=True) == content
    assert list(store.iter_digests()) == [digest]
    assert _temp_entries(store) == []


def test_concurrent_writers_of_different_content(store: BaseStore) -> None:
    payloads = [f"object {index}".encode() * 500 for index in range(24)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        digests = list(pool.map(store.put_bytes, payloads))
    assert sorted(store.iter_digests()) == sorted(digests)
    for payload, digest in zip(payloads, digests, strict=True):
        assert store.get_bytes(digest, verify=True) == payload


@pytest.mark.parametrize("backend", ["local", "fsspec-file"])
def test_streams_50_mb_in_bounded_memory(backend: str, tmp_path: Path) -> None:
    # (memory:// holds every object in RAM by design, so only disk-backed stores are measured.)
    store: BaseStore
    if backend == "local":
        store = LocalStore(tmp_path / "objects")
    else:
        store = FsspecStore(f"file://{tmp_path / 'objects'}")
    chunks = 50
    expected = hashlib.sha256()
    for chunk in _pattern(chunks):
        expected.update(chunk)

    tracemalloc.start()
    try:
        digest = store.put_stream(_pattern(chunks))
        _, write_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        read_hash = hashlib.sha256()
        read_bytes = 0
        for chunk in store.iter_chunks(digest, verify=True):
            read_hash.update(chunk)
            read_bytes += len(chunk)
        _, read_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert digest.hexdigest == expected.hexdigest()
    assert store.size(digest) == read_bytes == chunks * MIB
    assert read_hash.hexdigest() == expected.hexdigest()
    # A few chunks in flight at most, never the 50 MiB object.
    assert write_peak < 8 * MIB, write_peak
    assert read_peak < 8 * MIB, read_peak


def test_local_objects_are_read_only_and_stale_temp_files_are_swept(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "objects")
    digest = store.put_bytes(b"immutable")
    assert store.path(digest).stat().st_mode & 0o777 == 0o444
    assert store.path(digest).parent.name == digest.hexdigest[:2]

    leftover = tmp_path / "objects" / "tmp" / "put-crashed"
    leftover.write_bytes(b"half an upload")
    os.utime(leftover, (0, 0))
    fresh = tmp_path / "objects" / "tmp" / "put-in-progress"
    fresh.write_bytes(b"still being written")
    assert store.remove_stale_temp(older_than_seconds=3600) == 1
    assert not leftover.exists() and fresh.exists()


def test_open_store_picks_the_backend_from_the_url(tmp_path: Path) -> None:
    plain = open_store(tmp_path / "plain")
    file_url = open_store(f"file://{tmp_path / 'file-url'}", verify_reads=True)
    memory = open_store(f"memory://ol-open-store-{uuid.uuid4().hex}")

    assert isinstance(plain, LocalStore) and plain.root == tmp_path / "plain"
    assert isinstance(file_url, LocalStore) and file_url.root == tmp_path / "file-url"
    assert file_url.verify_reads is True
    assert isinstance(memory, FsspecStore)
    assert memory.location(Digest.of(b"")).startswith("memory://")
    digest = memory.put_bytes(b"via memory")
    assert memory.get_bytes(digest) == b"via memory"
    assert memory.delete(digest)


def test_digest_text_form_is_validated() -> None:
    digest = Digest.of(b"x")
    assert Digest.parse(str(digest)) == digest
    assert Digest.parse(digest) is digest
    for bad in ["md5:" + "0" * 32, "sha256:XYZ", digest.hexdigest, "sha256:" + "A" * 64]:
        with pytest.raises(InvalidArgument):
            Digest.parse(bad)

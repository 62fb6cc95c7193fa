"""Span indexes of (snapshot, base model) pairs: found in the DB, opened from the local cache,
fetched from the object store, or built from the snapshot's records.

A built index's files go into the object store one by one, with a JSON manifest naming each
file's digest; the DB records the manifest's digest and the index's SHA-256
(``SpanIndex.digest``), which evidence cites. Locally an index lives in
``<cache>/<sha256 hex>/``, memory-mapped. Document ``i`` of an index is record ``i`` of the
snapshot: gradient features and evidence refer to records by snapshot index.
"""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from transformers import PreTrainedTokenizerBase

from openledger_attribution.adapters.flights import SingleFlight
from openledger_attribution.adapters.models import BaseModelLibrary
from openledger_attribution.adapters.records import read_records, record_text
from openledger_attribution.domain.model import SnapshotInfo
from openledger_attribution.domain.ports import IndexRecord, LoadedIndex, Repository
from openledger_attribution.spans.index import INDEX_FILES, IndexedDocument, SpanIndex
from openledger_attribution.spans.text import DecodedTokenText
from openledger_kit.errors import FailedPrecondition
from openledger_kit.store import Digest, ObjectStore

INDEX_MISSING = "INDEX_MISSING"
INDEX_CORRUPT = "INDEX_CORRUPT"
MANIFEST_FORMAT = "openledger.attribution.span-index.v1"
_DOMAIN = "openledger.attribution"

log = logging.getLogger(__name__)

_Key = tuple[str, str]


class IndexLibrary:
    """``ports.SpanIndexes``."""

    def __init__(
        self,
        repository: Repository,
        store: ObjectStore,
        models: BaseModelLibrary,
        cache_dir: Path,
    ) -> None:
        self._repository = repository
        self._store = store
        self._models = models
        self._cache_dir = cache_dir
        self._loaded: dict[_Key, LoadedIndex] = {}
        self._flights: SingleFlight[_Key, LoadedIndex] = SingleFlight()
        self._background: set[asyncio.Future[LoadedIndex]] = set()

    async def get(self, snapshot: SnapshotInfo, base_model: str, *, build: bool) -> LoadedIndex:
        """The index of ``snapshot`` tokenized by ``base_model``. Without ``build`` a missing
        index raises ``FailedPrecondition(INDEX_MISSING)`` -- unless a build of it is under
        way, which is waited for."""
        key = (snapshot.name, base_model)
        loaded = self._loaded.get(key)
        if loaded is not None:
            return loaded
        if build or self._flights.running(key):
            loaded = await self._flights.run(key, lambda: self._obtain(snapshot, base_model, True))
        else:
            loaded = await self._obtain(snapshot, base_model, False)
        self._loaded[key] = loaded
        return loaded

    def schedule(self, snapshot: SnapshotInfo, base_model: str) -> None:
        """Build (or fetch) the index in the background; a request for it from now on waits
        for this run. A failure is logged: the next request that needs the index retries."""
        key = (snapshot.name, base_model)
        if key in self._loaded:
            return
        run = self._flights.start(key, lambda: self._obtain(snapshot, base_model, True))
        self._background.add(run)
        run.add_done_callback(lambda done: self._scheduled(key, done))

    async def close(self) -> None:
        """Cancel background builds (at shutdown)."""
        for run in list(self._background):
            run.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)

    def _scheduled(self, key: _Key, done: asyncio.Future[LoadedIndex]) -> None:
        self._background.discard(done)
        if done.cancelled():
            return
        failure = done.exception()
        if failure is None:
            self._loaded[key] = done.result()
        else:
            log.error("span index of %s for %s: build failed", *key, exc_info=failure)

    async def _obtain(self, snapshot: SnapshotInfo, base_model: str, build: bool) -> LoadedIndex:
        tokenizer = await self._models.tokenizer(base_model)
        found = await asyncio.to_thread(self._repository.get_index, snapshot.name, base_model)
        if found is not None:
            record, index = found, await asyncio.to_thread(self._open, found)
        elif build:
            record, index = await asyncio.to_thread(self._build, snapshot, base_model, tokenizer)
            await asyncio.to_thread(self._repository.record_index, record)
        else:
            raise FailedPrecondition(
                f"snapshot {snapshot.name} has no span index for base_model {base_model}",
                reason=INDEX_MISSING,
                domain=_DOMAIN,
            )
        return _loaded(record, index, tokenizer)

    # ---- on worker threads -------------------------------------------------------------------

    def _open(self, record: IndexRecord) -> SpanIndex:
        """The local copy, fetched from the store first when this machine has none."""
        directory = self._cache_dir / record.sha256.hex()
        if not directory.is_dir():
            self._fetch(record, directory)
        return SpanIndex.load(directory)

    def _fetch(self, record: IndexRecord, directory: Path) -> None:
        manifest = json.loads(self._store.get_bytes(Digest(record.manifest_digest), verify=True))
        files: dict[str, str] = manifest["files"]
        with self._scratch() as scratch:
            for name in INDEX_FILES:
                with (scratch / name).open("wb") as out:
                    for chunk in self._store.iter_chunks(Digest(files[name]), verify=True):
                        out.write(chunk)
            if SpanIndex.load(scratch).digest() != record.sha256:
                raise FailedPrecondition(
                    f"span index {record.manifest_digest} of {record.snapshot}: its files do"
                    " not hash to the recorded sha256",
                    reason=INDEX_CORRUPT,
                    domain=_DOMAIN,
                )
            _publish(scratch, directory)

    def _build(
        self, snapshot: SnapshotInfo, base_model: str, tokenizer: PreTrainedTokenizerBase
    ) -> tuple[IndexRecord, SpanIndex]:
        documents: list[tuple[IndexedDocument, list[int]]] = []
        for entry in read_records(self._store, snapshot):
            tokens = _encode(tokenizer, record_text(entry.content))
            document = IndexedDocument(
                record_id=entry.record_id,
                contributor=entry.contributor,
                token_count=len(tokens),
                content_hash=entry.content_hash,
            )
            documents.append((document, tokens))
        built = SpanIndex.build(documents, vocab_size=len(tokenizer))
        with self._scratch() as scratch:
            built.save(scratch)
            digests = {name: self._store.put_file(scratch / name).hexdigest for name in INDEX_FILES}
            manifest = {
                "format": MANIFEST_FORMAT,
                "snapshot": snapshot.name,
                "snapshot_merkle_root": "0x" + snapshot.merkle_root.hex(),
                "base_model": base_model,
                "sha256": built.digest().hex(),
                "files": digests,
            }
            manifest_digest = self._store.put_bytes(
                json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()
            )
            directory = self._cache_dir / built.digest().hex()
            _publish(scratch, directory)
        record = IndexRecord(
            snapshot=snapshot.name,
            base_model=base_model,
            sha256=built.digest(),
            manifest_digest=manifest_digest.hexdigest,
            document_count=len(documents),
            token_count=built.total_tokens,
            build_time=datetime.now(UTC),
        )
        # Served from the memory-mapped copy, like an index found later.
        return record, SpanIndex.load(directory)

    @contextmanager
    def _scratch(self) -> Iterator[Path]:
        """A scratch folder beside the cache entries, so publishing it is one rename."""
        self._cache_dir.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(dir=self._cache_dir, prefix=".partial-"))
        try:
            yield scratch
        finally:
            shutil.rmtree(scratch, ignore_errors=True)


def _publish(scratch: Path, directory: Path) -> None:
    """Move the finished files into place; another process that got there first wrote the
    same bytes (the folder is named by their hash)."""
    try:
        scratch.rename(directory)
    except OSError:
        if not directory.is_dir():
            raise


def _encode(tokenizer: PreTrainedTokenizerBase, text: str) -> list[int]:
    ids: list[int] = tokenizer(text, add_special_tokens=False)["input_ids"]
    return ids


def _loaded(
    record: IndexRecord, index: SpanIndex, tokenizer: PreTrainedTokenizerBase
) -> LoadedIndex:
    def decode(ids: Sequence[int]) -> str:
        return str(tokenizer.decode(list(ids)))

    return LoadedIndex(
        record=record,
        index=index,
        text=DecodedTokenText(tokenizer),
        decode=decode,
        encode=lambda text: _encode(tokenizer, text),
    )

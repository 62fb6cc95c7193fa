"""The application service: every ModelFactory use case the gRPC API offers, orchestrating the
catalogue, datanet snapshots, the repository, the object store and the event bus.

It takes and returns domain values; ``api.servicer`` translates protobuf. Requests are
validated with errors that name the field. The repository and the object store are synchronous
and run in worker threads. Training itself is the job runner's (``domain.runner``): this
service only queues jobs, reads them and asks for cancellation.

Events are published after the change is committed. A crash between the commit and the
publish loses only that bus message: the job and its update log are stored, the next update
supersedes the lost one, and ``WatchJob`` watchers catch up from the store when the feed is
silent.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import io
import json
import logging
import re
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any, TypeVar

from eth_utils.address import is_checksum_address, to_checksum_address

from openledger_kit.errors import InvalidArgument, NotFound, PermissionDenied
from openledger_kit.store import ObjectStore
from openledger_ml.catalogue import BaseModelInfo
from openledger_modelfactory.domain import errors
from openledger_modelfactory.domain.jobconfig import (
    DEFAULTS,
    SAMPLE_RECORDS,
    base_model_id,
    preview,
    resolve,
)
from openledger_modelfactory.domain.lineage import (
    ADAPTER_CONFIG,
    ADAPTER_MODEL,
    FEATURES,
    LINEAGE,
)
from openledger_modelfactory.domain.memory import estimate
from openledger_modelfactory.domain.model import (
    ADAPTER_ID,
    DOMAIN,
    SNAPSHOT_NAME,
    Adapter,
    Caller,
    JobConfig,
    JobPhase,
    JobState,
    JobUpdate,
    MemoryEstimate,
    ObjectRef,
    Page,
    Preset,
    TrainingJob,
    new_id,
    utcnow,
)
from openledger_modelfactory.domain.ports import Catalogue, Events, Snapshots, UpdateFeed
from openledger_modelfactory.domain.presets import PRESETS
from openledger_modelfactory.domain.runner import Change
from openledger_modelfactory.domain.schema import SCHEMA_ID, job_config_schema, schema_sha256

if TYPE_CHECKING:
    # The storage adapter's API, for type checking only: the domain does not import it.
    from openledger_modelfactory.adapters.repository import Repository

logger = logging.getLogger(__name__)

T = TypeVar("T")

CHUNK_BYTES = 1 << 20
"""Most bytes per ``ExportAdapter`` chunk."""
MAX_PAGE_SIZE = 500
MAX_DISPLAY_NAME = 200
JOB_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
ADAPTER_NAME = re.compile(r"^adapters/([^@/]+)(?:@([1-9][0-9]{0,9}))?$")
OUT_OF_RANGE = "OUT_OF_RANGE"


@dataclass(frozen=True)
class PresetEstimates:
    """A published preset with its memory estimate per base model."""

    preset: Preset
    memory_estimates: tuple[MemoryEstimate, ...]


@dataclass(frozen=True)
class JobConfigSchema:
    """What ``GetJobConfigSchema`` returns."""

    json_schema: str
    schema_id: str
    schema_sha256: bytes
    presets: tuple[PresetEstimates, ...]
    defaults: JobConfig


@dataclass(frozen=True)
class ExportChunk:
    """One chunk of one adapter file (``ExportAdapterResponse``)."""

    file_name: str
    file_size: int
    offset: int
    data: bytes
    last_chunk: bool
    file_sha256: bytes = b""  # on the last chunk of each file


class ModelFactory:
    """The ModelFactory use cases (see the module docstring)."""

    def __init__(
        self,
        repository: Repository,
        catalogue: Catalogue,
        snapshots: Snapshots,
        events: Events,
        feed: UpdateFeed,
        store: ObjectStore,
        *,
        max_active_jobs_per_owner: int = 4,
        worker_memory_bytes: int | None = None,
        presets: Mapping[str, Preset] = PRESETS,
        watch_interval_seconds: float = 0.5,
        watch_poll_seconds: float = 5.0,
    ) -> None:
        self.repo = repository
        self.catalogue = catalogue
        self.snapshots = snapshots
        self.events = events
        self.feed = feed
        self.store = store
        self.max_active_jobs_per_owner = max_active_jobs_per_owner
        self.worker_memory_bytes = worker_memory_bytes
        self.presets = presets
        self.watch_interval_seconds = watch_interval_seconds
        self.watch_poll_seconds = watch_poll_seconds

    async def _db(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await asyncio.to_thread(fn, *args, **kwargs)

    async def _publish(self, job: TrainingJob, update: JobUpdate | None) -> None:
        if update is None:
            return
        try:
            await self.events.job_updated(job, update)
        except Exception:  # the update is stored; the next one supersedes the lost message
            logger.exception("could not publish update %d of job %s", update.sequence, job.id)

    # ------------------------------------------------------------------ catalogue and schema

    async def list_base_models(
        self,
        *,
        available_only: bool = False,
        architecture: str = "",
        page_size: int = 0,
        page_token: str = "",
    ) -> Page[BaseModelInfo]:
        """The catalogue ordered by name, filtered (AND)."""
        size = _page_size(page_size, 100)
        models = sorted(
            (
                m
                for m in self.catalogue.list()
                if (m.available or not available_only)
                and (not architecture or m.architecture == architecture)
            ),
            key=lambda m: m.name,
        )
        query = _fingerprint("baseModels", available_only, architecture)
        if page_token:
            after = _decode_token(page_token, query)
            models_after = [m for m in models if m.name > after]
        else:
            models_after = models
        page = models_after[:size]
        token = _encode_token(query, page[-1].name) if len(models_after) > size else ""
        return Page(page, token, len(models))

    async def job_config_schema(self, base_model: str = "") -> JobConfigSchema:
        """The published schema, the presets with memory estimates on ``base_model``
        (``baseModels/{id}``) or on every available catalogue model, and the defaults."""
        if base_model:
            base = self.catalogue.get(base_model_id(base_model, "base_model"))
            if base is None:
                raise errors.base_model_not_found(base_model)
            bases = [base]
        else:
            bases = [m for m in self.catalogue.list() if m.available]
        text = job_config_schema()
        presets = tuple(
            PresetEstimates(preset, tuple(estimate(b, preview(preset, b)) for b in bases))
            for _, preset in sorted(self.presets.items())
        )
        return JobConfigSchema(text, SCHEMA_ID, schema_sha256(text), presets, DEFAULTS)

    # ------------------------------------------------------------------ jobs

    async def create_job(
        self,
        *,
        request_id: str,
        display_name: str,
        owner: str,
        config: JobConfig,
        caller: Caller,
        validate_only: bool = False,
    ) -> TrainingJob:
        """Queue a training job (or, with ``validate_only``, return the job that would be
        queued, with an empty id). Checks run in the order ``CreateTrainingJob`` documents;
        the first problem is raised."""
        owner = _owner(owner, caller)
        if not validate_only and not request_id:
            raise errors.invalid("request_id", "required (a client-chosen UUID)", "FIELD_REQUIRED")
        if request_id and not JOB_ID.match(request_id.lower()):
            raise errors.invalid("request_id", "must be a UUID in canonical hyphenated form")
        if len(display_name) > MAX_DISPLAY_NAME:
            raise errors.invalid(
                "training_job.display_name", f"at most {MAX_DISPLAY_NAME} characters"
            )
        request_hash = _request_hash(display_name, owner, config)
        if not validate_only:
            previous = await self._db(self.repo.job_by_request, request_id, request_hash)
            if previous is not None:
                return previous

        base = self._base_for(config.base_model)
        snapshot = (
            await self.snapshots.get(config.snapshot)
            if SNAPSHOT_NAME.match(config.snapshot)
            else None
        )
        samples: list[Mapping[str, Any]] = []
        if snapshot is not None and snapshot.state == "SUCCEEDED" and snapshot.record_count:
            end = min(snapshot.record_count, SAMPLE_RECORDS)
            async for record in self.snapshots.records(config.snapshot, 0, end):
                samples.append(record.content)
                if len(samples) >= SAMPLE_RECORDS:
                    break
        resolved = resolve(
            config, base=base, presets=self.presets, snapshot=snapshot, sample_records=samples
        )
        assert base is not None and snapshot is not None  # resolve refused them otherwise

        adapter_owner = await self._db(self.repo.adapter_owner, resolved.adapter_id)
        if adapter_owner is not None and adapter_owner != owner:
            raise errors.adapter_owned_by_other(resolved.adapter_id, adapter_owner)
        active = await self._db(self.repo.count_active_jobs, owner)
        if active >= self.max_active_jobs_per_owner:
            raise errors.too_many_active_jobs(owner, self.max_active_jobs_per_owner)
        memory = estimate(base, resolved)
        if self.worker_memory_bytes is not None and memory.total_bytes > self.worker_memory_bytes:
            raise errors.memory_too_large(base.name, memory.total_bytes, self.worker_memory_bytes)

        now = utcnow()
        job = TrainingJob(
            id="" if validate_only else new_id(),
            display_name=display_name,
            owner=owner,
            config=resolved,
            snapshot_merkle_root=snapshot.merkle_root,
            snapshot_record_count=snapshot.record_count,
            state=JobState.QUEUED,
            phase=JobPhase.PENDING,
            create_time=now,
            update_time=now,
            memory_estimate=memory,
            base_model_revision=base.revision,
            request_id=request_id,
            request_hash=request_hash,
            max_attempts=resolved.max_failures + 1,
        )
        if validate_only:
            return job
        stored, update = await self._db(
            self.repo.create_job,
            job,
            max_active_per_owner=self.max_active_jobs_per_owner,
            message="queued",
        )
        await self._publish(stored, update)
        return stored

    def _base_for(self, name: str) -> BaseModelInfo | None:
        # A malformed name is resolve's to refuse, naming the field; look up only good ones.
        prefix = "baseModels/"
        return self.catalogue.get(name[len(prefix) :]) if name.startswith(prefix) else None

    async def get_job(self, name: str) -> TrainingJob:
        """By ``jobs/{id}`` (or the bare id)."""
        return await self._db(self.repo.get_job, _job_id(name))

    async def list_jobs(
        self,
        *,
        states: Sequence[JobState] = (),
        snapshot: str = "",
        base_model: str = "",
        owner: str = "",
        adapter_id: str = "",
        page_size: int = 0,
        page_token: str = "",
    ) -> Page[TrainingJob]:
        """Jobs newest first, filtered (AND; empty = any)."""
        return await self._db(
            self.repo.list_jobs,
            states=states,
            snapshot=_snapshot_filter(snapshot),
            base_model=base_model_id(base_model, "base_model") if base_model else "",
            owner=parse_address(owner, "owner") if owner else "",
            adapter_id=_adapter_id_filter(adapter_id),
            page_size=_page_size(page_size, 50),
            page_token=page_token,
        )

    async def cancel_job(self, name: str, caller: Caller) -> TrainingJob:
        """Cancel a job: a QUEUED one at once, a RUNNING one (still training) through
        CANCELLING (the runner stops its run). CANCELLING and CANCELLED jobs come back
        unchanged; past training (REGISTERING, SUCCEEDED, FAILED) it is too late."""
        job_id = _job_id(name)

        def mutate(job: TrainingJob) -> Change | None:
            if not (caller.admin or caller.is_(job.owner)):
                raise errors.not_owner(job.name, caller.address)
            if job.state in (JobState.CANCELLING, JobState.CANCELLED):
                return None
            if job.state is JobState.QUEUED:
                cancelled = replace(
                    job, state=JobState.CANCELLED, phase=JobPhase.DONE, end_time=utcnow()
                )
                return Change(cancelled, "cancelled before it started")
            if job.state is JobState.RUNNING and job.phase in (JobPhase.PENDING, JobPhase.TRAINING):
                return Change(replace(job, state=JobState.CANCELLING), "cancelling")
            if job.state is JobState.RUNNING:
                raise errors.not_cancellable(job.id, "it is registering its adapter")
            raise errors.not_cancellable(job.id, f"it already {job.state.value}")

        job, update = await self._db(self.repo.update_job, job_id, mutate)
        await self._publish(job, update)
        return job

    async def watch_job(self, name: str) -> AsyncIterator[JobUpdate]:
        """The job's current state, then its updates as they are recorded, at most one per
        ``watch_interval_seconds`` (keeping the latest; a skipped sequence number shows the
        coalescing), ending after the terminal update. Updates the bus lost are caught up
        from the store after ``watch_poll_seconds`` without news."""
        job_id = _job_id(name)
        # Follow before reading the state, so nothing recorded after the read is missed.
        feed = self.feed.follow(job_id)
        try:
            current = await self._db(self.repo.last_update, job_id)
            yield current
            if current.state.terminal:
                return
            async for update in self._coalesced(job_id, feed, current.sequence):
                yield update
        finally:
            closer = getattr(feed, "aclose", None)
            if closer is not None:
                await closer()

    async def _coalesced(
        self, job_id: str, feed: AsyncIterator[JobUpdate], sent: int
    ) -> AsyncIterator[JobUpdate]:
        loop = asyncio.get_running_loop()
        latest: JobUpdate | None = None
        arrived = asyncio.Event()

        def offer(update: JobUpdate) -> None:
            nonlocal latest
            if update.sequence > sent and (latest is None or update.sequence > latest.sequence):
                latest = update
                arrived.set()

        async def pump() -> None:
            async for update in feed:
                if update.job_id == job_id:
                    offer(update)

        pumping = asyncio.create_task(pump())
        last_sent = loop.time()
        try:
            while True:
                try:
                    await asyncio.wait_for(arrived.wait(), self.watch_poll_seconds)
                except TimeoutError:
                    offer(await self._db(self.repo.last_update, job_id))
                if pumping.done() and not pumping.cancelled() and pumping.exception():
                    raise pumping.exception()  # type: ignore[misc]
                if not arrived.is_set():
                    continue
                delay = last_sent + self.watch_interval_seconds - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                arrived.clear()
                update, latest = latest, None
                if update is None:
                    continue
                yield update
                sent, last_sent = update.sequence, loop.time()
                if update.state.terminal:
                    return
        finally:
            pumping.cancel()
            await asyncio.gather(pumping, return_exceptions=True)

    # ------------------------------------------------------------------ adapters

    async def get_adapter(self, name: str) -> Adapter:
        """By ``adapters/{id}@{version}``, or ``adapters/{id}`` for the latest version."""
        adapter_id, version = parse_adapter_name(name)
        return await self._db(self.repo.get_adapter, adapter_id, version)

    async def list_adapters(
        self,
        *,
        adapter_id: str = "",
        base_model: str = "",
        owner: str = "",
        snapshot: str = "",
        latest_only: bool = False,
        page_size: int = 0,
        page_token: str = "",
    ) -> Page[Adapter]:
        """Adapter versions newest first, filtered (AND; empty = any)."""
        return await self._db(
            self.repo.list_adapters,
            adapter_id=_adapter_id_filter(adapter_id),
            base_model=base_model_id(base_model, "base_model") if base_model else "",
            owner=parse_address(owner, "owner") if owner else "",
            snapshot=_snapshot_filter(snapshot),
            latest_only=latest_only,
            page_size=_page_size(page_size, 50),
            page_token=page_token,
        )

    async def export_adapter(
        self,
        name: str,
        *,
        include_features: bool = False,
        start_file: str = "",
        start_offset: int = 0,
        caller: Caller,
    ) -> AsyncIterator[ExportChunk]:
        """The adapter's files in ``lineage.EXPORT_ORDER``, in chunks of at most 1 MiB,
        from ``start_file`` at ``start_offset`` (to resume a broken export)."""
        adapter = await self.get_adapter(name)
        if include_features and not (caller.privileged or caller.is_(adapter.owner)):
            raise PermissionDenied(
                f"only the owner of {adapter.name}, services and admins may export its "
                "attribution features",
                reason=errors.FEATURES_NOT_PERMITTED,
                domain=DOMAIN,
                metadata={"adapter": adapter.name},
            )
        files = _export_files(adapter, include_features)
        names = [file_name for file_name, _ in files]
        if start_offset < 0:
            raise errors.invalid("start_offset", "must not be negative")
        if not start_file and start_offset:
            raise errors.invalid("start_offset", "must be 0 when start_file is empty")
        first = 0
        if start_file:
            if start_file not in names:
                raise NotFound(
                    f"start_file {start_file!r} is not one of the files to send: "
                    + ", ".join(names),
                    reason=errors.FILE_NOT_FOUND,
                    domain=DOMAIN,
                    metadata={"start_file": start_file},
                )
            first = names.index(start_file)
            if start_offset > files[first][1].size_bytes:
                raise InvalidArgument(
                    "start_offset",
                    f"{start_offset} is beyond the {files[first][1].size_bytes} bytes of "
                    f"{start_file}",
                    reason=OUT_OF_RANGE,
                    domain=DOMAIN,
                )
        for index, (file_name, ref) in enumerate(files[first:]):
            async for chunk in self._file_chunks(file_name, ref, start_offset if index == 0 else 0):
                yield chunk

    async def _file_chunks(
        self, file_name: str, ref: ObjectRef, offset: int
    ) -> AsyncIterator[ExportChunk]:
        size = ref.size_bytes
        reader = await asyncio.to_thread(self.store.open, "sha256:" + ref.sha256.hex())
        try:
            if offset:
                await asyncio.to_thread(_skip, reader, offset)
            position = offset
            while True:
                data = b""
                if position < size:
                    data = await asyncio.to_thread(reader.read, min(CHUNK_BYTES, size - position))
                    if not data:
                        raise errors.invalid(
                            file_name, "the stored object is shorter than recorded"
                        )
                last = position + len(data) >= size
                yield ExportChunk(
                    file_name, size, position, data, last, ref.sha256 if last else b""
                )
                position += len(data)
                if last:
                    return
        finally:
            await asyncio.to_thread(reader.close)


# ---------------------------------------------------------------------- helpers


def parse_address(value: str, field_path: str) -> str:
    """``value`` as a checksummed address; all-lowercase (or uppercase) hex is accepted,
    mixed case must carry a valid EIP-55 checksum."""
    text = value.strip()
    body = text[2:]
    if not (text.startswith("0x") and len(text) == 42 and _is_hex(body)):
        raise errors.invalid(field_path, f"not an Ethereum address: {value!r}", "ADDRESS_INVALID")
    if body != body.lower() and body != body.upper() and not is_checksum_address(text):
        raise errors.invalid(field_path, f"{value!r} fails its EIP-55 checksum", "ADDRESS_INVALID")
    return str(to_checksum_address(text))


def parse_adapter_name(name: str, field_path: str = "name") -> tuple[str, int | None]:
    """(adapter id, version or None for the latest) out of ``adapters/{id}[@{version}]``."""
    match = ADAPTER_NAME.match(name)
    if match is None or not ADAPTER_ID.match(match.group(1)):
        raise errors.invalid(
            field_path, f"{name!r} is not 'adapters/{{adapter_id}}' or 'adapters/{{id}}@{{n}}'"
        )
    return match.group(1), int(match.group(2)) if match.group(2) else None


def _is_hex(text: str) -> bool:
    try:
        bytes.fromhex(text)
    except ValueError:
        return False
    return True


def _owner(requested: str, caller: Caller) -> str:
    if caller.privileged:
        if requested:
            return parse_address(requested, "training_job.owner")
        if caller.address is None:
            raise errors.invalid(
                "training_job.owner", "required when a service or admin creates a job"
            )
        return parse_address(caller.address, "training_job.owner")
    if caller.address is None:
        raise PermissionDenied(
            "creating a training job needs a user signature",
            reason="SIGNATURE_REQUIRED",
            domain=DOMAIN,
        )
    if requested and not caller.is_(requested):
        raise errors.not_owner(f"a job for {requested}", caller.address)
    return parse_address(caller.address, "training_job.owner")


def _request_hash(display_name: str, owner: str, config: JobConfig) -> bytes:
    document = {"display_name": display_name, "owner": owner, "config": asdict(config)}
    return hashlib.sha256(json.dumps(document, sort_keys=True, default=str).encode()).digest()


def _job_id(name: str) -> str:
    job_id = name.removeprefix("jobs/")
    if not JOB_ID.match(job_id):
        raise errors.invalid("name", f"{name!r} is not 'jobs/{{job}}' with a job id")
    return job_id


def _snapshot_filter(snapshot: str) -> str:
    if snapshot and not SNAPSHOT_NAME.match(snapshot):
        raise errors.invalid("snapshot", f"{snapshot!r} is not 'datanets/{{d}}/snapshots/v{{n}}'")
    return snapshot


def _adapter_id_filter(adapter_id: str) -> str:
    if adapter_id and not ADAPTER_ID.match(adapter_id):
        raise errors.invalid("adapter_id", f"{adapter_id!r} is not an adapter id")
    return adapter_id


def _page_size(page_size: int, default: int) -> int:
    if page_size < 0:
        raise errors.invalid("page_size", "must not be negative")
    return min(page_size or default, MAX_PAGE_SIZE)


def _fingerprint(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:12]


def _encode_token(query: str, key: str) -> str:
    raw = json.dumps({"q": query, "k": key}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_token(token: str, query: str) -> str:
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError):
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("k"), str) or data.get("q") != query:
        raise errors.invalid("page_token", "not a page token of this list", "PAGE_TOKEN_INVALID")
    return str(data["k"])


def _export_files(adapter: Adapter, include_features: bool) -> list[tuple[str, ObjectRef]]:
    files: Iterable[tuple[str, ObjectRef | None]] = (
        (ADAPTER_CONFIG, adapter.adapter_config),
        (ADAPTER_MODEL, adapter.adapter_model),
        (LINEAGE, adapter.lineage_manifest),
        (FEATURES, adapter.attribution_features if include_features else None),
    )
    return [(file_name, ref) for file_name, ref in files if ref is not None]


def _skip(reader: io.BufferedIOBase, offset: int) -> None:
    if reader.seekable():
        reader.seek(offset)
        return
    left = offset
    while left > 0:
        data = reader.read(min(CHUNK_BYTES, left))
        if not data:
            return
        left -= len(data)

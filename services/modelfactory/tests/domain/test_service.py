"""The application service on real SQLite, Redis (bus and update feed) and a local object
store: job creation (idempotency, validation, owner rules, limits, memory), cancellation in
every state, WatchJob's coalescing and ending, adapters and their export.

Snapshots come from a small in-process ``Snapshots`` holding real record contents: the
datanet adapter is tested against a real datanet server by its own tests, and end to end by
the API tests."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from openledger_kit import bus
from openledger_kit.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    ResourceExhausted,
)
from openledger_kit.store import LocalStore
from openledger_kit.testing.processes import RedisProcess
from openledger_ml.catalogue import ModelCatalogue
from openledger_modelfactory.adapters.bus import EventPublisher, JobUpdateFeed
from openledger_modelfactory.adapters.repository import Repository
from openledger_modelfactory.domain.model import (
    Adapter,
    AdapterMetrics,
    Caller,
    ChainTx,
    JobConfig,
    JobPhase,
    JobState,
    JobUpdate,
    ObjectRef,
    SnapshotLineage,
    TaskTemplate,
    TrainingJob,
    TxStatus,
    utcnow,
)
from openledger_modelfactory.domain.ports import SnapshotInfo, SnapshotRecordData
from openledger_modelfactory.domain.runner import Change
from openledger_modelfactory.domain.service import ModelFactory

from .job_support import ALICE, BOB, ROOT, SNAPSHOT, resolved_config, tiny_base

ALICE_CALLER = Caller(address=ALICE)
BOB_CALLER = Caller(address=BOB)
ADMIN = Caller(admin=True)
SERVICE = Caller(service=True)


class SnapshotData:
    """Snapshots (``ports.Snapshots``) over record contents held in memory."""

    def __init__(self) -> None:
        self.snapshots: dict[str, tuple[SnapshotInfo, list[Mapping[str, Any]]]] = {}

    def add(self, name: str, records: list[Mapping[str, Any]], state: str = "SUCCEEDED") -> None:
        schema = {"properties": {"question": {"type": "string"}, "answer": {"type": "string"}}}
        info = SnapshotInfo(name, state, ROOT, len(records), schema)
        self.snapshots[name] = (info, records)

    async def get(self, name: str) -> SnapshotInfo | None:
        found = self.snapshots.get(name)
        return found[0] if found else None

    async def records(
        self, name: str, start: int = 0, end: int = 0
    ) -> AsyncIterator[SnapshotRecordData]:
        _, records = self.snapshots[name]
        for index, content in enumerate(records[start : end or None], start):
            yield SnapshotRecordData(index, f"r{index}", ALICE, content)


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Repository]:
    repository = Repository.open(f"sqlite:///{tmp_path / 'modelfactory.db'}")
    yield repository
    repository.close()


@pytest.fixture
async def redis(redis_server: RedisProcess) -> AsyncIterator[Redis]:
    client = bus.connect(redis_server.url)
    yield client
    await client.aclose()


@pytest.fixture
def snapshots() -> SnapshotData:
    data = SnapshotData()
    data.add(SNAPSHOT, [{"question": f"q{i}?", "answer": f"a{i}."} for i in range(10)])
    data.add("datanets/medicine/snapshots/v2", [], state="RUNNING")
    data.add("datanets/medicine/snapshots/v3", [])
    return data


def make_service(
    repo: Repository, redis: Redis, snapshots: SnapshotData, tmp_path: Path, **options: Any
) -> ModelFactory:
    return ModelFactory(
        repo,
        ModelCatalogue([tiny_base(tmp_path), replace(tiny_base(), id="gone", available=False)]),
        snapshots,
        EventPublisher(redis, source="modelfactory"),
        JobUpdateFeed(redis, recorded=None, block_ms=100),
        LocalStore(tmp_path / "objects"),
        **options,
    )


@pytest.fixture
def service(
    repo: Repository, redis: Redis, snapshots: SnapshotData, tmp_path: Path
) -> ModelFactory:
    return make_service(repo, redis, snapshots, tmp_path, max_active_jobs_per_owner=3)


def config(**changes: Any) -> JobConfig:
    base = JobConfig(
        base_model="baseModels/tiny-llama",
        snapshot=SNAPSHOT,
        adapter_id="medical-qa",
        task_template=TaskTemplate.INSTRUCTION,
        field_mapping={"instruction": "/question", "output": "/answer"},
        preset="cpu-tiny",
    )
    return replace(base, **changes)


async def create(
    service: ModelFactory, caller: Caller = ALICE_CALLER, owner: str = "", **changes: Any
) -> Any:
    return await service.create_job(
        request_id=str(uuid.uuid4()),
        display_name="medical qa",
        owner=owner,
        config=config(**changes),
        caller=caller,
    )


# ---------------------------------------------------------------------- create


async def test_create_resolves_pins_and_is_idempotent(service: ModelFactory) -> None:
    request_id = str(uuid.uuid4())
    job = await service.create_job(
        request_id=request_id, display_name="qa", owner="", config=config(), caller=ALICE_CALLER
    )
    assert job.state is JobState.QUEUED and job.owner == ALICE and job.sequence == 1
    assert job.config.base_model == "tiny-llama" and job.config.lora.rank == 4
    assert job.snapshot_merkle_root == ROOT and job.snapshot_record_count == 10
    assert job.max_attempts == job.config.max_failures + 1
    assert job.memory_estimate.total_bytes > 0
    again = await service.create_job(
        request_id=request_id, display_name="qa", owner="", config=config(), caller=ALICE_CALLER
    )
    assert again == job
    with pytest.raises(AlreadyExists):
        await service.create_job(
            request_id=request_id,
            display_name="other",
            owner="",
            config=config(),
            caller=ALICE_CALLER,
        )
    assert (await service.get_job(job.name)) == job
    assert (await service.get_job(job.id)) == job
    preview = await service.create_job(
        request_id="",
        display_name="qa",
        owner="",
        config=config(),
        caller=ALICE_CALLER,
        validate_only=True,
    )
    assert preview.id == "" and preview.config == job.config
    assert (await service.list_jobs(owner=ALICE.lower())).total_size == 1


async def test_validation_errors_name_the_field(service: ModelFactory) -> None:
    with pytest.raises(InvalidArgument) as rank:
        await create(service, lora=replace(config().lora, rank=1000))
    assert rank.value.field == "training_job.config.lora.rank"
    with pytest.raises(InvalidArgument) as mapping:
        await create(service, field_mapping={"instruction": "/nope", "output": "/answer"})
    assert mapping.value.field == 'training_job.config.field_mapping["instruction"]'
    with pytest.raises(InvalidArgument) as empty:
        await create(service, snapshot="datanets/medicine/snapshots/v3")
    assert empty.value.reason == "EMPTY_SNAPSHOT"
    with pytest.raises(FailedPrecondition):
        await create(service, snapshot="datanets/medicine/snapshots/v2")
    with pytest.raises(NotFound):
        await create(service, snapshot="datanets/medicine/snapshots/v9")
    with pytest.raises(NotFound):
        await create(service, base_model="baseModels/unknown")
    with pytest.raises(FailedPrecondition):
        await create(service, base_model="baseModels/gone")
    with pytest.raises(InvalidArgument) as bad_name:
        await create(service, base_model="tiny-llama")
    assert bad_name.value.field == "training_job.config.base_model"
    with pytest.raises(InvalidArgument) as request_id:
        await service.create_job(
            request_id="", display_name="", owner="", config=config(), caller=ALICE_CALLER
        )
    assert request_id.value.field == "request_id"


async def test_owner_rules_and_limits(service: ModelFactory) -> None:
    with pytest.raises(PermissionDenied):
        await create(service, caller=ALICE_CALLER, owner=BOB)
    for_bob = await create(service, caller=SERVICE, owner=BOB.lower(), adapter_id="bob-qa")
    assert for_bob.owner == BOB
    with pytest.raises(InvalidArgument) as no_owner:
        await create(service, caller=SERVICE)
    assert no_owner.value.field == "training_job.owner"
    for _ in range(3):
        await create(service)
    with pytest.raises(ResourceExhausted):
        await create(service)


async def test_an_adapter_id_belongs_to_its_first_owner(
    service: ModelFactory, repo: Repository, tmp_path: Path
) -> None:
    store = LocalStore(tmp_path / "objects")
    repo.create_adapter(stored_adapter(store, "taken-qa", 1, BOB))
    with pytest.raises(PermissionDenied) as taken:
        await create(service, adapter_id="taken-qa")
    assert taken.value.reason == "ADAPTER_OWNED_BY_OTHER"
    assert (await create(service, caller=BOB_CALLER, adapter_id="taken-qa")).owner == BOB


async def test_memory_above_a_worker_is_refused(
    repo: Repository, redis: Redis, snapshots: SnapshotData, tmp_path: Path
) -> None:
    small = make_service(repo, redis, snapshots, tmp_path, worker_memory_bytes=1024)
    with pytest.raises(FailedPrecondition) as memory:
        await create(small)
    assert memory.value.reason == "MEMORY_ESTIMATE_TOO_LARGE"


# ---------------------------------------------------------------------- cancel


async def test_cancel_in_each_state(service: ModelFactory, repo: Repository) -> None:
    queued = await create(service)
    with pytest.raises(PermissionDenied):
        await service.cancel_job(queued.name, BOB_CALLER)
    cancelled = await service.cancel_job(queued.name, ALICE_CALLER)
    assert cancelled.state is JobState.CANCELLED and cancelled.end_time is not None
    assert (await service.cancel_job(queued.name, ADMIN)) == cancelled

    running = await create(service)
    repo.update_job(
        running.id,
        lambda j: Change(replace(j, state=JobState.RUNNING, phase=JobPhase.TRAINING)),
    )
    cancelling = await service.cancel_job(running.name, ADMIN)
    assert cancelling.state is JobState.CANCELLING
    assert (await service.cancel_job(running.name, ALICE_CALLER)).sequence == cancelling.sequence

    registering = await create(service)
    repo.update_job(
        registering.id,
        lambda j: Change(replace(j, state=JobState.RUNNING, phase=JobPhase.REGISTERING)),
    )
    with pytest.raises(FailedPrecondition):
        await service.cancel_job(registering.name, ALICE_CALLER)
    repo.update_job(registering.id, lambda j: Change(replace(j, state=JobState.SUCCEEDED)))
    with pytest.raises(FailedPrecondition):
        await service.cancel_job(registering.name, ALICE_CALLER)
    with pytest.raises(NotFound):
        await service.cancel_job("jobs/" + str(uuid.uuid4()), ADMIN)
    with pytest.raises(InvalidArgument):
        await service.cancel_job("jobs/nope", ADMIN)


# ---------------------------------------------------------------------- watch


async def test_watch_sends_the_current_state_then_coalesced_updates_until_terminal(
    repo: Repository, redis: Redis, snapshots: SnapshotData, tmp_path: Path
) -> None:
    service = make_service(repo, redis, snapshots, tmp_path, watch_interval_seconds=0.3)
    events = EventPublisher(redis, source="modelfactory")
    job = await create(service)
    received: list[JobUpdate] = []
    first_seen = asyncio.Event()

    async def watch() -> None:
        async for update in service.watch_job(job.name):
            received.append(update)
            first_seen.set()

    watcher = asyncio.create_task(watch())
    await first_seen.wait()

    def advance(job: TrainingJob) -> Change:
        progress = replace(job.progress, step=job.progress.step + 1)
        return Change(replace(job, state=JobState.RUNNING, progress=progress))

    for _ in range(20):
        stored, update = repo.update_job(job.id, advance)
        assert update is not None
        await events.job_updated(stored, update)
    stored, update = repo.update_job(job.id, lambda j: Change(replace(j, state=JobState.FAILED)))
    assert update is not None
    await events.job_updated(stored, update)
    await asyncio.wait_for(watcher, 60)

    assert received[0].sequence == 1 and received[0].state is JobState.QUEUED
    assert received[-1].state is JobState.FAILED and received[-1].sequence == stored.sequence
    sequences = [u.sequence for u in received]
    assert sequences == sorted(set(sequences))
    assert len(received) < stored.sequence  # coalesced: not every one of the 22 updates


async def test_watch_of_a_terminal_job_sends_one_update(service: ModelFactory) -> None:
    job = await create(service)
    await service.cancel_job(job.name, ALICE_CALLER)
    updates = [u async for u in service.watch_job(job.name)]
    assert [u.state for u in updates] == [JobState.CANCELLED]


async def test_watch_catches_up_from_the_store_when_the_bus_lost_an_update(
    repo: Repository, redis: Redis, snapshots: SnapshotData, tmp_path: Path
) -> None:
    service = make_service(repo, redis, snapshots, tmp_path, watch_poll_seconds=0.2)
    job = await create(service)
    stream = service.watch_job(job.name)
    assert (await anext(stream)).state is JobState.QUEUED
    repo.update_job(job.id, lambda j: Change(replace(j, state=JobState.CANCELLED)))  # unpublished
    last = await asyncio.wait_for(anext(stream), 60)
    assert last.state is JobState.CANCELLED
    with pytest.raises(StopAsyncIteration):
        await anext(stream)


# ---------------------------------------------------------------------- adapters


def stored_adapter(
    store: LocalStore, adapter_id: str, version: int, owner: str, size: int = 10
) -> Adapter:
    def put(data: bytes, media_type: str) -> ObjectRef:
        digest = store.put_bytes(data)
        return ObjectRef(
            store.location(digest), bytes.fromhex(digest.hexdigest), len(data), media_type
        )

    model = put(bytes(range(256)) * (size // 256 + 1), "application/octet-stream")
    return Adapter(
        adapter_id=adapter_id,
        version=version,
        base_model="tiny-llama",
        base_model_revision="00" * 32,
        snapshots=(SnapshotLineage(SNAPSHOT, ROOT, 10),),
        training_job=str(uuid.uuid4()),
        config=resolved_config(adapter_id=adapter_id),
        prompt_template="{{ instruction }}",
        metrics=AdapterMetrics(1.0, 1.1, 3.0, 9, 1, 100, 3, 1.0),
        adapter_sha256=model.sha256,
        trainable_parameters=1024,
        adapter_model=model,
        adapter_config=put(b'{"r": 4}', "application/json"),
        lineage_manifest=put(b'{"lineage": ' + adapter_id.encode() + b"}", "application/json"),
        attribution_features=put(b"features" * 10, "application/octet-stream"),
        registration=ChainTx(31337, "0x" + "11" * 20, b"\x01" * 32, TxStatus.SUCCEEDED, 3),
        owner=owner,
        fee_per_1k_tokens=0,
        create_time=utcnow(),
    )


async def test_get_and_list_adapters(
    service: ModelFactory, repo: Repository, tmp_path: Path
) -> None:
    store = LocalStore(tmp_path / "objects")
    repo.create_adapter(stored_adapter(store, "medical-qa", 1, ALICE))
    repo.create_adapter(stored_adapter(store, "medical-qa", 2, ALICE))
    assert (await service.get_adapter("adapters/medical-qa")).version == 2
    assert (await service.get_adapter("adapters/medical-qa@1")).version == 1
    with pytest.raises(NotFound):
        await service.get_adapter("adapters/medical-qa@3")
    with pytest.raises(InvalidArgument):
        await service.get_adapter("medical-qa@1")
    page = await service.list_adapters(latest_only=True, base_model="baseModels/tiny-llama")
    assert [a.ref for a in page.items] == ["medical-qa@2"]
    with pytest.raises(InvalidArgument):
        await service.list_adapters(page_token="garbage")


async def test_export_streams_files_in_order_with_resume(
    service: ModelFactory, repo: Repository, tmp_path: Path
) -> None:
    store = LocalStore(tmp_path / "objects")
    adapter = stored_adapter(store, "big-qa", 1, ALICE, size=(5 << 20) // 2)
    repo.create_adapter(adapter)

    chunks = [c async for c in service.export_adapter("adapters/big-qa", caller=BOB_CALLER)]
    names = list(dict.fromkeys(c.file_name for c in chunks))
    assert names == ["adapter_config.json", "adapter_model.safetensors", "lineage.json"]
    model = [c for c in chunks if c.file_name == "adapter_model.safetensors"]
    assert len(model) == 3 and all(len(c.data) <= 1 << 20 for c in model)
    assert [c.last_chunk for c in model] == [False, False, True]
    data = b"".join(c.data for c in model)
    assert hashlib.sha256(data).digest() == model[-1].file_sha256 == adapter.adapter_sha256
    assert model[0].file_sha256 == b""

    with pytest.raises(PermissionDenied):
        [
            c
            async for c in service.export_adapter(
                "adapters/big-qa", include_features=True, caller=BOB_CALLER
            )
        ]
    with_features = [
        c
        async for c in service.export_adapter(
            "adapters/big-qa", include_features=True, caller=ALICE_CALLER
        )
    ]
    assert with_features[-1].file_name == "attribution_features.safetensors"

    offset = (1 << 20) + 5
    resumed = [
        c
        async for c in service.export_adapter(
            "adapters/big-qa",
            start_file="adapter_model.safetensors",
            start_offset=offset,
            caller=SERVICE,
        )
    ]
    assert resumed[0].offset == offset
    assert (
        b"".join(c.data for c in resumed if c.file_name == "adapter_model.safetensors")
        == data[offset:]
    )
    with pytest.raises(InvalidArgument) as beyond:
        [
            c
            async for c in service.export_adapter(
                "adapters/big-qa", start_file="lineage.json", start_offset=10_000, caller=SERVICE
            )
        ]
    assert beyond.value.reason == "OUT_OF_RANGE"
    with pytest.raises(NotFound):
        [
            c
            async for c in service.export_adapter(
                "adapters/big-qa", start_file="attribution_features.safetensors", caller=SERVICE
            )
        ]


async def test_base_models_and_schema(service: ModelFactory) -> None:
    page = await service.list_base_models(page_size=1)
    assert [m.id for m in page.items] == ["gone"] and page.total_size == 2
    rest = await service.list_base_models(page_size=1, page_token=page.next_page_token)
    assert [m.id for m in rest.items] == ["tiny-llama"] and rest.next_page_token == ""
    assert [m.id for m in (await service.list_base_models(available_only=True)).items] == [
        "tiny-llama"
    ]
    with pytest.raises(InvalidArgument):
        await service.list_base_models(available_only=True, page_token=page.next_page_token)
    schema = await service.job_config_schema()
    assert hashlib.sha256(schema.json_schema.encode()).digest() == schema.schema_sha256
    assert schema.presets and all(len(p.memory_estimates) == 1 for p in schema.presets)
    assert [p.preset.name for p in schema.presets] == sorted(p.preset.name for p in schema.presets)
    with pytest.raises(NotFound):
        await service.job_config_schema("baseModels/unknown")

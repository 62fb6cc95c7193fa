"""Shared pieces of the end-to-end tests: a real modelfactory server (role ``all``) over the
session's Redis, anvil deployment, datanet snapshot and Ray head, stubs signed by a job owner,
job requests, following a job to its end through ``WatchJob``, exporting an adapter, and the
adapter events on the bus.

A server's runner launches real drivers as subprocesses. Stopping a server leaves its runs
going (a restarted server resumes them), so ``stop_leftover_runs`` ends whatever a test left
running: a failed test does not leave a driver training on the shared Ray head.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from eth_account.signers.local import LocalAccount

from openledger.common.v1 import job_pb2
from openledger.events.v1 import modelfactory_events_pb2 as events
from openledger.modelfactory.v1 import job_config_pb2, training_job_pb2
from openledger.modelfactory.v1 import modelfactory_service_pb2 as pb
from openledger.modelfactory.v1 import modelfactory_service_pb2_grpc as pb_grpc
from openledger_kit import bus
from openledger_kit.bus.envelope import open_payload
from openledger_kit.client import connect
from openledger_modelfactory.adapters.bus import ADAPTER_STREAM
from openledger_modelfactory.adapters.launcher import LocalLauncher
from openledger_modelfactory.adapters.repository import Repository
from openledger_modelfactory.config import Settings
from openledger_modelfactory.domain.model import JobState
from openledger_modelfactory.server import ModelFactoryServer, create_modelfactory_server
from services.modelfactory.tests.chain_platform import Platform
from services.modelfactory.tests.datanet_snapshot import DatanetSnapshot

DEPLOYMENT_ID = "openledger-test-modelfactory-e2e"
JOB_TIMEOUT_SECONDS = 480.0
"""A bound for a broken system (a job here trains for about a minute), not a timing check."""

TINY_CATALOGUE = """\
models:
  - id: tiny-llama
    display_name: Tiny Llama
    description: the test model
    source: packaged
    location: tiny-llama
    license: Apache-2.0
    max_lora_rank: 16
    default_target_modules: [q_proj, v_proj]
"""

TERMINAL = (job_pb2.JOB_STATE_SUCCEEDED, job_pb2.JOB_STATE_FAILED, job_pb2.JOB_STATE_CANCELLED)


def local_catalogue(model_id: str, path: Path) -> str:
    """A catalogue with one ``local_path`` model: a model converted once per machine is used
    in place instead of being converted again into the server's model cache."""
    return (
        "models:\n"
        f"  - id: {model_id}\n"
        "    source: local_path\n"
        f"    location: {path}\n"
        "    license: Apache-2.0\n"
        "    max_lora_rank: 16\n"
        "    default_target_modules: [q_proj, v_proj]\n"
    )


def settings(
    platform: Platform,
    redis_url: str,
    snapshot: DatanetSnapshot,
    state: Path,
    *,
    ray_address: str,
    catalogue: str = TINY_CATALOGUE,
) -> Settings:
    """A server's settings with everything it keeps under ``state``: a second server made with
    the same ``state`` continues on the same database, object store and checkpoints."""
    state.mkdir(parents=True, exist_ok=True)
    catalogue_file = state / "catalogue.yaml"
    catalogue_file.write_text(catalogue)
    return Settings(
        grpc_port=0,
        role="all",
        redis_url=redis_url,
        database_url=f"sqlite:///{state / 'modelfactory.db'}",
        object_store_url=str(state / "objects"),
        l2_rpc_url=platform.l2_url,
        deployment_manifest=platform.manifest_path,
        account_key_file=platform.key_file,
        service_token=snapshot.service_token,
        deployment_id=DEPLOYMENT_ID,
        auth_nonce_store="memory",
        datanet_addr=snapshot.addr,
        catalogue_file=catalogue_file,
        model_cache_dir=state / "models",
        work_dir=state / "work",
        checkpoint_dir=str(state / "ray"),
        ray_address=ray_address,
        runner_poll_seconds=0.2,
        progress_interval_seconds=0.2,
        shutdown_grace_seconds=5.0,
        log_json=False,
    )


@contextlib.asynccontextmanager
async def running_server(settings: Settings) -> AsyncIterator[ModelFactoryServer]:
    server = await create_modelfactory_server(settings)
    await server.start()
    try:
        await server.wait_ready()
        yield server
    finally:
        await server.stop(1.0)


async def stop_leftover_runs(settings: Settings) -> None:
    """Stop the drivers of the jobs still RUNNING or CANCELLING in ``settings``' database."""
    repository = await asyncio.to_thread(Repository.open, settings.database_url)
    try:
        jobs = await asyncio.to_thread(
            repository.jobs_in_state, JobState.RUNNING, JobState.CANCELLING
        )
        launcher = LocalLauncher(settings, stop_grace_seconds=5.0)
        for job in jobs:
            run = await asyncio.to_thread(repository.get_run, job.id)
            if run.handle:
                await launcher.stop(run.handle)
    finally:
        await asyncio.to_thread(repository.close)


def stub(
    port: int, *, signer: LocalAccount | None = None
) -> tuple[grpc.aio.Channel, pb_grpc.ModelFactoryServiceStub]:
    channel = connect(
        f"127.0.0.1:{port}",
        signer=signer,
        deployment_id=DEPLOYMENT_ID if signer is not None else None,
    )
    return channel, pb_grpc.ModelFactoryServiceStub(channel)  # type: ignore[no-untyped-call]


def job_request(snapshot: str, **config: Any) -> pb.CreateTrainingJobRequest:
    """A completion job on the tiny Llama (``cpu-tiny``) over the snapshot's topic and text;
    ``config`` overrides ``TrainingJobConfig`` fields."""
    values: dict[str, Any] = {
        "base_model": "baseModels/tiny-llama",
        "snapshot": snapshot,
        "adapter_id": f"e2e-{uuid.uuid4().hex[:8]}",
        "task_template": job_config_pb2.TASK_TEMPLATE_COMPLETION,
        "field_mapping": {"prompt": "/topic", "text": "/text"},
        "preset": "cpu-tiny",
        "max_seq_length": 64,
        "eval_fraction": 0.2,
        "fee_per_1k_tokens": "1000",
    }
    values.update(config)
    return pb.CreateTrainingJobRequest(
        request_id=str(uuid.uuid4()),
        training_job=training_job_pb2.TrainingJob(
            display_name="e2e test", config=job_config_pb2.TrainingJobConfig(**values)
        ),
    )


async def follow(
    api: pb_grpc.ModelFactoryServiceStub, name: str
) -> list[training_job_pb2.TrainingJobUpdate]:
    """Every update ``WatchJob`` sends for the job, up to and including the terminal one."""

    async def read() -> list[training_job_pb2.TrainingJobUpdate]:
        updates = []
        async for message in api.WatchJob(pb.WatchJobRequest(name=name)):
            updates.append(message.update)
        return updates

    updates = await asyncio.wait_for(read(), JOB_TIMEOUT_SECONDS)
    assert updates and updates[-1].state in TERMINAL, updates[-1:]
    return updates


async def job_where(
    api: pb_grpc.ModelFactoryServiceStub, name: str, what: str, ok: Any
) -> training_job_pb2.TrainingJob:
    """The job once ``ok(job)`` holds; fails if it ends first or never gets there."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + JOB_TIMEOUT_SECONDS
    while True:
        job: training_job_pb2.TrainingJob = (
            await api.GetJob(pb.GetJobRequest(name=name))
        ).training_job
        if ok(job):
            return job
        assert job.state not in TERMINAL, f"{name} ended before {what}: {job}"
        assert loop.time() < deadline, f"{name}: {what} not reached; last: {job}"
        await asyncio.sleep(0.2)


@dataclass(frozen=True)
class ExportedFile:
    data: bytes
    size: int
    sha256: bytes
    """What the last chunk said the file's SHA-256 is."""


async def export(
    api: pb_grpc.ModelFactoryServiceStub, name: str, *, features: bool
) -> dict[str, ExportedFile]:
    """The adapter's exported files by name, each reassembled from its chunks in order."""
    parts: dict[str, list[bytes]] = {}
    sizes: dict[str, int] = {}
    hashes: dict[str, bytes] = {}
    request = pb.ExportAdapterRequest(name=name, include_attribution_features=features)
    async for chunk in api.ExportAdapter(request):
        received = parts.setdefault(chunk.file_name, [])
        assert chunk.file_name not in hashes, f"{chunk.file_name} went on after its last chunk"
        assert chunk.offset == sum(len(p) for p in received)
        received.append(chunk.data)
        sizes[chunk.file_name] = chunk.file_size
        if chunk.last_chunk:
            hashes[chunk.file_name] = chunk.file_sha256
    assert set(hashes) == set(parts)
    return {
        file_name: ExportedFile(b"".join(chunks), sizes[file_name], hashes[file_name])
        for file_name, chunks in parts.items()
    }


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


async def adapter_events(redis_url: str, adapter_id: str) -> list[events.AdapterPublished]:
    """The ``AdapterPublished`` events of ``adapter_id`` on ``ol:modelfactory:adapter:v1``."""
    client = bus.connect(redis_url)
    try:
        entries: Any = await client.xrange(ADAPTER_STREAM.key)
    finally:
        await client.aclose()
    found = []
    for _, fields in entries:
        message = open_payload(bus.open_envelope(fields), events.AdapterPublished)
        if message.adapter_id == adapter_id:
            found.append(message)
    return found

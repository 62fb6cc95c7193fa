"""The modelfactory server on port 0 over real Redis, SQLite, anvil (the platform deployed) and
a real datanet server with a real snapshot (``datanet_snapshot``): every RPC through a real
channel, errors for invalid configs, and a job created through gRPC that the real runner claims
and launches (RUNNING with a live driver), then cancelled; ``WatchJob`` follows it to the end.
Training to completion is the end-to-end test's."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
from eth_account.signers.local import LocalAccount
from grpc_health.v1 import health_pb2, health_pb2_grpc

from openledger.common.v1 import job_pb2
from openledger.modelfactory.v1 import job_config_pb2, training_job_pb2
from openledger.modelfactory.v1 import modelfactory_service_pb2 as pb
from openledger.modelfactory.v1 import modelfactory_service_pb2_grpc as pb_grpc
from openledger_kit.client import connect
from openledger_kit.server import bad_request, error_info
from openledger_kit.testing.processes import RedisProcess
from openledger_modelfactory.config import Settings
from openledger_modelfactory.server import ModelFactoryServer, create_modelfactory_server
from services.datanet.tests.support import eventually
from services.modelfactory.tests.chain_platform import Platform
from services.modelfactory.tests.datanet_snapshot import DatanetSnapshot

pytestmark = pytest.mark.slow

DEPLOYMENT_ID = "openledger-test-modelfactory"

CATALOGUE = """\
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


@pytest.fixture(scope="module")
async def server(
    platform: Platform,
    redis_server: RedisProcess,
    datanet_snapshot: DatanetSnapshot,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[ModelFactoryServer]:
    state = tmp_path_factory.mktemp("modelfactory-state")
    catalogue = state / "catalogue.yaml"
    catalogue.write_text(CATALOGUE)
    settings = Settings(
        grpc_port=0,
        role="all",
        redis_url=redis_server.url,
        database_url=f"sqlite:///{state / 'modelfactory.db'}",
        object_store_url=str(state / "objects"),
        l2_rpc_url=platform.l2_url,
        deployment_manifest=platform.manifest_path,
        account_key_file=platform.key_file,
        service_token=datanet_snapshot.service_token,
        deployment_id=DEPLOYMENT_ID,
        auth_nonce_store="memory",
        datanet_addr=datanet_snapshot.addr,
        catalogue_file=catalogue,
        model_cache_dir=state / "models",
        work_dir=state / "work",
        checkpoint_dir=str(state / "ray"),
        runner_poll_seconds=0.2,
        shutdown_grace_seconds=5.0,
        log_json=False,
    )
    running = await create_modelfactory_server(settings)
    await running.start()
    await running.wait_ready()
    yield running
    await running.stop(1.0)


def stub(
    port: int, *, signer: LocalAccount | None = None, token: str | None = None
) -> tuple[grpc.aio.Channel, pb_grpc.ModelFactoryServiceStub]:
    channel = connect(
        f"127.0.0.1:{port}",
        signer=signer,
        token=token,
        deployment_id=DEPLOYMENT_ID if signer is not None else None,
    )
    return channel, pb_grpc.ModelFactoryServiceStub(channel)  # type: ignore[no-untyped-call]


def job_request(
    snapshot: str, *, validate_only: bool = False, **config: Any
) -> pb.CreateTrainingJobRequest:
    values: dict[str, Any] = {
        "base_model": "baseModels/tiny-llama",
        "snapshot": snapshot,
        "adapter_id": f"corpus-{uuid.uuid4().hex[:8]}",
        "task_template": job_config_pb2.TASK_TEMPLATE_COMPLETION,
        "field_mapping": {"text": "/text"},
        "preset": "cpu-tiny",
        "max_steps": 2,
        "fee_per_1k_tokens": "1000",
    }
    values.update(config)
    return pb.CreateTrainingJobRequest(
        request_id=str(uuid.uuid4()),
        training_job=training_job_pb2.TrainingJob(
            display_name="server test", config=job_config_pb2.TrainingJobConfig(**values)
        ),
        validate_only=validate_only,
    )


async def test_health_catalogue_and_schema(server: ModelFactoryServer) -> None:
    channel, api = stub(server.port)
    health = health_pb2_grpc.HealthStub(channel)
    reply = await health.Check(
        health_pb2.HealthCheckRequest(service="openledger.modelfactory.v1.ModelFactoryService")
    )
    assert reply.status == health_pb2.HealthCheckResponse.SERVING

    models = await api.ListBaseModels(pb.ListBaseModelsRequest())
    assert [m.name for m in models.base_models] == ["baseModels/tiny-llama"]
    assert models.total_size == 1 and models.base_models[0].available
    assert len(models.base_models[0].revision) == 64
    none = await api.ListBaseModels(pb.ListBaseModelsRequest(architecture="GPT2LMHeadModel"))
    assert none.total_size == 0

    schema = await api.GetJobConfigSchema(pb.GetJobConfigSchemaRequest())
    assert hashlib.sha256(schema.json_schema.encode()).digest() == schema.schema_sha256
    assert schema.schema_id.startswith("https://")
    assert "cpu-tiny" in [p.name for p in schema.presets]
    tiny = next(p for p in schema.presets if p.name == "cpu-tiny")
    assert [e.base_model for e in tiny.memory_estimates] == ["baseModels/tiny-llama"]
    assert schema.defaults.HasField("epochs")
    with pytest.raises(grpc.aio.AioRpcError) as unknown:
        await api.GetJobConfigSchema(pb.GetJobConfigSchemaRequest(base_model="baseModels/nope"))
    assert unknown.value.code() == grpc.StatusCode.NOT_FOUND
    await channel.close()


async def test_invalid_configs_are_refused_naming_the_field(
    server: ModelFactoryServer, datanet_snapshot: DatanetSnapshot, platform: Platform
) -> None:
    snapshot = datanet_snapshot.name
    owner = await platform.datanet.account()
    channel, api = stub(server.port, signer=owner)

    async def refused(request: pb.CreateTrainingJobRequest) -> grpc.aio.AioRpcError:
        with pytest.raises(grpc.aio.AioRpcError) as failed:
            await api.CreateTrainingJob(request)
        return failed.value

    fee = await refused(job_request(snapshot, fee_per_1k_tokens="1.5"))
    assert fee.code() == grpc.StatusCode.INVALID_ARGUMENT
    details = bad_request(fee)
    assert details is not None
    assert details.field_violations[0].field == "training_job.config.fee_per_1k_tokens"

    rank = await refused(job_request(snapshot, lora=job_config_pb2.LoraConfig(rank=64)))
    assert rank.code() == grpc.StatusCode.INVALID_ARGUMENT
    details = bad_request(rank)
    assert details is not None
    assert details.field_violations[0].field == "training_job.config.lora.rank"

    no_template = await refused(
        job_request(snapshot, task_template=job_config_pb2.TASK_TEMPLATE_UNSPECIFIED)
    )
    assert no_template.code() == grpc.StatusCode.INVALID_ARGUMENT
    details = bad_request(no_template)
    assert details is not None
    assert details.field_violations[0].field == "training_job.config.task_template"

    missing_field = await refused(job_request(snapshot, field_mapping={"text": "/nothing"}))
    assert missing_field.code() == grpc.StatusCode.INVALID_ARGUMENT

    unknown_base = await refused(job_request(snapshot, base_model="baseModels/nope"))
    assert unknown_base.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT)

    unknown_snapshot = await refused(job_request(snapshot.rsplit("/", 1)[0] + "/snapshots/v99"))
    assert unknown_snapshot.code() in (
        grpc.StatusCode.NOT_FOUND,
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    await channel.close()

    anonymous_channel, anonymous = stub(server.port)
    with pytest.raises(grpc.aio.AioRpcError) as unsigned:
        await anonymous.CreateTrainingJob(job_request(snapshot))
    assert unsigned.value.code() == grpc.StatusCode.UNAUTHENTICATED
    with pytest.raises(grpc.aio.AioRpcError) as no_job:
        await anonymous.GetJob(pb.GetJobRequest(name=f"jobs/{uuid.uuid4()}"))
    assert no_job.value.code() == grpc.StatusCode.NOT_FOUND
    info = error_info(no_job.value)
    assert info is not None and info.domain == "openledger.modelfactory"
    await anonymous_channel.close()


async def test_a_job_through_grpc_runs_and_is_cancelled(
    server: ModelFactoryServer, datanet_snapshot: DatanetSnapshot, platform: Platform
) -> None:
    snapshot = datanet_snapshot
    owner = await platform.datanet.account()
    stranger = await platform.datanet.account()
    channel, api = stub(server.port, signer=owner)
    public_channel, public = stub(server.port)

    preview = await api.CreateTrainingJob(job_request(snapshot.name, validate_only=True))
    assert preview.training_job.name == ""
    assert preview.training_job.memory_estimate.total_bytes > 0
    assert preview.training_job.config.max_seq_length > 0  # resolved

    request = job_request(snapshot.name)
    created = (await api.CreateTrainingJob(request)).training_job
    assert created.name.startswith("jobs/")
    assert created.owner == owner.address
    assert created.snapshot_merkle_root == snapshot.merkle_root
    assert created.config.fee_per_1k_tokens == "1000"
    assert created.config.base_model == "baseModels/tiny-llama"
    again = (await api.CreateTrainingJob(request)).training_job
    assert again.name == created.name  # idempotent by request id

    watch = public.WatchJob(pb.WatchJobRequest(name=created.name))
    first = await watch.read()
    assert first.update.job == created.name and first.update.sequence >= 1

    running = await eventually(
        lambda: public.GetJob(pb.GetJobRequest(name=created.name)),
        lambda r: r.training_job.state == job_pb2.JOB_STATE_RUNNING and r.training_job.ray_job_id,
        what="the runner launching the job",
    )
    handle = running.training_job.ray_job_id
    assert handle.startswith("local:")
    assert server.runner is not None
    assert await server.runner.launcher.alive(handle)

    listed = await public.ListJobs(pb.ListJobsRequest(owner=owner.address.lower()))
    assert [j.name for j in listed.training_jobs] == [created.name]
    states = await public.ListJobs(
        pb.ListJobsRequest(states=[job_pb2.JOB_STATE_SUCCEEDED], owner=owner.address)
    )
    assert states.total_size == 0

    stranger_channel, as_stranger = stub(server.port, signer=stranger)
    with pytest.raises(grpc.aio.AioRpcError) as denied:
        await as_stranger.CancelJob(pb.CancelJobRequest(name=created.name))
    assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
    await stranger_channel.close()

    cancelled = (await api.CancelJob(pb.CancelJobRequest(name=created.name))).training_job
    assert cancelled.state in (job_pb2.JOB_STATE_CANCELLING, job_pb2.JOB_STATE_CANCELLED)
    updates = [first.update]
    async for message in watch:
        updates.append(message.update)
    assert updates[-1].state == job_pb2.JOB_STATE_CANCELLED
    sequences = [u.sequence for u in updates]
    assert sequences == sorted(set(sequences))
    assert not await server.runner.launcher.alive(handle)
    done = (await public.GetJob(pb.GetJobRequest(name=created.name))).training_job
    assert done.state == job_pb2.JOB_STATE_CANCELLED and done.HasField("end_time")
    assert done.adapter == ""

    registry = server.grpc.metrics_registry
    assert registry.get_sample_value("openledger_modelfactory_jobs", {"state": "CANCELLED"}) == 1
    await channel.close()
    await public_channel.close()


async def test_adapter_reads_and_export_of_a_missing_adapter(
    server: ModelFactoryServer, datanet_snapshot: DatanetSnapshot
) -> None:
    channel, public = stub(server.port)
    adapters = await public.ListAdapters(pb.ListAdaptersRequest(latest_only=True))
    assert list(adapters.adapters) == [] and adapters.total_size == 0
    with pytest.raises(grpc.aio.AioRpcError) as missing:
        await public.GetAdapter(pb.GetAdapterRequest(name="adapters/nothing-here"))
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.aio.AioRpcError) as unsigned:
        async for _ in public.ExportAdapter(pb.ExportAdapterRequest(name="adapters/nothing-here")):
            pass
    assert unsigned.value.code() == grpc.StatusCode.UNAUTHENTICATED
    await channel.close()

    service_channel, as_service = stub(server.port, token=datanet_snapshot.service_token)
    with pytest.raises(grpc.aio.AioRpcError) as not_found:
        async for _ in as_service.ExportAdapter(
            pb.ExportAdapterRequest(name="adapters/nothing-here@1")
        ):
            pass
    assert not_found.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.aio.AioRpcError) as bad_name:
        await as_service.GetAdapter(pb.GetAdapterRequest(name="models/x"))
    assert bad_name.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    await service_channel.close()

"""ModelFactory end to end, through the gRPC API of a real server whose runner launches real
drivers on the session's Ray head, with the real datanet snapshot, Redis, object store and the
ModelRegistry on anvil:

- a 2-worker job on the tiny Llama trains to SUCCEEDED: its updates, lineage, exported files,
  the adapter changing the base model's outputs, the attribution features, the hash on chain
  and one ``AdapterPublished``;
- a worker that dies mid-run is restarted by Ray from a checkpoint (a second attempt);
- a driver killed mid-run is relaunched by the runner from the latest checkpoint;
- a server stopped mid-run and started again on the same state finishes the job, registering
  the adapter once;
- SmolLM2-135M fine-tunes for a few steps.
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest
import torch
from safetensors.torch import load as load_safetensors

from openledger.common.v1 import chain_pb2, job_pb2
from openledger.modelfactory.v1 import job_config_pb2
from openledger.modelfactory.v1 import modelfactory_service_pb2 as pb
from openledger_kit.chain import DeploymentManifest
from openledger_kit.contracts import ModelRegistry
from openledger_kit.testing.processes import RedisProcess
from openledger_ml.lora import load_adapter
from openledger_ml.models.loading import load_causal_lm, load_tokenizer, weights_revision
from openledger_ml.testing import smollm2_path, tiny_llama_path
from openledger_modelfactory.domain import errors
from openledger_modelfactory.training.loop import CRASH_HOOK_ENV
from services.modelfactory.tests.chain_platform import Platform
from services.modelfactory.tests.datanet_snapshot import DatanetSnapshot
from services.modelfactory.tests.e2e import support

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

FILES = {
    "adapter_config.json",
    "adapter_model.safetensors",
    "lineage.json",
    "attribution_features.safetensors",
}


async def model_registry(platform: Platform) -> ModelRegistry:
    return await ModelRegistry.load(DeploymentManifest.load(platform.manifest_path), platform.l2)


def logits(model: torch.nn.Module, input_ids: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        out: torch.Tensor = model(input_ids=input_ids).logits
    return out


async def test_a_job_trains_registers_and_exports_its_adapter(
    platform: Platform,
    redis_server: RedisProcess,
    datanet_snapshot: DatanetSnapshot,
    ray_address: str,
    tmp_path: Path,
) -> None:
    snapshot = datanet_snapshot
    settings = support.settings(
        platform, redis_server.url, snapshot, tmp_path / "state", ray_address=ray_address
    )
    owner = await platform.datanet.account()
    request = support.job_request(
        snapshot.name, num_workers=2, epochs=6, learning_rate=2e-2, checkpoint_every_steps=100
    )
    adapter_id = request.training_job.config.adapter_id
    try:
        async with support.running_server(settings) as server:
            channel, api = support.stub(server.port, signer=owner)
            models = await api.ListBaseModels(pb.ListBaseModelsRequest())
            (tiny,) = models.base_models
            created = (await api.CreateTrainingJob(request)).training_job
            updates = await support.follow(api, created.name)
            job = (await api.GetJob(pb.GetJobRequest(name=created.name))).training_job
            adapter = (await api.GetAdapter(pb.GetAdapterRequest(name=job.adapter))).adapter
            files = await support.export(api, adapter.name, features=True)
            await channel.close()
    finally:
        await support.stop_leftover_runs(settings)

    # The job, as WatchJob streamed it and as GetJob has it.
    assert updates[-1].state == job_pb2.JOB_STATE_SUCCEEDED, updates[-1]
    sequences = [u.sequence for u in updates]
    assert all(a < b for a, b in zip(sequences, sequences[1:], strict=False)), sequences
    trained = [u for u in updates if u.step > 0 and u.state == job_pb2.JOB_STATE_RUNNING]
    assert trained, updates
    assert job.state == job_pb2.JOB_STATE_SUCCEEDED and job.HasField("end_time")
    assert job.adapter == f"adapters/{adapter_id}@1" and job.progress == 1.0
    assert job.step == job.total_steps > 0
    assert [a.attempt for a in job.attempts] == [1] and not job.attempts[0].failure_reason

    # Lineage.
    assert adapter.name == job.adapter and adapter.version == 1
    assert adapter.base_model == tiny.name == "baseModels/tiny-llama"
    assert adapter.base_model_revision == tiny.revision == weights_revision(tiny_llama_path())
    (lineage,) = adapter.snapshots
    assert lineage.snapshot == snapshot.name
    assert lineage.merkle_root == snapshot.merkle_root
    assert lineage.record_count == snapshot.record_count
    assert adapter.training_job == created.name
    config = adapter.training_config
    assert (config.preset, config.num_workers, config.epochs) == ("cpu-tiny", 2, 6)
    assert config.lora.rank == 4 and list(config.lora.target_modules) == ["q_proj", "v_proj"]
    assert config.learning_rate == 2e-2 and config.attribution.projection_dim == 64
    metrics = adapter.metrics
    assert metrics.steps == job.total_steps
    assert metrics.train_examples > 0 and metrics.eval_examples > 0
    assert metrics.train_examples + metrics.eval_examples <= snapshot.record_count
    assert metrics.train_tokens > 0 and metrics.eval_loss > 0
    assert metrics.train_duration.ToNanoseconds() > 0
    # Trained: the loss of the first steps reported is above the final training loss.
    assert trained[0].loss > metrics.train_loss > 0, ([u.loss for u in trained], metrics)
    assert adapter.owner == owner.address and adapter.fee_per_1k_tokens == "1000"
    assert adapter.trainable_parameters > 0 and adapter.prompt_template
    assert adapter.registration.status == chain_pb2.CHAIN_TRANSACTION_STATUS_SUCCEEDED

    # The exported files are the stored ones, byte for byte.
    assert set(files) == FILES
    refs = {
        "adapter_config.json": adapter.adapter_config,
        "adapter_model.safetensors": adapter.adapter_model,
        "lineage.json": adapter.lineage_manifest,
        "attribution_features.safetensors": adapter.attribution_features,
    }
    for file_name, exported in files.items():
        assert support.sha256(exported.data) == exported.sha256 == refs[file_name].sha256
        assert len(exported.data) == exported.size == refs[file_name].size_bytes
    model_file = files["adapter_model.safetensors"].data
    assert support.sha256(model_file) == adapter.adapter_sha256
    manifest = json.loads(files["lineage.json"].data)
    assert manifest["adapter"] == adapter.name
    assert manifest["base_model_revision"] == adapter.base_model_revision
    assert manifest["snapshots"][0]["merkle_root"] == "0x" + snapshot.merkle_root.hex()
    assert manifest["adapter_sha256"] == "0x" + adapter.adapter_sha256.hex()

    # The exported adapter loads on the base model and changes its outputs.
    adapter_dir = tmp_path / "exported"
    adapter_dir.mkdir()
    for file_name in ("adapter_config.json", "adapter_model.safetensors"):
        (adapter_dir / file_name).write_bytes(files[file_name].data)
    assert json.loads(files["adapter_config.json"].data)["r"] == 4
    tokenizer = load_tokenizer(tiny_llama_path())
    text = f"{snapshot.contents[0]['topic']} {snapshot.contents[0]['text']}"
    input_ids = torch.tensor([tokenizer(text)["input_ids"][:32]])
    base = logits(load_causal_lm(tiny_llama_path()), input_ids)
    tuned_model = load_adapter(load_causal_lm(tiny_llama_path()), adapter_dir)
    tuned = logits(tuned_model, input_ids)
    assert base.shape == tuned.shape
    assert not torch.allclose(base, tuned, atol=1e-4)

    # One projected gradient per training example, in snapshot order.
    features = load_safetensors(files["attribution_features.safetensors"].data)
    assert features["features"].dtype == torch.float16
    assert tuple(features["features"].shape) == (metrics.train_examples, 64)
    assert torch.isfinite(features["features"]).all() and features["features"].abs().sum() > 0
    indexes = features["snapshot_indexes"].tolist()
    assert len(indexes) == metrics.train_examples
    assert indexes == sorted(set(indexes))
    assert 0 <= indexes[0] and indexes[-1] < snapshot.record_count

    # On chain: exactly this file's hash, registered once.
    registry = await model_registry(platform)
    key = ModelRegistry.adapter_key(adapter_id, 1)
    assert await registry.is_registered(key, support.sha256(model_file))
    on_chain = await registry.adapter(key)
    assert on_chain is not None
    assert on_chain.adapter_sha256 == support.sha256(model_file)
    assert on_chain.owner == owner.address and on_chain.fee_per_1k_tokens == 1000
    assert on_chain.snapshot_roots == (snapshot.merkle_root,)
    assert on_chain.base_model_id == ModelRegistry.base_model_id("tiny-llama")
    assert await registry.latest_version(adapter_id) == 1

    # Announced once on the bus.
    (published,) = await support.adapter_events(redis_server.url, adapter_id)
    assert published.version == 1 and published.adapter == f"{adapter_id}@1"
    assert published.adapter_sha256 == support.sha256(model_file)
    assert published.training_job == created.name


async def test_a_worker_that_dies_is_restarted_from_a_checkpoint(
    platform: Platform,
    redis_server: RedisProcess,
    datanet_snapshot: DatanetSnapshot,
    ray_address: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The launcher passes the server's environment to the driver, which passes the
    # OL_MODELFACTORY_* variables on to the workers: rank 0 of attempt 1 exits after step 7.
    monkeypatch.setenv(CRASH_HOOK_ENV, "7")
    settings = support.settings(
        platform, redis_server.url, datanet_snapshot, tmp_path, ray_address=ray_address
    )
    owner = await platform.datanet.account()
    request = support.job_request(
        datanet_snapshot.name, epochs=2, checkpoint_every_steps=2, max_failures=2
    )
    try:
        async with support.running_server(settings) as server:
            channel, api = support.stub(server.port, signer=owner)
            created = (await api.CreateTrainingJob(request)).training_job
            updates = await support.follow(api, created.name)
            job = (await api.GetJob(pb.GetJobRequest(name=created.name))).training_job
            await channel.close()
    finally:
        await support.stop_leftover_runs(settings)

    assert updates[-1].state == job_pb2.JOB_STATE_SUCCEEDED, updates[-1]
    assert job.state == job_pb2.JOB_STATE_SUCCEEDED, job
    assert [a.attempt for a in job.attempts] == [1, 2], job.attempts
    first, second = job.attempts
    assert first.failure_reason == errors.WORKER_LOST and first.HasField("end_time")
    assert not first.HasField("resumed_from")
    assert second.HasField("resumed_from") and not second.failure_reason
    assert 0 < second.resumed_from.step <= 7
    assert second.resumed_from.uri
    assert job.adapter == f"adapters/{request.training_job.config.adapter_id}@1"


async def test_a_killed_driver_is_relaunched_from_the_latest_checkpoint(
    platform: Platform,
    redis_server: RedisProcess,
    datanet_snapshot: DatanetSnapshot,
    ray_address: str,
    tmp_path: Path,
) -> None:
    settings = support.settings(
        platform, redis_server.url, datanet_snapshot, tmp_path, ray_address=ray_address
    )
    owner = await platform.datanet.account()
    request = support.job_request(
        datanet_snapshot.name, epochs=3, checkpoint_every_steps=2, max_failures=1
    )
    try:
        async with support.running_server(settings) as server:
            channel, api = support.stub(server.port, signer=owner)
            created = (await api.CreateTrainingJob(request)).training_job
            checkpointed = await support.job_where(
                api,
                created.name,
                "a first checkpoint",
                lambda j: j.HasField("latest_checkpoint") and j.ray_job_id,
            )
            handle = checkpointed.ray_job_id
            kind, pid, job_id, _attempt = handle.split(":")
            assert kind == "local" and created.name == f"jobs/{job_id}"
            os.kill(int(pid), signal.SIGKILL)
            updates = await support.follow(api, created.name)
            job = (await api.GetJob(pb.GetJobRequest(name=created.name))).training_job
            await channel.close()
    finally:
        await support.stop_leftover_runs(settings)

    assert updates[-1].state == job_pb2.JOB_STATE_SUCCEEDED, updates[-1]
    assert job.state == job_pb2.JOB_STATE_SUCCEEDED, job
    assert job.ray_job_id != handle
    assert [a.attempt for a in job.attempts] == [1, 2], job.attempts
    first, second = job.attempts
    assert first.failure_reason == errors.WORKER_LOST
    assert second.HasField("resumed_from") and second.resumed_from.step > 0
    assert second.resumed_from.step >= checkpointed.latest_checkpoint.step
    assert job.adapter == f"adapters/{request.training_job.config.adapter_id}@1"


async def test_a_restarted_server_finishes_the_job_and_registers_it_once(
    platform: Platform,
    redis_server: RedisProcess,
    datanet_snapshot: DatanetSnapshot,
    ray_address: str,
    tmp_path: Path,
) -> None:
    settings = support.settings(
        platform, redis_server.url, datanet_snapshot, tmp_path, ray_address=ray_address
    )
    owner = await platform.datanet.account()
    request = support.job_request(datanet_snapshot.name, epochs=3, checkpoint_every_steps=2)
    adapter_id = request.training_job.config.adapter_id
    try:
        async with support.running_server(settings) as first_server:
            channel, api = support.stub(first_server.port, signer=owner)
            created = (await api.CreateTrainingJob(request)).training_job
            checkpointed = await support.job_where(
                api, created.name, "a first checkpoint", lambda j: j.HasField("latest_checkpoint")
            )
            await channel.close()
        # The first server is gone; its driver trains on.
        async with support.running_server(settings) as second_server:
            channel, api = support.stub(second_server.port, signer=owner)
            updates = await support.follow(api, created.name)
            job = (await api.GetJob(pb.GetJobRequest(name=created.name))).training_job
            listed = await api.ListAdapters(pb.ListAdaptersRequest(adapter_id=adapter_id))
            await channel.close()
    finally:
        await support.stop_leftover_runs(settings)

    assert updates[-1].state == job_pb2.JOB_STATE_SUCCEEDED, updates[-1]
    assert job.state == job_pb2.JOB_STATE_SUCCEEDED, job
    assert job.ray_job_id == checkpointed.ray_job_id  # the same run, not relaunched
    assert [a.attempt for a in job.attempts] == [1]
    assert job.step == job.total_steps > checkpointed.latest_checkpoint.step
    assert [a.name for a in listed.adapters] == [f"adapters/{adapter_id}@1"]
    registry = await model_registry(platform)
    assert await registry.latest_version(adapter_id) == 1
    assert await registry.is_registered(
        ModelRegistry.adapter_key(adapter_id, 1), listed.adapters[0].adapter_sha256
    )
    assert len(await support.adapter_events(redis_server.url, adapter_id)) == 1


async def test_smollm2_fine_tunes_for_a_few_steps(
    platform: Platform,
    redis_server: RedisProcess,
    datanet_snapshot: DatanetSnapshot,
    ray_address: str,
    tmp_path: Path,
) -> None:
    path = smollm2_path()
    settings = support.settings(
        platform,
        redis_server.url,
        datanet_snapshot,
        tmp_path,
        ray_address=ray_address,
        catalogue=support.local_catalogue("smollm2-135m-instruct", path),
    )
    owner = await platform.datanet.account()
    request = support.job_request(
        datanet_snapshot.name,
        base_model="baseModels/smollm2-135m-instruct",
        max_steps=3,
        batch_size=2,
        max_seq_length=64,
        num_workers=1,
        lora=job_config_pb2.LoraConfig(rank=4),
        attribution=job_config_pb2.AttributionFeatureConfig(projection_dim=16),
    )
    try:
        async with support.running_server(settings) as server:
            channel, api = support.stub(server.port, signer=owner)
            created = (await api.CreateTrainingJob(request)).training_job
            updates = await support.follow(api, created.name)
            job = (await api.GetJob(pb.GetJobRequest(name=created.name))).training_job
            adapter = (await api.GetAdapter(pb.GetAdapterRequest(name=job.adapter))).adapter
            await channel.close()
    finally:
        await support.stop_leftover_runs(settings)

    assert updates[-1].state == job_pb2.JOB_STATE_SUCCEEDED, updates[-1]
    assert job.total_steps == job.step == adapter.metrics.steps == 3
    assert adapter.base_model == "baseModels/smollm2-135m-instruct"
    assert adapter.base_model_revision == weights_revision(path)
    assert adapter.training_config.lora.rank == 4
    assert adapter.trainable_parameters > 0
    assert adapter.metrics.train_loss > 0
    assert adapter.attribution_features.size_bytes > 0

"""Proto ⇄ domain translation of ``openledger.modelfactory.v1``: every field of the domain
values reaches its message, unset optional fields stay None, enums map by name, and a bad fee
is INVALID_ARGUMENT naming its field."""

from __future__ import annotations

import dataclasses

import pytest
from google.protobuf import json_format

from openledger.common.v1 import chain_pb2, job_pb2
from openledger.modelfactory.v1 import base_model_pb2, job_config_pb2
from openledger_kit.errors import InvalidArgument
from openledger_modelfactory.api import convert
from openledger_modelfactory.domain.model import (
    AttributionSettings,
    JobConfig,
    JobState,
    LoraSettings,
    Precision,
    Preset,
    TaskTemplate,
)
from openledger_modelfactory.domain.service import ExportChunk
from services.modelfactory.tests import domain_samples as samples


def test_an_empty_config_is_all_unset() -> None:
    config = convert.job_config_from_proto(job_config_pb2.TrainingJobConfig())
    assert config == JobConfig()


def test_a_full_config_round_trips() -> None:
    requested = JobConfig(
        base_model="baseModels/tiny-llama",
        snapshot="datanets/medical/snapshots/v3",
        adapter_id="medical-qa",
        task_template=TaskTemplate.CHAT,
        field_mapping={"messages": "/dialogue"},
        lora=LoraSettings(rank=4, alpha=8.0, dropout=0.0, target_modules=("q_proj",)),
        epochs=2,
        max_steps=0,
        learning_rate=1e-3,
        warmup_ratio=0.0,
        weight_decay=0.01,
        batch_size=4,
        gradient_accumulation_steps=2,
        max_seq_length=32,
        seed=0,
        eval_fraction=0.0,
        num_workers=2,
        cpus_per_worker=1,
        gpus_per_worker=0,
        precision=Precision.FP32,
        checkpoint_every_steps=10,
        max_failures=0,
        fee_per_1k_tokens=0,
        preset="cpu-tiny",
        attribution=AttributionSettings(enabled=False, projection_dim=16, projection_seed=0),
    )
    message = convert.job_config_to_proto(requested)
    # Zero and False are set values, distinct from unset ones.
    assert message.HasField("max_steps") and message.max_steps == 0
    assert message.attribution.HasField("enabled") and not message.attribution.enabled
    assert message.fee_per_1k_tokens == "0"
    assert message.precision == job_config_pb2.TRAINING_PRECISION_FP32
    assert convert.job_config_from_proto(message) == requested


def test_resource_names_are_kept_as_given() -> None:
    message = job_config_pb2.TrainingJobConfig(base_model="tiny-llama", snapshot="nonsense")
    config = convert.job_config_from_proto(message)
    assert (config.base_model, config.snapshot) == ("tiny-llama", "nonsense")


@pytest.mark.parametrize("fee", ["-1", "1.5", "1e18", " 1", "0x10", "١٢", str(2**256)])
def test_a_bad_fee_names_its_field(fee: str) -> None:
    with pytest.raises(InvalidArgument) as error:
        convert.job_config_from_proto(job_config_pb2.TrainingJobConfig(fee_per_1k_tokens=fee))
    assert error.value.field == "training_job.config.fee_per_1k_tokens"


def test_a_big_fee_is_exact() -> None:
    config = convert.job_config_from_proto(
        job_config_pb2.TrainingJobConfig(fee_per_1k_tokens=str(2**256 - 1))
    )
    assert config.fee_per_1k_tokens == 2**256 - 1


def test_unknown_enum_numbers_name_their_field() -> None:
    message = job_config_pb2.TrainingJobConfig()
    message.task_template = 99  # type: ignore[assignment]
    with pytest.raises(InvalidArgument) as error:
        convert.job_config_from_proto(message)
    assert error.value.field == "training_job.config.task_template"
    with pytest.raises(InvalidArgument) as state:
        convert.job_state_from_proto(job_pb2.JOB_STATE_UNSPECIFIED, "states")
    assert state.value.field == "states"
    assert convert.job_state_from_proto(job_pb2.JOB_STATE_CANCELLING, "states") is (
        JobState.CANCELLING
    )


def test_resolved_config_is_written_with_every_field() -> None:
    resolved = samples.resolved_config()
    message = convert.job_config_to_proto(resolved)
    assert message.base_model == "baseModels/tiny-llama"
    assert message.task_template == job_config_pb2.TASK_TEMPLATE_INSTRUCTION
    assert message.precision == job_config_pb2.TRAINING_PRECISION_BF16
    assert message.fee_per_1k_tokens == str(10**20)
    for name in convert._SCALARS:
        assert message.HasField(name), name
    assert list(message.lora.target_modules) == ["q_proj", "v_proj"]
    assert message.lora.alpha == 16.0
    assert message.attribution.projection_dim == 64
    back = convert.job_config_from_proto(message)
    assert back.fee_per_1k_tokens == resolved.fee_per_1k_tokens
    assert back.lora.rank == resolved.lora.rank and back.seed == resolved.seed


def test_base_model() -> None:
    base = samples.base_model()
    message = convert.base_model_to_proto(base)
    assert message.name == "baseModels/tiny-llama"
    assert message.source == base_model_pb2.BASE_MODEL_SOURCE_PACKAGED
    assert message.tokenizer.eos_token == "</s>" and message.tokenizer.has_chat_template
    assert list(message.default_target_modules) == ["q_proj", "v_proj"]
    assert not message.available and message.unavailable_reason == "not built yet"
    assert (message.context_length, message.hidden_size, message.num_layers) == (64, 32, 2)
    bare = convert.base_model_to_proto(dataclasses.replace(base, tokenizer=None))
    assert not bare.HasField("tokenizer")


def test_training_job() -> None:
    job = samples.training_job(adapter="medical-qa@3")
    message = convert.training_job_to_proto(job)
    assert message.name == f"jobs/{job.id}"
    assert message.state == job_pb2.JOB_STATE_RUNNING
    assert message.owner == samples.OWNER
    assert message.snapshot_merkle_root == samples.ROOT
    assert message.progress == 0.5
    assert (message.attempt, message.max_attempts) == (2, 3)
    assert [a.attempt for a in message.attempts] == [1, 2]
    assert message.attempts[0].failure_reason == "WORKER_LOST"
    assert message.attempts[0].HasField("end_time")
    assert not message.attempts[1].HasField("end_time")
    assert message.resumed_from.step == 100
    assert message.latest_checkpoint.uri == "file:///ckpt/checkpoint_200"
    assert (message.step, message.total_steps, message.epoch) == (200, 400, 1.5)
    assert (message.loss, message.eval_loss, message.learning_rate) == (1.25, 1.5, 1e-4)
    assert message.tokens_per_second == 321.5 and message.tokens_processed == 102_400
    assert message.eta.ToNanoseconds() == 90_500_000_000
    assert (message.train_examples, message.eval_examples) == (280, 15)
    assert (message.skipped_examples, message.truncated_examples) == (5, 3)
    assert message.memory_estimate.base_model == "baseModels/tiny-llama"
    assert message.memory_estimate.total_bytes == 700_000
    assert message.adapter == "adapters/medical-qa@3"
    assert message.ray_job_id == "local:123:job:2"
    assert message.HasField("start_time") and not message.HasField("end_time")
    assert message.config.adapter_id == "medical-qa"


def test_a_preview_job_has_no_name_and_a_queued_one_no_times() -> None:
    queued = samples.training_job(
        id="",
        state=JobState.QUEUED,
        attempts=(),
        latest_checkpoint=None,
        start_time=None,
        progress=dataclasses.replace(samples.training_job().progress, eta_seconds=None),
    )
    message = convert.training_job_to_proto(queued)
    assert message.name == "" and message.attempt == 0
    assert not message.HasField("start_time") and not message.HasField("eta")
    assert not message.HasField("resumed_from") and not message.HasField("latest_checkpoint")
    assert message.adapter == ""


def test_job_update() -> None:
    job = samples.training_job()
    update = samples.job_update(job, 9, adapter="medical-qa@3", error_reason="")
    message = convert.job_update_to_proto(update)
    assert message.job == f"jobs/{job.id}"
    assert (message.sequence, message.attempt) == (9, 2)
    assert message.state == job_pb2.JOB_STATE_RUNNING
    assert message.checkpoint.step == 200
    assert message.message == "checkpoint saved"
    assert message.adapter == "adapters/medical-qa@3"
    assert message.eta.ToNanoseconds() == 90_500_000_000
    assert message.update_time.ToDatetime().isoformat() == "2026-03-01T12:05:09"
    bare = convert.job_update_to_proto(dataclasses.replace(update, checkpoint=None))
    assert not bare.HasField("checkpoint")


def test_adapter() -> None:
    adapter = samples.adapter()
    message = convert.adapter_to_proto(adapter)
    assert message.name == "adapters/medical-qa@3"
    assert (message.adapter_id, message.version) == ("medical-qa", 3)
    assert message.base_model == "baseModels/tiny-llama"
    assert message.snapshots[0].merkle_root == samples.ROOT
    assert message.training_job == f"jobs/{adapter.training_job}"
    assert message.training_config.base_model == "baseModels/tiny-llama"
    assert message.metrics.train_duration.ToNanoseconds() == 612_250_000_000
    assert dict(message.metrics.extra) == {"eval_token_accuracy": 0.42}
    assert message.metrics.steps == 400
    assert message.adapter_sha256 == adapter.adapter_model.sha256
    assert message.attribution_features.uri == adapter.attribution_features.uri  # type: ignore[union-attr]
    assert message.registration.status == chain_pb2.CHAIN_TRANSACTION_STATUS_SUCCEEDED
    assert message.registration.block_time.ToDatetime().isoformat() == "2026-03-01T12:11:00"
    assert message.fee_per_1k_tokens == str(10**20)
    assert message.owner == samples.OWNER
    bare = convert.adapter_to_proto(dataclasses.replace(adapter, attribution_features=None))
    assert not bare.HasField("attribution_features")
    # The proto3 JSON form (what clients and lineage tooling read) is well formed.
    assert json_format.MessageToDict(message)["feePer1kTokens"] == str(10**20)


def test_preset_and_export_chunk() -> None:
    preset = Preset(
        name="cpu-tiny",
        description="two cores",
        config=JobConfig(batch_size=2, lora=LoraSettings(rank=4)),
    )
    message = convert.preset_to_proto(preset, [samples.memory_estimate()])
    assert message.name == "cpu-tiny" and message.config.batch_size == 2
    assert not message.config.HasField("epochs")
    assert message.config.lora.rank == 4 and not message.config.lora.HasField("alpha")
    assert message.memory_estimates[0].trainable_parameters == 2048
    chunk = convert.export_chunk_to_proto(
        ExportChunk("lineage.json", 10, 4, b"abcdef", True, b"\x01" * 32)
    )
    assert (chunk.file_name, chunk.file_size, chunk.offset) == ("lineage.json", 10, 4)
    assert chunk.data == b"abcdef" and chunk.last_chunk and chunk.file_sha256 == b"\x01" * 32

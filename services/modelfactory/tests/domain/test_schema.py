"""The published JSON Schema of ``TrainingJobConfig``: valid draft 2020-12, in step with the
proto descriptor and the server's defaults, accepting every preset and refusing bad configs."""

from __future__ import annotations

import hashlib
import json
from typing import Any, cast

import pytest
from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from jsonschema import Draft202012Validator

from openledger.modelfactory.v1 import job_config_pb2
from openledger_modelfactory.domain.jobconfig import DEFAULTS
from openledger_modelfactory.domain.model import JobConfig
from openledger_modelfactory.domain.presets import PRESETS
from openledger_modelfactory.domain.schema import SCHEMA_ID, job_config_schema, schema_sha256

REQUIRED = {
    "base_model": "baseModels/tiny-llama",
    "snapshot": "datanets/qa-set/snapshots/v1",
    "adapter_id": "qa-bot",
    "task_template": "TASK_TEMPLATE_INSTRUCTION",
}


def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(job_config_schema())
    return loaded


def validator() -> Draft202012Validator:
    return Draft202012Validator(schema())


def to_proto(config: JobConfig) -> job_config_pb2.TrainingJobConfig:
    """``config`` as the proto message, the way a client would send it."""
    message = job_config_pb2.TrainingJobConfig(
        base_model=config.base_model,
        snapshot=config.snapshot,
        adapter_id=config.adapter_id,
        field_mapping=dict(config.field_mapping),
        preset=config.preset,
    )
    if config.task_template is not None:
        message.task_template = getattr(
            job_config_pb2, f"TASK_TEMPLATE_{config.task_template.value}"
        )
    if config.precision is not None:
        message.precision = getattr(job_config_pb2, f"TRAINING_PRECISION_{config.precision.value}")
    if config.fee_per_1k_tokens is not None:
        message.fee_per_1k_tokens = str(config.fee_per_1k_tokens)
    for name in (
        "epochs",
        "max_steps",
        "learning_rate",
        "warmup_ratio",
        "weight_decay",
        "batch_size",
        "gradient_accumulation_steps",
        "max_seq_length",
        "seed",
        "eval_fraction",
        "num_workers",
        "cpus_per_worker",
        "gpus_per_worker",
        "checkpoint_every_steps",
        "max_failures",
    ):
        value = getattr(config, name)
        if value is not None:
            setattr(message, name, value)
    lora = config.lora
    for name in ("rank", "alpha", "dropout"):
        if getattr(lora, name) is not None:
            setattr(message.lora, name, getattr(lora, name))
    message.lora.target_modules.extend(lora.target_modules)
    attribution = config.attribution
    for name in ("enabled", "projection_dim", "projection_seed"):
        if getattr(attribution, name) is not None:
            setattr(message.attribution, name, getattr(attribution, name))
    return message


def proto3_json(config: JobConfig) -> dict[str, Any]:
    document: dict[str, Any] = json_format.MessageToDict(
        to_proto(config), preserving_proto_field_name=True
    )
    return document


def test_schema_is_valid_draft_2020_12() -> None:
    document = schema()
    Draft202012Validator.check_schema(document)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert document["$id"] == SCHEMA_ID
    assert document["required"] == ["base_model", "snapshot", "adapter_id", "task_template"]
    assert document["additionalProperties"] is False


def test_schema_text_is_canonical_and_hash_is_stable() -> None:
    text = job_config_schema()
    assert text == json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"))
    assert schema_sha256(text) == hashlib.sha256(text.encode()).digest()
    assert schema_sha256(job_config_schema()) == schema_sha256(text)


def _check_fields(descriptor: Descriptor, node: dict[str, Any], where: str) -> None:
    properties = node["properties"]
    assert set(properties) == {f.name for f in descriptor.fields}, where
    assert node["additionalProperties"] is False, where
    for field in descriptor.fields:
        prop = properties[field.name]
        path = f"{where}.{field.name}"
        assert prop["description"], path
        assert prop["title"], path
        message = field.message_type
        if message is not None and message.GetOptions().map_entry:
            assert prop["type"] == "object", path
        elif message is not None:
            _check_fields(message, prop, path)
        elif field.is_repeated:
            assert prop["type"] == "array", path
        elif field.enum_type is not None:
            names = [v.name for v in field.enum_type.values]
            offered = prop["enum"]
            assert set(offered) <= set(names), path
            # Only an UNSPECIFIED that the server refuses may be left out.
            assert set(names) - set(offered) <= {names[0]}, path
        elif field.type in (FieldDescriptor.TYPE_INT64, FieldDescriptor.TYPE_UINT64):
            kinds = [choice["type"] for choice in prop["anyOf"]]
            assert kinds == ["integer", "string"], path
        elif field.type == FieldDescriptor.TYPE_INT32:
            assert prop["type"] == "integer", path
        elif field.type == FieldDescriptor.TYPE_DOUBLE:
            assert prop["type"] == "number", path
        elif field.type == FieldDescriptor.TYPE_BOOL:
            assert prop["type"] == "boolean", path
        else:
            assert field.type == FieldDescriptor.TYPE_STRING, path
            assert prop["type"] == "string", path


def test_every_proto_field_is_in_the_schema_with_its_json_type() -> None:
    descriptor = cast(Descriptor, job_config_pb2.TrainingJobConfig.DESCRIPTOR)
    _check_fields(descriptor, schema(), "TrainingJobConfig")


def test_task_template_refuses_unspecified_and_precision_allows_it() -> None:
    properties = schema()["properties"]
    assert "TASK_TEMPLATE_UNSPECIFIED" not in properties["task_template"]["enum"]
    assert "TRAINING_PRECISION_UNSPECIFIED" in properties["precision"]["enum"]


def test_schema_defaults_are_the_server_defaults() -> None:
    properties = schema()["properties"]

    def defaults(props: dict[str, Any]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for name, prop in props.items():
            if "default" in prop:
                found[name] = prop["default"]
            elif "properties" in prop:
                found[name] = defaults(prop["properties"])
        return found

    document = defaults(properties)
    parsed = json_format.ParseDict(document, job_config_pb2.TrainingJobConfig())
    assert parsed == to_proto(DEFAULTS)


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_validates(name: str) -> None:
    preset = PRESETS[name]
    alone = proto3_json(preset.config)
    validator().validate({**REQUIRED, **alone})
    validator().validate({**REQUIRED, "preset": name})


def test_server_defaults_validate_in_proto3_json() -> None:
    document = {**REQUIRED, **proto3_json(DEFAULTS)}
    assert document["seed"] == "42"  # int64 as a decimal string
    validator().validate(document)


def test_full_config_validates() -> None:
    document = {
        **REQUIRED,
        "field_mapping": {"instruction": "/question", "input": "/ctx~1more", "output": "/a/0"},
        "lora": {"rank": 8, "alpha": 16, "dropout": 0.1, "target_modules": ["q_proj"]},
        "epochs": 2,
        "max_steps": 100,
        "seed": 7,
        "precision": "TRAINING_PRECISION_BF16",
        "gpus_per_worker": 1,
        "fee_per_1k_tokens": "1000000000000",
        "preset": "cpu-tiny",
        "attribution": {"enabled": False, "projection_dim": 16, "projection_seed": "99"},
    }
    validator().validate(document)


BAD: list[tuple[str, dict[str, Any]]] = [
    ("missing adapter_id", {k: v for k, v in REQUIRED.items() if k != "adapter_id"}),
    ("unknown field", {**REQUIRED, "learningRate": 0.1}),
    ("bad base model name", {**REQUIRED, "base_model": "tiny-llama"}),
    ("bad snapshot name", {**REQUIRED, "snapshot": "datanets/qa-set"}),
    ("bad adapter id", {**REQUIRED, "adapter_id": "QA"}),
    ("unspecified template", {**REQUIRED, "task_template": "TASK_TEMPLATE_UNSPECIFIED"}),
    ("unknown template", {**REQUIRED, "task_template": "INSTRUCTION"}),
    ("epochs 0", {**REQUIRED, "epochs": 0}),
    ("epochs as float", {**REQUIRED, "epochs": 1.5}),
    ("learning rate 0", {**REQUIRED, "learning_rate": 0}),
    ("warmup too high", {**REQUIRED, "warmup_ratio": 0.6}),
    ("seed above uint32", {**REQUIRED, "seed": 2**32}),
    ("seed not decimal", {**REQUIRED, "seed": "0x10"}),
    ("negative max steps", {**REQUIRED, "max_steps": "-1"}),
    ("fee negative", {**REQUIRED, "fee_per_1k_tokens": "-1"}),
    ("fee leading zero", {**REQUIRED, "fee_per_1k_tokens": "01"}),
    ("fee as number", {**REQUIRED, "fee_per_1k_tokens": 5}),
    ("fee too long", {**REQUIRED, "fee_per_1k_tokens": "1" * 79}),
    ("unknown preset", {**REQUIRED, "preset": "huge"}),
    ("unknown precision", {**REQUIRED, "precision": "TRAINING_PRECISION_INT8"}),
    ("rank 0", {**REQUIRED, "lora": {"rank": 0}}),
    ("alpha 0", {**REQUIRED, "lora": {"alpha": 0}}),
    ("duplicate targets", {**REQUIRED, "lora": {"target_modules": ["q_proj", "q_proj"]}}),
    ("unknown lora field", {**REQUIRED, "lora": {"r": 8}}),
    ("projection too small", {**REQUIRED, "attribution": {"projection_dim": 8}}),
    ("unknown slot", {**REQUIRED, "field_mapping": {"question": "/q"}}),
    ("slot of another template", {**REQUIRED, "field_mapping": {"messages": "/m"}}),
    ("pointer without slash", {**REQUIRED, "field_mapping": {"output": "answer"}}),
    ("bad pointer escape", {**REQUIRED, "field_mapping": {"output": "/a~2"}}),
]


@pytest.mark.parametrize(("case", "document"), BAD, ids=[case for case, _ in BAD])
def test_bad_documents_fail(case: str, document: dict[str, Any]) -> None:
    assert not validator().is_valid(document), case


def test_chat_slots_are_allowed_for_chat() -> None:
    document = {
        **REQUIRED,
        "task_template": "TASK_TEMPLATE_CHAT",
        "field_mapping": {"messages": "/turns", "system": "/persona"},
    }
    validator().validate(document)

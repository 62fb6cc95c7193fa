import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from openledger.common.v1 import chain_pb2 as _chain_pb2
from openledger.common.v1 import object_ref_pb2 as _object_ref_pb2
from openledger.modelfactory.v1 import job_config_pb2 as _job_config_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Adapter(_message.Message):
    __slots__ = ("name", "adapter_id", "version", "base_model", "base_model_revision", "snapshots", "training_job", "training_config", "prompt_template", "metrics", "adapter_sha256", "trainable_parameters", "adapter_model", "adapter_config", "lineage_manifest", "attribution_features", "registration", "owner", "fee_per_1k_tokens", "create_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ADAPTER_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    BASE_MODEL_FIELD_NUMBER: _ClassVar[int]
    BASE_MODEL_REVISION_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOTS_FIELD_NUMBER: _ClassVar[int]
    TRAINING_JOB_FIELD_NUMBER: _ClassVar[int]
    TRAINING_CONFIG_FIELD_NUMBER: _ClassVar[int]
    PROMPT_TEMPLATE_FIELD_NUMBER: _ClassVar[int]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    ADAPTER_SHA256_FIELD_NUMBER: _ClassVar[int]
    TRAINABLE_PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    ADAPTER_MODEL_FIELD_NUMBER: _ClassVar[int]
    ADAPTER_CONFIG_FIELD_NUMBER: _ClassVar[int]
    LINEAGE_MANIFEST_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTION_FEATURES_FIELD_NUMBER: _ClassVar[int]
    REGISTRATION_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    FEE_PER_1K_TOKENS_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    adapter_id: str
    version: int
    base_model: str
    base_model_revision: str
    snapshots: _containers.RepeatedCompositeFieldContainer[SnapshotLineage]
    training_job: str
    training_config: _job_config_pb2.TrainingJobConfig
    prompt_template: str
    metrics: AdapterMetrics
    adapter_sha256: bytes
    trainable_parameters: int
    adapter_model: _object_ref_pb2.ObjectRef
    adapter_config: _object_ref_pb2.ObjectRef
    lineage_manifest: _object_ref_pb2.ObjectRef
    attribution_features: _object_ref_pb2.ObjectRef
    registration: _chain_pb2.ChainTransaction
    owner: str
    fee_per_1k_tokens: str
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., adapter_id: _Optional[str] = ..., version: _Optional[int] = ..., base_model: _Optional[str] = ..., base_model_revision: _Optional[str] = ..., snapshots: _Optional[_Iterable[_Union[SnapshotLineage, _Mapping]]] = ..., training_job: _Optional[str] = ..., training_config: _Optional[_Union[_job_config_pb2.TrainingJobConfig, _Mapping]] = ..., prompt_template: _Optional[str] = ..., metrics: _Optional[_Union[AdapterMetrics, _Mapping]] = ..., adapter_sha256: _Optional[bytes] = ..., trainable_parameters: _Optional[int] = ..., adapter_model: _Optional[_Union[_object_ref_pb2.ObjectRef, _Mapping]] = ..., adapter_config: _Optional[_Union[_object_ref_pb2.ObjectRef, _Mapping]] = ..., lineage_manifest: _Optional[_Union[_object_ref_pb2.ObjectRef, _Mapping]] = ..., attribution_features: _Optional[_Union[_object_ref_pb2.ObjectRef, _Mapping]] = ..., registration: _Optional[_Union[_chain_pb2.ChainTransaction, _Mapping]] = ..., owner: _Optional[str] = ..., fee_per_1k_tokens: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class SnapshotLineage(_message.Message):
    __slots__ = ("snapshot", "merkle_root", "record_count")
    SNAPSHOT_FIELD_NUMBER: _ClassVar[int]
    MERKLE_ROOT_FIELD_NUMBER: _ClassVar[int]
    RECORD_COUNT_FIELD_NUMBER: _ClassVar[int]
    snapshot: str
    merkle_root: bytes
    record_count: int
    def __init__(self, snapshot: _Optional[str] = ..., merkle_root: _Optional[bytes] = ..., record_count: _Optional[int] = ...) -> None: ...

class AdapterMetrics(_message.Message):
    __slots__ = ("train_loss", "eval_loss", "eval_perplexity", "train_examples", "eval_examples", "train_tokens", "steps", "train_duration", "extra")
    class ExtraEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    TRAIN_LOSS_FIELD_NUMBER: _ClassVar[int]
    EVAL_LOSS_FIELD_NUMBER: _ClassVar[int]
    EVAL_PERPLEXITY_FIELD_NUMBER: _ClassVar[int]
    TRAIN_EXAMPLES_FIELD_NUMBER: _ClassVar[int]
    EVAL_EXAMPLES_FIELD_NUMBER: _ClassVar[int]
    TRAIN_TOKENS_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    TRAIN_DURATION_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    train_loss: float
    eval_loss: float
    eval_perplexity: float
    train_examples: int
    eval_examples: int
    train_tokens: int
    steps: int
    train_duration: _duration_pb2.Duration
    extra: _containers.ScalarMap[str, float]
    def __init__(self, train_loss: _Optional[float] = ..., eval_loss: _Optional[float] = ..., eval_perplexity: _Optional[float] = ..., train_examples: _Optional[int] = ..., eval_examples: _Optional[int] = ..., train_tokens: _Optional[int] = ..., steps: _Optional[int] = ..., train_duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., extra: _Optional[_Mapping[str, float]] = ...) -> None: ...

import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from openledger.common.v1 import chain_pb2 as _chain_pb2
from openledger.common.v1 import job_pb2 as _job_pb2
from openledger.common.v1 import object_ref_pb2 as _object_ref_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TrainingJobUpdated(_message.Message):
    __slots__ = ("job", "sequence", "state", "owner_address", "base_model", "snapshots", "step", "total_steps", "progress", "loss", "tokens_per_second", "eta", "adapter", "error_reason", "error_message", "create_time", "start_time", "end_time", "update_time")
    JOB_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    OWNER_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    BASE_MODEL_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOTS_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    TOTAL_STEPS_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    LOSS_FIELD_NUMBER: _ClassVar[int]
    TOKENS_PER_SECOND_FIELD_NUMBER: _ClassVar[int]
    ETA_FIELD_NUMBER: _ClassVar[int]
    ADAPTER_FIELD_NUMBER: _ClassVar[int]
    ERROR_REASON_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    job: str
    sequence: int
    state: _job_pb2.JobState
    owner_address: str
    base_model: str
    snapshots: _containers.RepeatedScalarFieldContainer[str]
    step: int
    total_steps: int
    progress: float
    loss: float
    tokens_per_second: float
    eta: _duration_pb2.Duration
    adapter: str
    error_reason: str
    error_message: str
    create_time: _timestamp_pb2.Timestamp
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, job: _Optional[str] = ..., sequence: _Optional[int] = ..., state: _Optional[_Union[_job_pb2.JobState, str]] = ..., owner_address: _Optional[str] = ..., base_model: _Optional[str] = ..., snapshots: _Optional[_Iterable[str]] = ..., step: _Optional[int] = ..., total_steps: _Optional[int] = ..., progress: _Optional[float] = ..., loss: _Optional[float] = ..., tokens_per_second: _Optional[float] = ..., eta: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., adapter: _Optional[str] = ..., error_reason: _Optional[str] = ..., error_message: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class AdapterTrainingSnapshot(_message.Message):
    __slots__ = ("snapshot", "merkle_root", "record_count")
    SNAPSHOT_FIELD_NUMBER: _ClassVar[int]
    MERKLE_ROOT_FIELD_NUMBER: _ClassVar[int]
    RECORD_COUNT_FIELD_NUMBER: _ClassVar[int]
    snapshot: str
    merkle_root: bytes
    record_count: int
    def __init__(self, snapshot: _Optional[str] = ..., merkle_root: _Optional[bytes] = ..., record_count: _Optional[int] = ...) -> None: ...

class AdapterPublished(_message.Message):
    __slots__ = ("adapter_id", "version", "adapter", "base_model", "base_model_revision", "snapshots", "adapter_sha256", "adapter_model", "adapter_config", "lineage_manifest", "attribution_features", "prompt_template", "fee_per_1k_tokens", "owner_address", "training_job", "registration", "publish_time")
    ADAPTER_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ADAPTER_FIELD_NUMBER: _ClassVar[int]
    BASE_MODEL_FIELD_NUMBER: _ClassVar[int]
    BASE_MODEL_REVISION_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOTS_FIELD_NUMBER: _ClassVar[int]
    ADAPTER_SHA256_FIELD_NUMBER: _ClassVar[int]
    ADAPTER_MODEL_FIELD_NUMBER: _ClassVar[int]
    ADAPTER_CONFIG_FIELD_NUMBER: _ClassVar[int]
    LINEAGE_MANIFEST_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTION_FEATURES_FIELD_NUMBER: _ClassVar[int]
    PROMPT_TEMPLATE_FIELD_NUMBER: _ClassVar[int]
    FEE_PER_1K_TOKENS_FIELD_NUMBER: _ClassVar[int]
    OWNER_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    TRAINING_JOB_FIELD_NUMBER: _ClassVar[int]
    REGISTRATION_FIELD_NUMBER: _ClassVar[int]
    PUBLISH_TIME_FIELD_NUMBER: _ClassVar[int]
    adapter_id: str
    version: int
    adapter: str
    base_model: str
    base_model_revision: str
    snapshots: _containers.RepeatedCompositeFieldContainer[AdapterTrainingSnapshot]
    adapter_sha256: bytes
    adapter_model: _object_ref_pb2.ObjectRef
    adapter_config: _object_ref_pb2.ObjectRef
    lineage_manifest: _object_ref_pb2.ObjectRef
    attribution_features: _object_ref_pb2.ObjectRef
    prompt_template: str
    fee_per_1k_tokens: str
    owner_address: str
    training_job: str
    registration: _chain_pb2.ChainTransaction
    publish_time: _timestamp_pb2.Timestamp
    def __init__(self, adapter_id: _Optional[str] = ..., version: _Optional[int] = ..., adapter: _Optional[str] = ..., base_model: _Optional[str] = ..., base_model_revision: _Optional[str] = ..., snapshots: _Optional[_Iterable[_Union[AdapterTrainingSnapshot, _Mapping]]] = ..., adapter_sha256: _Optional[bytes] = ..., adapter_model: _Optional[_Union[_object_ref_pb2.ObjectRef, _Mapping]] = ..., adapter_config: _Optional[_Union[_object_ref_pb2.ObjectRef, _Mapping]] = ..., lineage_manifest: _Optional[_Union[_object_ref_pb2.ObjectRef, _Mapping]] = ..., attribution_features: _Optional[_Union[_object_ref_pb2.ObjectRef, _Mapping]] = ..., prompt_template: _Optional[str] = ..., fee_per_1k_tokens: _Optional[str] = ..., owner_address: _Optional[str] = ..., training_job: _Optional[str] = ..., registration: _Optional[_Union[_chain_pb2.ChainTransaction, _Mapping]] = ..., publish_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

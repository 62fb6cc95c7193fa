import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from openledger.common.v1 import job_pb2 as _job_pb2
from openledger.modelfactory.v1 import job_config_pb2 as _job_config_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TrainingJob(_message.Message):
    __slots__ = ("name", "display_name", "owner", "config", "snapshot_merkle_root", "state", "progress", "create_time", "start_time", "end_time", "update_time", "error_reason", "error_message", "attempt", "max_attempts", "resumed_from", "attempts", "step", "total_steps", "epoch", "loss", "eval_loss", "learning_rate", "tokens_per_second", "eta", "tokens_processed", "latest_checkpoint", "train_examples", "eval_examples", "skipped_examples", "truncated_examples", "memory_estimate", "adapter", "ray_job_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_MERKLE_ROOT_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ERROR_REASON_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    MAX_ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    RESUMED_FROM_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    TOTAL_STEPS_FIELD_NUMBER: _ClassVar[int]
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    LOSS_FIELD_NUMBER: _ClassVar[int]
    EVAL_LOSS_FIELD_NUMBER: _ClassVar[int]
    LEARNING_RATE_FIELD_NUMBER: _ClassVar[int]
    TOKENS_PER_SECOND_FIELD_NUMBER: _ClassVar[int]
    ETA_FIELD_NUMBER: _ClassVar[int]
    TOKENS_PROCESSED_FIELD_NUMBER: _ClassVar[int]
    LATEST_CHECKPOINT_FIELD_NUMBER: _ClassVar[int]
    TRAIN_EXAMPLES_FIELD_NUMBER: _ClassVar[int]
    EVAL_EXAMPLES_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_EXAMPLES_FIELD_NUMBER: _ClassVar[int]
    TRUNCATED_EXAMPLES_FIELD_NUMBER: _ClassVar[int]
    MEMORY_ESTIMATE_FIELD_NUMBER: _ClassVar[int]
    ADAPTER_FIELD_NUMBER: _ClassVar[int]
    RAY_JOB_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    display_name: str
    owner: str
    config: _job_config_pb2.TrainingJobConfig
    snapshot_merkle_root: bytes
    state: _job_pb2.JobState
    progress: float
    create_time: _timestamp_pb2.Timestamp
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    error_reason: str
    error_message: str
    attempt: int
    max_attempts: int
    resumed_from: TrainingCheckpoint
    attempts: _containers.RepeatedCompositeFieldContainer[TrainingAttempt]
    step: int
    total_steps: int
    epoch: float
    loss: float
    eval_loss: float
    learning_rate: float
    tokens_per_second: float
    eta: _duration_pb2.Duration
    tokens_processed: int
    latest_checkpoint: TrainingCheckpoint
    train_examples: int
    eval_examples: int
    skipped_examples: int
    truncated_examples: int
    memory_estimate: _job_config_pb2.MemoryEstimate
    adapter: str
    ray_job_id: str
    def __init__(self, name: _Optional[str] = ..., display_name: _Optional[str] = ..., owner: _Optional[str] = ..., config: _Optional[_Union[_job_config_pb2.TrainingJobConfig, _Mapping]] = ..., snapshot_merkle_root: _Optional[bytes] = ..., state: _Optional[_Union[_job_pb2.JobState, str]] = ..., progress: _Optional[float] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., error_reason: _Optional[str] = ..., error_message: _Optional[str] = ..., attempt: _Optional[int] = ..., max_attempts: _Optional[int] = ..., resumed_from: _Optional[_Union[TrainingCheckpoint, _Mapping]] = ..., attempts: _Optional[_Iterable[_Union[TrainingAttempt, _Mapping]]] = ..., step: _Optional[int] = ..., total_steps: _Optional[int] = ..., epoch: _Optional[float] = ..., loss: _Optional[float] = ..., eval_loss: _Optional[float] = ..., learning_rate: _Optional[float] = ..., tokens_per_second: _Optional[float] = ..., eta: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., tokens_processed: _Optional[int] = ..., latest_checkpoint: _Optional[_Union[TrainingCheckpoint, _Mapping]] = ..., train_examples: _Optional[int] = ..., eval_examples: _Optional[int] = ..., skipped_examples: _Optional[int] = ..., truncated_examples: _Optional[int] = ..., memory_estimate: _Optional[_Union[_job_config_pb2.MemoryEstimate, _Mapping]] = ..., adapter: _Optional[str] = ..., ray_job_id: _Optional[str] = ...) -> None: ...

class TrainingCheckpoint(_message.Message):
    __slots__ = ("step", "epoch", "loss", "uri", "create_time")
    STEP_FIELD_NUMBER: _ClassVar[int]
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    LOSS_FIELD_NUMBER: _ClassVar[int]
    URI_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    step: int
    epoch: float
    loss: float
    uri: str
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, step: _Optional[int] = ..., epoch: _Optional[float] = ..., loss: _Optional[float] = ..., uri: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class TrainingAttempt(_message.Message):
    __slots__ = ("attempt", "start_time", "end_time", "resumed_from", "failure_reason", "failure_message")
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    RESUMED_FROM_FIELD_NUMBER: _ClassVar[int]
    FAILURE_REASON_FIELD_NUMBER: _ClassVar[int]
    FAILURE_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    attempt: int
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    resumed_from: TrainingCheckpoint
    failure_reason: str
    failure_message: str
    def __init__(self, attempt: _Optional[int] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., resumed_from: _Optional[_Union[TrainingCheckpoint, _Mapping]] = ..., failure_reason: _Optional[str] = ..., failure_message: _Optional[str] = ...) -> None: ...

class TrainingJobUpdate(_message.Message):
    __slots__ = ("job", "sequence", "state", "attempt", "step", "total_steps", "epoch", "loss", "eval_loss", "learning_rate", "tokens_per_second", "eta", "progress", "checkpoint", "message", "adapter", "error_reason", "error_message", "update_time")
    JOB_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    TOTAL_STEPS_FIELD_NUMBER: _ClassVar[int]
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    LOSS_FIELD_NUMBER: _ClassVar[int]
    EVAL_LOSS_FIELD_NUMBER: _ClassVar[int]
    LEARNING_RATE_FIELD_NUMBER: _ClassVar[int]
    TOKENS_PER_SECOND_FIELD_NUMBER: _ClassVar[int]
    ETA_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    ADAPTER_FIELD_NUMBER: _ClassVar[int]
    ERROR_REASON_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    job: str
    sequence: int
    state: _job_pb2.JobState
    attempt: int
    step: int
    total_steps: int
    epoch: float
    loss: float
    eval_loss: float
    learning_rate: float
    tokens_per_second: float
    eta: _duration_pb2.Duration
    progress: float
    checkpoint: TrainingCheckpoint
    message: str
    adapter: str
    error_reason: str
    error_message: str
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, job: _Optional[str] = ..., sequence: _Optional[int] = ..., state: _Optional[_Union[_job_pb2.JobState, str]] = ..., attempt: _Optional[int] = ..., step: _Optional[int] = ..., total_steps: _Optional[int] = ..., epoch: _Optional[float] = ..., loss: _Optional[float] = ..., eval_loss: _Optional[float] = ..., learning_rate: _Optional[float] = ..., tokens_per_second: _Optional[float] = ..., eta: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., progress: _Optional[float] = ..., checkpoint: _Optional[_Union[TrainingCheckpoint, _Mapping]] = ..., message: _Optional[str] = ..., adapter: _Optional[str] = ..., error_reason: _Optional[str] = ..., error_message: _Optional[str] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

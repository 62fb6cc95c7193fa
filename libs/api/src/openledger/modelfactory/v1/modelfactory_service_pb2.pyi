from openledger.common.v1 import job_pb2 as _job_pb2
from openledger.modelfactory.v1 import adapter_pb2 as _adapter_pb2
from openledger.modelfactory.v1 import base_model_pb2 as _base_model_pb2
from openledger.modelfactory.v1 import job_config_pb2 as _job_config_pb2
from openledger.modelfactory.v1 import training_job_pb2 as _training_job_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ListBaseModelsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "available_only", "architecture")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_ONLY_FIELD_NUMBER: _ClassVar[int]
    ARCHITECTURE_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    available_only: bool
    architecture: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., available_only: _Optional[bool] = ..., architecture: _Optional[str] = ...) -> None: ...

class ListBaseModelsResponse(_message.Message):
    __slots__ = ("base_models", "next_page_token", "total_size")
    BASE_MODELS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    base_models: _containers.RepeatedCompositeFieldContainer[_base_model_pb2.BaseModel]
    next_page_token: str
    total_size: int
    def __init__(self, base_models: _Optional[_Iterable[_Union[_base_model_pb2.BaseModel, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class GetJobConfigSchemaRequest(_message.Message):
    __slots__ = ("base_model",)
    BASE_MODEL_FIELD_NUMBER: _ClassVar[int]
    base_model: str
    def __init__(self, base_model: _Optional[str] = ...) -> None: ...

class GetJobConfigSchemaResponse(_message.Message):
    __slots__ = ("json_schema", "schema_id", "schema_sha256", "presets", "defaults")
    JSON_SCHEMA_FIELD_NUMBER: _ClassVar[int]
    SCHEMA_ID_FIELD_NUMBER: _ClassVar[int]
    SCHEMA_SHA256_FIELD_NUMBER: _ClassVar[int]
    PRESETS_FIELD_NUMBER: _ClassVar[int]
    DEFAULTS_FIELD_NUMBER: _ClassVar[int]
    json_schema: str
    schema_id: str
    schema_sha256: bytes
    presets: _containers.RepeatedCompositeFieldContainer[_job_config_pb2.JobConfigPreset]
    defaults: _job_config_pb2.TrainingJobConfig
    def __init__(self, json_schema: _Optional[str] = ..., schema_id: _Optional[str] = ..., schema_sha256: _Optional[bytes] = ..., presets: _Optional[_Iterable[_Union[_job_config_pb2.JobConfigPreset, _Mapping]]] = ..., defaults: _Optional[_Union[_job_config_pb2.TrainingJobConfig, _Mapping]] = ...) -> None: ...

class CreateTrainingJobRequest(_message.Message):
    __slots__ = ("request_id", "training_job", "validate_only")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    TRAINING_JOB_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    training_job: _training_job_pb2.TrainingJob
    validate_only: bool
    def __init__(self, request_id: _Optional[str] = ..., training_job: _Optional[_Union[_training_job_pb2.TrainingJob, _Mapping]] = ..., validate_only: _Optional[bool] = ...) -> None: ...

class CreateTrainingJobResponse(_message.Message):
    __slots__ = ("training_job",)
    TRAINING_JOB_FIELD_NUMBER: _ClassVar[int]
    training_job: _training_job_pb2.TrainingJob
    def __init__(self, training_job: _Optional[_Union[_training_job_pb2.TrainingJob, _Mapping]] = ...) -> None: ...

class GetJobRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetJobResponse(_message.Message):
    __slots__ = ("training_job",)
    TRAINING_JOB_FIELD_NUMBER: _ClassVar[int]
    training_job: _training_job_pb2.TrainingJob
    def __init__(self, training_job: _Optional[_Union[_training_job_pb2.TrainingJob, _Mapping]] = ...) -> None: ...

class ListJobsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "states", "snapshot", "base_model", "owner", "adapter_id")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATES_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_FIELD_NUMBER: _ClassVar[int]
    BASE_MODEL_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    ADAPTER_ID_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    states: _containers.RepeatedScalarFieldContainer[_job_pb2.JobState]
    snapshot: str
    base_model: str
    owner: str
    adapter_id: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., states: _Optional[_Iterable[_Union[_job_pb2.JobState, str]]] = ..., snapshot: _Optional[str] = ..., base_model: _Optional[str] = ..., owner: _Optional[str] = ..., adapter_id: _Optional[str] = ...) -> None: ...

class ListJobsResponse(_message.Message):
    __slots__ = ("training_jobs", "next_page_token", "total_size")
    TRAINING_JOBS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    training_jobs: _containers.RepeatedCompositeFieldContainer[_training_job_pb2.TrainingJob]
    next_page_token: str
    total_size: int
    def __init__(self, training_jobs: _Optional[_Iterable[_Union[_training_job_pb2.TrainingJob, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class CancelJobRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class CancelJobResponse(_message.Message):
    __slots__ = ("training_job",)
    TRAINING_JOB_FIELD_NUMBER: _ClassVar[int]
    training_job: _training_job_pb2.TrainingJob
    def __init__(self, training_job: _Optional[_Union[_training_job_pb2.TrainingJob, _Mapping]] = ...) -> None: ...

class WatchJobRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class WatchJobResponse(_message.Message):
    __slots__ = ("update",)
    UPDATE_FIELD_NUMBER: _ClassVar[int]
    update: _training_job_pb2.TrainingJobUpdate
    def __init__(self, update: _Optional[_Union[_training_job_pb2.TrainingJobUpdate, _Mapping]] = ...) -> None: ...

class GetAdapterRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetAdapterResponse(_message.Message):
    __slots__ = ("adapter",)
    ADAPTER_FIELD_NUMBER: _ClassVar[int]
    adapter: _adapter_pb2.Adapter
    def __init__(self, adapter: _Optional[_Union[_adapter_pb2.Adapter, _Mapping]] = ...) -> None: ...

class ListAdaptersRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "adapter_id", "base_model", "owner", "snapshot", "latest_only")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    ADAPTER_ID_FIELD_NUMBER: _ClassVar[int]
    BASE_MODEL_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_FIELD_NUMBER: _ClassVar[int]
    LATEST_ONLY_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    adapter_id: str
    base_model: str
    owner: str
    snapshot: str
    latest_only: bool
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., adapter_id: _Optional[str] = ..., base_model: _Optional[str] = ..., owner: _Optional[str] = ..., snapshot: _Optional[str] = ..., latest_only: _Optional[bool] = ...) -> None: ...

class ListAdaptersResponse(_message.Message):
    __slots__ = ("adapters", "next_page_token", "total_size")
    ADAPTERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    adapters: _containers.RepeatedCompositeFieldContainer[_adapter_pb2.Adapter]
    next_page_token: str
    total_size: int
    def __init__(self, adapters: _Optional[_Iterable[_Union[_adapter_pb2.Adapter, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class ExportAdapterRequest(_message.Message):
    __slots__ = ("name", "include_attribution_features", "start_file", "start_offset")
    NAME_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_ATTRIBUTION_FEATURES_FIELD_NUMBER: _ClassVar[int]
    START_FILE_FIELD_NUMBER: _ClassVar[int]
    START_OFFSET_FIELD_NUMBER: _ClassVar[int]
    name: str
    include_attribution_features: bool
    start_file: str
    start_offset: int
    def __init__(self, name: _Optional[str] = ..., include_attribution_features: _Optional[bool] = ..., start_file: _Optional[str] = ..., start_offset: _Optional[int] = ...) -> None: ...

class ExportAdapterResponse(_message.Message):
    __slots__ = ("file_name", "file_size", "offset", "data", "last_chunk", "file_sha256")
    FILE_NAME_FIELD_NUMBER: _ClassVar[int]
    FILE_SIZE_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    LAST_CHUNK_FIELD_NUMBER: _ClassVar[int]
    FILE_SHA256_FIELD_NUMBER: _ClassVar[int]
    file_name: str
    file_size: int
    offset: int
    data: bytes
    last_chunk: bool
    file_sha256: bytes
    def __init__(self, file_name: _Optional[str] = ..., file_size: _Optional[int] = ..., offset: _Optional[int] = ..., data: _Optional[bytes] = ..., last_chunk: _Optional[bool] = ..., file_sha256: _Optional[bytes] = ...) -> None: ...

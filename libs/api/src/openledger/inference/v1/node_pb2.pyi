import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from openledger.inference.v1 import adapter_pb2 as _adapter_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class EngineKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ENGINE_KIND_UNSPECIFIED: _ClassVar[EngineKind]
    ENGINE_KIND_TORCH: _ClassVar[EngineKind]
    ENGINE_KIND_VLLM: _ClassVar[EngineKind]

class NodeState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    NODE_STATE_UNSPECIFIED: _ClassVar[NodeState]
    NODE_STATE_REGISTERED: _ClassVar[NodeState]
    NODE_STATE_ACTIVE: _ClassVar[NodeState]
    NODE_STATE_DRAINING: _ClassVar[NodeState]
    NODE_STATE_UNHEALTHY: _ClassVar[NodeState]
    NODE_STATE_REMOVED: _ClassVar[NodeState]
ENGINE_KIND_UNSPECIFIED: EngineKind
ENGINE_KIND_TORCH: EngineKind
ENGINE_KIND_VLLM: EngineKind
NODE_STATE_UNSPECIFIED: NodeState
NODE_STATE_REGISTERED: NodeState
NODE_STATE_ACTIVE: NodeState
NODE_STATE_DRAINING: NodeState
NODE_STATE_UNHEALTHY: NodeState
NODE_STATE_REMOVED: NodeState

class NodeCapacity(_message.Message):
    __slots__ = ("max_concurrent_requests", "max_loras", "max_cpu_loras", "max_lora_rank", "max_context_tokens", "device", "accelerator_count", "accelerator_memory_bytes")
    MAX_CONCURRENT_REQUESTS_FIELD_NUMBER: _ClassVar[int]
    MAX_LORAS_FIELD_NUMBER: _ClassVar[int]
    MAX_CPU_LORAS_FIELD_NUMBER: _ClassVar[int]
    MAX_LORA_RANK_FIELD_NUMBER: _ClassVar[int]
    MAX_CONTEXT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    ACCELERATOR_COUNT_FIELD_NUMBER: _ClassVar[int]
    ACCELERATOR_MEMORY_BYTES_FIELD_NUMBER: _ClassVar[int]
    max_concurrent_requests: int
    max_loras: int
    max_cpu_loras: int
    max_lora_rank: int
    max_context_tokens: int
    device: str
    accelerator_count: int
    accelerator_memory_bytes: int
    def __init__(self, max_concurrent_requests: _Optional[int] = ..., max_loras: _Optional[int] = ..., max_cpu_loras: _Optional[int] = ..., max_lora_rank: _Optional[int] = ..., max_context_tokens: _Optional[int] = ..., device: _Optional[str] = ..., accelerator_count: _Optional[int] = ..., accelerator_memory_bytes: _Optional[int] = ...) -> None: ...

class NodeLoad(_message.Message):
    __slots__ = ("queue_depth", "running_requests", "tokens_per_second", "kv_cache_usage", "adapters")
    QUEUE_DEPTH_FIELD_NUMBER: _ClassVar[int]
    RUNNING_REQUESTS_FIELD_NUMBER: _ClassVar[int]
    TOKENS_PER_SECOND_FIELD_NUMBER: _ClassVar[int]
    KV_CACHE_USAGE_FIELD_NUMBER: _ClassVar[int]
    ADAPTERS_FIELD_NUMBER: _ClassVar[int]
    queue_depth: int
    running_requests: int
    tokens_per_second: float
    kv_cache_usage: float
    adapters: _containers.RepeatedCompositeFieldContainer[_adapter_pb2.AdapterResidency]
    def __init__(self, queue_depth: _Optional[int] = ..., running_requests: _Optional[int] = ..., tokens_per_second: _Optional[float] = ..., kv_cache_usage: _Optional[float] = ..., adapters: _Optional[_Iterable[_Union[_adapter_pb2.AdapterResidency, _Mapping]]] = ...) -> None: ...

class NodeRegistration(_message.Message):
    __slots__ = ("provider_address", "endpoint", "metadata_hash", "engine", "base_models", "capacity", "chain_id", "pool_contract", "expire_time", "signature")
    PROVIDER_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    METADATA_HASH_FIELD_NUMBER: _ClassVar[int]
    ENGINE_FIELD_NUMBER: _ClassVar[int]
    BASE_MODELS_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_FIELD_NUMBER: _ClassVar[int]
    CHAIN_ID_FIELD_NUMBER: _ClassVar[int]
    POOL_CONTRACT_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    provider_address: str
    endpoint: str
    metadata_hash: bytes
    engine: EngineKind
    base_models: _containers.RepeatedScalarFieldContainer[str]
    capacity: NodeCapacity
    chain_id: int
    pool_contract: str
    expire_time: _timestamp_pb2.Timestamp
    signature: bytes
    def __init__(self, provider_address: _Optional[str] = ..., endpoint: _Optional[str] = ..., metadata_hash: _Optional[bytes] = ..., engine: _Optional[_Union[EngineKind, str]] = ..., base_models: _Optional[_Iterable[str]] = ..., capacity: _Optional[_Union[NodeCapacity, _Mapping]] = ..., chain_id: _Optional[int] = ..., pool_contract: _Optional[str] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., signature: _Optional[bytes] = ...) -> None: ...

class Node(_message.Message):
    __slots__ = ("name", "registration", "state", "state_message", "capacity", "load", "stake", "register_time", "last_heartbeat_time", "lease_expire_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REGISTRATION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    STATE_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_FIELD_NUMBER: _ClassVar[int]
    LOAD_FIELD_NUMBER: _ClassVar[int]
    STAKE_FIELD_NUMBER: _ClassVar[int]
    REGISTER_TIME_FIELD_NUMBER: _ClassVar[int]
    LAST_HEARTBEAT_TIME_FIELD_NUMBER: _ClassVar[int]
    LEASE_EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    registration: NodeRegistration
    state: NodeState
    state_message: str
    capacity: NodeCapacity
    load: NodeLoad
    stake: str
    register_time: _timestamp_pb2.Timestamp
    last_heartbeat_time: _timestamp_pb2.Timestamp
    lease_expire_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., registration: _Optional[_Union[NodeRegistration, _Mapping]] = ..., state: _Optional[_Union[NodeState, str]] = ..., state_message: _Optional[str] = ..., capacity: _Optional[_Union[NodeCapacity, _Mapping]] = ..., load: _Optional[_Union[NodeLoad, _Mapping]] = ..., stake: _Optional[str] = ..., register_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_heartbeat_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., lease_expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class NodeStatus(_message.Message):
    __slots__ = ("node", "provider_address", "engine", "engine_version", "base_models", "capacity", "load", "healthy", "draining", "pool_state", "start_time")
    NODE_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    ENGINE_FIELD_NUMBER: _ClassVar[int]
    ENGINE_VERSION_FIELD_NUMBER: _ClassVar[int]
    BASE_MODELS_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_FIELD_NUMBER: _ClassVar[int]
    LOAD_FIELD_NUMBER: _ClassVar[int]
    HEALTHY_FIELD_NUMBER: _ClassVar[int]
    DRAINING_FIELD_NUMBER: _ClassVar[int]
    POOL_STATE_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    node: str
    provider_address: str
    engine: EngineKind
    engine_version: str
    base_models: _containers.RepeatedScalarFieldContainer[str]
    capacity: NodeCapacity
    load: NodeLoad
    healthy: bool
    draining: bool
    pool_state: NodeState
    start_time: _timestamp_pb2.Timestamp
    def __init__(self, node: _Optional[str] = ..., provider_address: _Optional[str] = ..., engine: _Optional[_Union[EngineKind, str]] = ..., engine_version: _Optional[str] = ..., base_models: _Optional[_Iterable[str]] = ..., capacity: _Optional[_Union[NodeCapacity, _Mapping]] = ..., load: _Optional[_Union[NodeLoad, _Mapping]] = ..., healthy: _Optional[bool] = ..., draining: _Optional[bool] = ..., pool_state: _Optional[_Union[NodeState, str]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

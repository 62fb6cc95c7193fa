import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AdapterTier(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ADAPTER_TIER_UNSPECIFIED: _ClassVar[AdapterTier]
    ADAPTER_TIER_GPU: _ClassVar[AdapterTier]
    ADAPTER_TIER_CPU: _ClassVar[AdapterTier]
    ADAPTER_TIER_DISK: _ClassVar[AdapterTier]
ADAPTER_TIER_UNSPECIFIED: AdapterTier
ADAPTER_TIER_GPU: AdapterTier
ADAPTER_TIER_CPU: AdapterTier
ADAPTER_TIER_DISK: AdapterTier

class LoadedAdapter(_message.Message):
    __slots__ = ("adapter", "base_model", "tier", "pinned", "rank", "size_bytes", "adapter_sha256", "last_used_time", "load_time", "active_requests")
    ADAPTER_FIELD_NUMBER: _ClassVar[int]
    BASE_MODEL_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    PINNED_FIELD_NUMBER: _ClassVar[int]
    RANK_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    ADAPTER_SHA256_FIELD_NUMBER: _ClassVar[int]
    LAST_USED_TIME_FIELD_NUMBER: _ClassVar[int]
    LOAD_TIME_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_REQUESTS_FIELD_NUMBER: _ClassVar[int]
    adapter: str
    base_model: str
    tier: AdapterTier
    pinned: bool
    rank: int
    size_bytes: int
    adapter_sha256: bytes
    last_used_time: _timestamp_pb2.Timestamp
    load_time: _timestamp_pb2.Timestamp
    active_requests: int
    def __init__(self, adapter: _Optional[str] = ..., base_model: _Optional[str] = ..., tier: _Optional[_Union[AdapterTier, str]] = ..., pinned: _Optional[bool] = ..., rank: _Optional[int] = ..., size_bytes: _Optional[int] = ..., adapter_sha256: _Optional[bytes] = ..., last_used_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., load_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., active_requests: _Optional[int] = ...) -> None: ...

class AdapterResidency(_message.Message):
    __slots__ = ("adapter", "tier", "pinned")
    ADAPTER_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    PINNED_FIELD_NUMBER: _ClassVar[int]
    adapter: str
    tier: AdapterTier
    pinned: bool
    def __init__(self, adapter: _Optional[str] = ..., tier: _Optional[_Union[AdapterTier, str]] = ..., pinned: _Optional[bool] = ...) -> None: ...

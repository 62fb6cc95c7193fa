import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class NodeInfo(_message.Message):
    __slots__ = ("operator_address", "endpoint", "chain_id", "software_version", "supported_certificate_versions", "start_time", "accepting_writes", "stored_blob_count", "stored_cell_count", "storage_used_bytes", "storage_capacity_bytes")
    OPERATOR_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    CHAIN_ID_FIELD_NUMBER: _ClassVar[int]
    SOFTWARE_VERSION_FIELD_NUMBER: _ClassVar[int]
    SUPPORTED_CERTIFICATE_VERSIONS_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    ACCEPTING_WRITES_FIELD_NUMBER: _ClassVar[int]
    STORED_BLOB_COUNT_FIELD_NUMBER: _ClassVar[int]
    STORED_CELL_COUNT_FIELD_NUMBER: _ClassVar[int]
    STORAGE_USED_BYTES_FIELD_NUMBER: _ClassVar[int]
    STORAGE_CAPACITY_BYTES_FIELD_NUMBER: _ClassVar[int]
    operator_address: str
    endpoint: str
    chain_id: int
    software_version: str
    supported_certificate_versions: _containers.RepeatedScalarFieldContainer[int]
    start_time: _timestamp_pb2.Timestamp
    accepting_writes: bool
    stored_blob_count: int
    stored_cell_count: int
    storage_used_bytes: int
    storage_capacity_bytes: int
    def __init__(self, operator_address: _Optional[str] = ..., endpoint: _Optional[str] = ..., chain_id: _Optional[int] = ..., software_version: _Optional[str] = ..., supported_certificate_versions: _Optional[_Iterable[int]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., accepting_writes: _Optional[bool] = ..., stored_blob_count: _Optional[int] = ..., stored_cell_count: _Optional[int] = ..., storage_used_bytes: _Optional[int] = ..., storage_capacity_bytes: _Optional[int] = ...) -> None: ...

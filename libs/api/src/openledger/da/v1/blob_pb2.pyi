import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from openledger.da.v1 import certificate_pb2 as _certificate_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class BlobStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BLOB_STATUS_UNSPECIFIED: _ClassVar[BlobStatus]
    BLOB_STATUS_DISPERSING: _ClassVar[BlobStatus]
    BLOB_STATUS_CERTIFIED: _ClassVar[BlobStatus]
    BLOB_STATUS_FAILED: _ClassVar[BlobStatus]
    BLOB_STATUS_EXPIRED: _ClassVar[BlobStatus]
BLOB_STATUS_UNSPECIFIED: BlobStatus
BLOB_STATUS_DISPERSING: BlobStatus
BLOB_STATUS_CERTIFIED: BlobStatus
BLOB_STATUS_FAILED: BlobStatus
BLOB_STATUS_EXPIRED: BlobStatus

class Blob(_message.Message):
    __slots__ = ("name", "data_hash", "size_bytes", "encoding_version", "blob_count", "commitments", "versioned_hashes", "status", "certificate", "batch_reference", "request_id", "attempt", "assigned_operator_count", "attested_operator_count", "create_time", "attempt_start_time", "certify_time", "expire_time", "error_reason", "error_message")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DATA_HASH_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    ENCODING_VERSION_FIELD_NUMBER: _ClassVar[int]
    BLOB_COUNT_FIELD_NUMBER: _ClassVar[int]
    COMMITMENTS_FIELD_NUMBER: _ClassVar[int]
    VERSIONED_HASHES_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATE_FIELD_NUMBER: _ClassVar[int]
    BATCH_REFERENCE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    ASSIGNED_OPERATOR_COUNT_FIELD_NUMBER: _ClassVar[int]
    ATTESTED_OPERATOR_COUNT_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_START_TIME_FIELD_NUMBER: _ClassVar[int]
    CERTIFY_TIME_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    ERROR_REASON_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    name: str
    data_hash: bytes
    size_bytes: int
    encoding_version: int
    blob_count: int
    commitments: _containers.RepeatedScalarFieldContainer[bytes]
    versioned_hashes: _containers.RepeatedScalarFieldContainer[bytes]
    status: BlobStatus
    certificate: _certificate_pb2.Certificate
    batch_reference: str
    request_id: str
    attempt: int
    assigned_operator_count: int
    attested_operator_count: int
    create_time: _timestamp_pb2.Timestamp
    attempt_start_time: _timestamp_pb2.Timestamp
    certify_time: _timestamp_pb2.Timestamp
    expire_time: _timestamp_pb2.Timestamp
    error_reason: str
    error_message: str
    def __init__(self, name: _Optional[str] = ..., data_hash: _Optional[bytes] = ..., size_bytes: _Optional[int] = ..., encoding_version: _Optional[int] = ..., blob_count: _Optional[int] = ..., commitments: _Optional[_Iterable[bytes]] = ..., versioned_hashes: _Optional[_Iterable[bytes]] = ..., status: _Optional[_Union[BlobStatus, str]] = ..., certificate: _Optional[_Union[_certificate_pb2.Certificate, _Mapping]] = ..., batch_reference: _Optional[str] = ..., request_id: _Optional[str] = ..., attempt: _Optional[int] = ..., assigned_operator_count: _Optional[int] = ..., attested_operator_count: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., attempt_start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., certify_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., error_reason: _Optional[str] = ..., error_message: _Optional[str] = ...) -> None: ...

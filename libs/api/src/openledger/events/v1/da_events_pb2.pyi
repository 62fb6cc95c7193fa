import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CertificateIssued(_message.Message):
    __slots__ = ("blob", "batch_reference", "data_hash", "size_bytes", "blob_count", "commitments", "versioned_hashes", "certificate_hash", "chain_id", "quorum_threshold", "assigned_operator_count", "attested_operator_count", "attesting_operator_addresses", "attested_cell_count", "quorum_reached", "expire_time", "issue_time")
    BLOB_FIELD_NUMBER: _ClassVar[int]
    BATCH_REFERENCE_FIELD_NUMBER: _ClassVar[int]
    DATA_HASH_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    BLOB_COUNT_FIELD_NUMBER: _ClassVar[int]
    COMMITMENTS_FIELD_NUMBER: _ClassVar[int]
    VERSIONED_HASHES_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATE_HASH_FIELD_NUMBER: _ClassVar[int]
    CHAIN_ID_FIELD_NUMBER: _ClassVar[int]
    QUORUM_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    ASSIGNED_OPERATOR_COUNT_FIELD_NUMBER: _ClassVar[int]
    ATTESTED_OPERATOR_COUNT_FIELD_NUMBER: _ClassVar[int]
    ATTESTING_OPERATOR_ADDRESSES_FIELD_NUMBER: _ClassVar[int]
    ATTESTED_CELL_COUNT_FIELD_NUMBER: _ClassVar[int]
    QUORUM_REACHED_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    ISSUE_TIME_FIELD_NUMBER: _ClassVar[int]
    blob: str
    batch_reference: str
    data_hash: bytes
    size_bytes: int
    blob_count: int
    commitments: _containers.RepeatedScalarFieldContainer[bytes]
    versioned_hashes: _containers.RepeatedScalarFieldContainer[bytes]
    certificate_hash: bytes
    chain_id: int
    quorum_threshold: int
    assigned_operator_count: int
    attested_operator_count: int
    attesting_operator_addresses: _containers.RepeatedScalarFieldContainer[str]
    attested_cell_count: int
    quorum_reached: bool
    expire_time: _timestamp_pb2.Timestamp
    issue_time: _timestamp_pb2.Timestamp
    def __init__(self, blob: _Optional[str] = ..., batch_reference: _Optional[str] = ..., data_hash: _Optional[bytes] = ..., size_bytes: _Optional[int] = ..., blob_count: _Optional[int] = ..., commitments: _Optional[_Iterable[bytes]] = ..., versioned_hashes: _Optional[_Iterable[bytes]] = ..., certificate_hash: _Optional[bytes] = ..., chain_id: _Optional[int] = ..., quorum_threshold: _Optional[int] = ..., assigned_operator_count: _Optional[int] = ..., attested_operator_count: _Optional[int] = ..., attesting_operator_addresses: _Optional[_Iterable[str]] = ..., attested_cell_count: _Optional[int] = ..., quorum_reached: _Optional[bool] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., issue_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

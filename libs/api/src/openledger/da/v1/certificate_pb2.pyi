import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Certificate(_message.Message):
    __slots__ = ("version", "chain_id", "data_hash", "size_bytes", "encoding_version", "commitments", "cell_assignments", "quorum_threshold", "expire_time", "certificate_hash", "attestations", "quorum_reached", "attested_cell_count", "issue_time")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    CHAIN_ID_FIELD_NUMBER: _ClassVar[int]
    DATA_HASH_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    ENCODING_VERSION_FIELD_NUMBER: _ClassVar[int]
    COMMITMENTS_FIELD_NUMBER: _ClassVar[int]
    CELL_ASSIGNMENTS_FIELD_NUMBER: _ClassVar[int]
    QUORUM_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATE_HASH_FIELD_NUMBER: _ClassVar[int]
    ATTESTATIONS_FIELD_NUMBER: _ClassVar[int]
    QUORUM_REACHED_FIELD_NUMBER: _ClassVar[int]
    ATTESTED_CELL_COUNT_FIELD_NUMBER: _ClassVar[int]
    ISSUE_TIME_FIELD_NUMBER: _ClassVar[int]
    version: int
    chain_id: int
    data_hash: bytes
    size_bytes: int
    encoding_version: int
    commitments: _containers.RepeatedScalarFieldContainer[bytes]
    cell_assignments: _containers.RepeatedCompositeFieldContainer[CellAssignment]
    quorum_threshold: int
    expire_time: _timestamp_pb2.Timestamp
    certificate_hash: bytes
    attestations: _containers.RepeatedCompositeFieldContainer[OperatorAttestation]
    quorum_reached: bool
    attested_cell_count: int
    issue_time: _timestamp_pb2.Timestamp
    def __init__(self, version: _Optional[int] = ..., chain_id: _Optional[int] = ..., data_hash: _Optional[bytes] = ..., size_bytes: _Optional[int] = ..., encoding_version: _Optional[int] = ..., commitments: _Optional[_Iterable[bytes]] = ..., cell_assignments: _Optional[_Iterable[_Union[CellAssignment, _Mapping]]] = ..., quorum_threshold: _Optional[int] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., certificate_hash: _Optional[bytes] = ..., attestations: _Optional[_Iterable[_Union[OperatorAttestation, _Mapping]]] = ..., quorum_reached: _Optional[bool] = ..., attested_cell_count: _Optional[int] = ..., issue_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CellAssignment(_message.Message):
    __slots__ = ("operator_address", "cell_indices", "endpoint")
    OPERATOR_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    CELL_INDICES_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    operator_address: str
    cell_indices: _containers.RepeatedScalarFieldContainer[int]
    endpoint: str
    def __init__(self, operator_address: _Optional[str] = ..., cell_indices: _Optional[_Iterable[int]] = ..., endpoint: _Optional[str] = ...) -> None: ...

class OperatorAttestation(_message.Message):
    __slots__ = ("operator_address", "signature", "sign_time")
    OPERATOR_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    SIGN_TIME_FIELD_NUMBER: _ClassVar[int]
    operator_address: str
    signature: bytes
    sign_time: _timestamp_pb2.Timestamp
    def __init__(self, operator_address: _Optional[str] = ..., signature: _Optional[bytes] = ..., sign_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

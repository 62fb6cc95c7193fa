import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from openledger.da.v1 import blob_pb2 as _blob_pb2
from openledger.da.v1 import cell_pb2 as _cell_pb2
from openledger.da.v1 import certificate_pb2 as _certificate_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CertificateProblem(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CERTIFICATE_PROBLEM_UNSPECIFIED: _ClassVar[CertificateProblem]
    CERTIFICATE_PROBLEM_UNSUPPORTED_VERSION: _ClassVar[CertificateProblem]
    CERTIFICATE_PROBLEM_WRONG_CHAIN: _ClassVar[CertificateProblem]
    CERTIFICATE_PROBLEM_MALFORMED: _ClassVar[CertificateProblem]
    CERTIFICATE_PROBLEM_HASH_MISMATCH: _ClassVar[CertificateProblem]
    CERTIFICATE_PROBLEM_BAD_SIGNATURE: _ClassVar[CertificateProblem]
    CERTIFICATE_PROBLEM_UNKNOWN_OPERATOR: _ClassVar[CertificateProblem]
    CERTIFICATE_PROBLEM_QUORUM_NOT_REACHED: _ClassVar[CertificateProblem]
    CERTIFICATE_PROBLEM_EXPIRED: _ClassVar[CertificateProblem]
    CERTIFICATE_PROBLEM_DATA_HASH_MISMATCH: _ClassVar[CertificateProblem]
    CERTIFICATE_PROBLEM_COMMITMENT_MISMATCH: _ClassVar[CertificateProblem]
CERTIFICATE_PROBLEM_UNSPECIFIED: CertificateProblem
CERTIFICATE_PROBLEM_UNSUPPORTED_VERSION: CertificateProblem
CERTIFICATE_PROBLEM_WRONG_CHAIN: CertificateProblem
CERTIFICATE_PROBLEM_MALFORMED: CertificateProblem
CERTIFICATE_PROBLEM_HASH_MISMATCH: CertificateProblem
CERTIFICATE_PROBLEM_BAD_SIGNATURE: CertificateProblem
CERTIFICATE_PROBLEM_UNKNOWN_OPERATOR: CertificateProblem
CERTIFICATE_PROBLEM_QUORUM_NOT_REACHED: CertificateProblem
CERTIFICATE_PROBLEM_EXPIRED: CertificateProblem
CERTIFICATE_PROBLEM_DATA_HASH_MISMATCH: CertificateProblem
CERTIFICATE_PROBLEM_COMMITMENT_MISMATCH: CertificateProblem

class DisperseBlobRequest(_message.Message):
    __slots__ = ("request_id", "data", "retention", "batch_reference", "wait_for_certificate")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    RETENTION_FIELD_NUMBER: _ClassVar[int]
    BATCH_REFERENCE_FIELD_NUMBER: _ClassVar[int]
    WAIT_FOR_CERTIFICATE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    data: bytes
    retention: _duration_pb2.Duration
    batch_reference: str
    wait_for_certificate: bool
    def __init__(self, request_id: _Optional[str] = ..., data: _Optional[bytes] = ..., retention: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., batch_reference: _Optional[str] = ..., wait_for_certificate: _Optional[bool] = ...) -> None: ...

class DisperseBlobResponse(_message.Message):
    __slots__ = ("blob", "already_existed")
    BLOB_FIELD_NUMBER: _ClassVar[int]
    ALREADY_EXISTED_FIELD_NUMBER: _ClassVar[int]
    blob: _blob_pb2.Blob
    already_existed: bool
    def __init__(self, blob: _Optional[_Union[_blob_pb2.Blob, _Mapping]] = ..., already_existed: _Optional[bool] = ...) -> None: ...

class GetBlobRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetBlobResponse(_message.Message):
    __slots__ = ("blob", "data", "reconstructed")
    BLOB_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    RECONSTRUCTED_FIELD_NUMBER: _ClassVar[int]
    blob: _blob_pb2.Blob
    data: bytes
    reconstructed: bool
    def __init__(self, blob: _Optional[_Union[_blob_pb2.Blob, _Mapping]] = ..., data: _Optional[bytes] = ..., reconstructed: _Optional[bool] = ...) -> None: ...

class GetBlobStatusRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetBlobStatusResponse(_message.Message):
    __slots__ = ("blob",)
    BLOB_FIELD_NUMBER: _ClassVar[int]
    blob: _blob_pb2.Blob
    def __init__(self, blob: _Optional[_Union[_blob_pb2.Blob, _Mapping]] = ...) -> None: ...

class SampleCellsRequest(_message.Message):
    __slots__ = ("name", "cells")
    NAME_FIELD_NUMBER: _ClassVar[int]
    CELLS_FIELD_NUMBER: _ClassVar[int]
    name: str
    cells: _containers.RepeatedCompositeFieldContainer[_cell_pb2.CellRef]
    def __init__(self, name: _Optional[str] = ..., cells: _Optional[_Iterable[_Union[_cell_pb2.CellRef, _Mapping]]] = ...) -> None: ...

class SampleCellsResponse(_message.Message):
    __slots__ = ("cells", "unavailable_cells")
    CELLS_FIELD_NUMBER: _ClassVar[int]
    UNAVAILABLE_CELLS_FIELD_NUMBER: _ClassVar[int]
    cells: _containers.RepeatedCompositeFieldContainer[_cell_pb2.SampledCell]
    unavailable_cells: _containers.RepeatedCompositeFieldContainer[_cell_pb2.CellRef]
    def __init__(self, cells: _Optional[_Iterable[_Union[_cell_pb2.SampledCell, _Mapping]]] = ..., unavailable_cells: _Optional[_Iterable[_Union[_cell_pb2.CellRef, _Mapping]]] = ...) -> None: ...

class VerifyCertificateRequest(_message.Message):
    __slots__ = ("certificate", "data")
    CERTIFICATE_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    certificate: _certificate_pb2.Certificate
    data: bytes
    def __init__(self, certificate: _Optional[_Union[_certificate_pb2.Certificate, _Mapping]] = ..., data: _Optional[bytes] = ...) -> None: ...

class VerifyCertificateResponse(_message.Message):
    __slots__ = ("valid", "problems", "problem_details", "computed_certificate_hash", "valid_signers", "attested_cell_count")
    VALID_FIELD_NUMBER: _ClassVar[int]
    PROBLEMS_FIELD_NUMBER: _ClassVar[int]
    PROBLEM_DETAILS_FIELD_NUMBER: _ClassVar[int]
    COMPUTED_CERTIFICATE_HASH_FIELD_NUMBER: _ClassVar[int]
    VALID_SIGNERS_FIELD_NUMBER: _ClassVar[int]
    ATTESTED_CELL_COUNT_FIELD_NUMBER: _ClassVar[int]
    valid: bool
    problems: _containers.RepeatedScalarFieldContainer[CertificateProblem]
    problem_details: _containers.RepeatedScalarFieldContainer[str]
    computed_certificate_hash: bytes
    valid_signers: _containers.RepeatedScalarFieldContainer[str]
    attested_cell_count: int
    def __init__(self, valid: _Optional[bool] = ..., problems: _Optional[_Iterable[_Union[CertificateProblem, str]]] = ..., problem_details: _Optional[_Iterable[str]] = ..., computed_certificate_hash: _Optional[bytes] = ..., valid_signers: _Optional[_Iterable[str]] = ..., attested_cell_count: _Optional[int] = ...) -> None: ...

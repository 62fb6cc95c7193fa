import datetime

from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from openledger.datanet.v1 import curation_pb2 as _curation_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ContributionStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CONTRIBUTION_STATUS_UNSPECIFIED: _ClassVar[ContributionStatus]
    CONTRIBUTION_STATUS_PENDING: _ClassVar[ContributionStatus]
    CONTRIBUTION_STATUS_ACCEPTED: _ClassVar[ContributionStatus]
    CONTRIBUTION_STATUS_REJECTED: _ClassVar[ContributionStatus]
CONTRIBUTION_STATUS_UNSPECIFIED: ContributionStatus
CONTRIBUTION_STATUS_PENDING: ContributionStatus
CONTRIBUTION_STATUS_ACCEPTED: ContributionStatus
CONTRIBUTION_STATUS_REJECTED: ContributionStatus

class ContributionRecord(_message.Message):
    __slots__ = ("content", "contributor", "content_hash", "signature")
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    CONTRIBUTOR_FIELD_NUMBER: _ClassVar[int]
    CONTENT_HASH_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    content: _struct_pb2.Struct
    contributor: str
    content_hash: bytes
    signature: bytes
    def __init__(self, content: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., contributor: _Optional[str] = ..., content_hash: _Optional[bytes] = ..., signature: _Optional[bytes] = ...) -> None: ...

class Contribution(_message.Message):
    __slots__ = ("name", "contributor", "content", "content_hash", "signature", "status", "rejections", "pii_redactions", "curation_metrics", "curated_content_hash", "accept_sequence", "datanet_revision", "content_size_bytes", "create_time", "curate_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    CONTRIBUTOR_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    CONTENT_HASH_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    REJECTIONS_FIELD_NUMBER: _ClassVar[int]
    PII_REDACTIONS_FIELD_NUMBER: _ClassVar[int]
    CURATION_METRICS_FIELD_NUMBER: _ClassVar[int]
    CURATED_CONTENT_HASH_FIELD_NUMBER: _ClassVar[int]
    ACCEPT_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    DATANET_REVISION_FIELD_NUMBER: _ClassVar[int]
    CONTENT_SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    CURATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    contributor: str
    content: _struct_pb2.Struct
    content_hash: bytes
    signature: bytes
    status: ContributionStatus
    rejections: _containers.RepeatedCompositeFieldContainer[_curation_pb2.ContributionRejection]
    pii_redactions: _containers.RepeatedCompositeFieldContainer[_curation_pb2.PiiRedaction]
    curation_metrics: _curation_pb2.CurationMetrics
    curated_content_hash: bytes
    accept_sequence: int
    datanet_revision: int
    content_size_bytes: int
    create_time: _timestamp_pb2.Timestamp
    curate_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., contributor: _Optional[str] = ..., content: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., content_hash: _Optional[bytes] = ..., signature: _Optional[bytes] = ..., status: _Optional[_Union[ContributionStatus, str]] = ..., rejections: _Optional[_Iterable[_Union[_curation_pb2.ContributionRejection, _Mapping]]] = ..., pii_redactions: _Optional[_Iterable[_Union[_curation_pb2.PiiRedaction, _Mapping]]] = ..., curation_metrics: _Optional[_Union[_curation_pb2.CurationMetrics, _Mapping]] = ..., curated_content_hash: _Optional[bytes] = ..., accept_sequence: _Optional[int] = ..., datanet_revision: _Optional[int] = ..., content_size_bytes: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., curate_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

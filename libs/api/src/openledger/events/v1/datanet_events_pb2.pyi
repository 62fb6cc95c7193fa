import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from openledger.common.v1 import chain_pb2 as _chain_pb2
from openledger.common.v1 import object_ref_pb2 as _object_ref_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CurationDecision(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CURATION_DECISION_UNSPECIFIED: _ClassVar[CurationDecision]
    CURATION_DECISION_ACCEPTED: _ClassVar[CurationDecision]
    CURATION_DECISION_REJECTED: _ClassVar[CurationDecision]
CURATION_DECISION_UNSPECIFIED: CurationDecision
CURATION_DECISION_ACCEPTED: CurationDecision
CURATION_DECISION_REJECTED: CurationDecision

class ContributionSubmitted(_message.Message):
    __slots__ = ("contribution", "datanet", "contributor_address", "content_hash", "content_size_bytes", "submit_time")
    CONTRIBUTION_FIELD_NUMBER: _ClassVar[int]
    DATANET_FIELD_NUMBER: _ClassVar[int]
    CONTRIBUTOR_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    CONTENT_HASH_FIELD_NUMBER: _ClassVar[int]
    CONTENT_SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    SUBMIT_TIME_FIELD_NUMBER: _ClassVar[int]
    contribution: str
    datanet: str
    contributor_address: str
    content_hash: bytes
    content_size_bytes: int
    submit_time: _timestamp_pb2.Timestamp
    def __init__(self, contribution: _Optional[str] = ..., datanet: _Optional[str] = ..., contributor_address: _Optional[str] = ..., content_hash: _Optional[bytes] = ..., content_size_bytes: _Optional[int] = ..., submit_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ContributionCurated(_message.Message):
    __slots__ = ("contribution", "datanet", "contributor_address", "content_hash", "curated_content_hash", "decision", "rejection_reasons", "rejection_message", "quality_score", "duplicate_of", "accept_sequence", "datanet_revision", "penalty_triggered", "curate_time")
    CONTRIBUTION_FIELD_NUMBER: _ClassVar[int]
    DATANET_FIELD_NUMBER: _ClassVar[int]
    CONTRIBUTOR_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    CONTENT_HASH_FIELD_NUMBER: _ClassVar[int]
    CURATED_CONTENT_HASH_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    REJECTION_REASONS_FIELD_NUMBER: _ClassVar[int]
    REJECTION_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    QUALITY_SCORE_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_OF_FIELD_NUMBER: _ClassVar[int]
    ACCEPT_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    DATANET_REVISION_FIELD_NUMBER: _ClassVar[int]
    PENALTY_TRIGGERED_FIELD_NUMBER: _ClassVar[int]
    CURATE_TIME_FIELD_NUMBER: _ClassVar[int]
    contribution: str
    datanet: str
    contributor_address: str
    content_hash: bytes
    curated_content_hash: bytes
    decision: CurationDecision
    rejection_reasons: _containers.RepeatedScalarFieldContainer[str]
    rejection_message: str
    quality_score: float
    duplicate_of: str
    accept_sequence: int
    datanet_revision: int
    penalty_triggered: bool
    curate_time: _timestamp_pb2.Timestamp
    def __init__(self, contribution: _Optional[str] = ..., datanet: _Optional[str] = ..., contributor_address: _Optional[str] = ..., content_hash: _Optional[bytes] = ..., curated_content_hash: _Optional[bytes] = ..., decision: _Optional[_Union[CurationDecision, str]] = ..., rejection_reasons: _Optional[_Iterable[str]] = ..., rejection_message: _Optional[str] = ..., quality_score: _Optional[float] = ..., duplicate_of: _Optional[str] = ..., accept_sequence: _Optional[int] = ..., datanet_revision: _Optional[int] = ..., penalty_triggered: _Optional[bool] = ..., curate_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class SnapshotPublished(_message.Message):
    __slots__ = ("snapshot", "datanet", "sequence", "merkle_root", "merkle_scheme", "record_count", "contributor_count", "cutoff_accept_sequence", "jsonl", "parquet", "anchor", "create_time", "publish_time")
    SNAPSHOT_FIELD_NUMBER: _ClassVar[int]
    DATANET_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    MERKLE_ROOT_FIELD_NUMBER: _ClassVar[int]
    MERKLE_SCHEME_FIELD_NUMBER: _ClassVar[int]
    RECORD_COUNT_FIELD_NUMBER: _ClassVar[int]
    CONTRIBUTOR_COUNT_FIELD_NUMBER: _ClassVar[int]
    CUTOFF_ACCEPT_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    JSONL_FIELD_NUMBER: _ClassVar[int]
    PARQUET_FIELD_NUMBER: _ClassVar[int]
    ANCHOR_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    PUBLISH_TIME_FIELD_NUMBER: _ClassVar[int]
    snapshot: str
    datanet: str
    sequence: int
    merkle_root: bytes
    merkle_scheme: str
    record_count: int
    contributor_count: int
    cutoff_accept_sequence: int
    jsonl: _object_ref_pb2.ObjectRef
    parquet: _object_ref_pb2.ObjectRef
    anchor: _chain_pb2.ChainTransaction
    create_time: _timestamp_pb2.Timestamp
    publish_time: _timestamp_pb2.Timestamp
    def __init__(self, snapshot: _Optional[str] = ..., datanet: _Optional[str] = ..., sequence: _Optional[int] = ..., merkle_root: _Optional[bytes] = ..., merkle_scheme: _Optional[str] = ..., record_count: _Optional[int] = ..., contributor_count: _Optional[int] = ..., cutoff_accept_sequence: _Optional[int] = ..., jsonl: _Optional[_Union[_object_ref_pb2.ObjectRef, _Mapping]] = ..., parquet: _Optional[_Union[_object_ref_pb2.ObjectRef, _Mapping]] = ..., anchor: _Optional[_Union[_chain_pb2.ChainTransaction, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., publish_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

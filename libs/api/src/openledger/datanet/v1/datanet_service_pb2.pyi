import datetime

from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from openledger.common.v1 import job_pb2 as _job_pb2
from openledger.datanet.v1 import contribution_pb2 as _contribution_pb2
from openledger.datanet.v1 import contributor_pb2 as _contributor_pb2
from openledger.datanet.v1 import curation_pb2 as _curation_pb2
from openledger.datanet.v1 import datanet_pb2 as _datanet_pb2
from openledger.datanet.v1 import snapshot_pb2 as _snapshot_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SubmissionErrorReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SUBMISSION_ERROR_REASON_UNSPECIFIED: _ClassVar[SubmissionErrorReason]
    SUBMISSION_ERROR_REASON_CONTENT_INVALID: _ClassVar[SubmissionErrorReason]
    SUBMISSION_ERROR_REASON_RECORD_TOO_LARGE: _ClassVar[SubmissionErrorReason]
    SUBMISSION_ERROR_REASON_CONTENT_HASH_MISMATCH: _ClassVar[SubmissionErrorReason]
    SUBMISSION_ERROR_REASON_CONTRIBUTOR_INVALID: _ClassVar[SubmissionErrorReason]
    SUBMISSION_ERROR_REASON_SIGNATURE_INVALID: _ClassVar[SubmissionErrorReason]
    SUBMISSION_ERROR_REASON_SIGNER_MISMATCH: _ClassVar[SubmissionErrorReason]
    SUBMISSION_ERROR_REASON_INSUFFICIENT_STAKE: _ClassVar[SubmissionErrorReason]
    SUBMISSION_ERROR_REASON_CONTRIBUTOR_SUSPENDED: _ClassVar[SubmissionErrorReason]
SUBMISSION_ERROR_REASON_UNSPECIFIED: SubmissionErrorReason
SUBMISSION_ERROR_REASON_CONTENT_INVALID: SubmissionErrorReason
SUBMISSION_ERROR_REASON_RECORD_TOO_LARGE: SubmissionErrorReason
SUBMISSION_ERROR_REASON_CONTENT_HASH_MISMATCH: SubmissionErrorReason
SUBMISSION_ERROR_REASON_CONTRIBUTOR_INVALID: SubmissionErrorReason
SUBMISSION_ERROR_REASON_SIGNATURE_INVALID: SubmissionErrorReason
SUBMISSION_ERROR_REASON_SIGNER_MISMATCH: SubmissionErrorReason
SUBMISSION_ERROR_REASON_INSUFFICIENT_STAKE: SubmissionErrorReason
SUBMISSION_ERROR_REASON_CONTRIBUTOR_SUSPENDED: SubmissionErrorReason

class CreateDatanetRequest(_message.Message):
    __slots__ = ("request_id", "datanet_id", "datanet")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    DATANET_ID_FIELD_NUMBER: _ClassVar[int]
    DATANET_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    datanet_id: str
    datanet: _datanet_pb2.Datanet
    def __init__(self, request_id: _Optional[str] = ..., datanet_id: _Optional[str] = ..., datanet: _Optional[_Union[_datanet_pb2.Datanet, _Mapping]] = ...) -> None: ...

class CreateDatanetResponse(_message.Message):
    __slots__ = ("datanet",)
    DATANET_FIELD_NUMBER: _ClassVar[int]
    datanet: _datanet_pb2.Datanet
    def __init__(self, datanet: _Optional[_Union[_datanet_pb2.Datanet, _Mapping]] = ...) -> None: ...

class GetDatanetRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetDatanetResponse(_message.Message):
    __slots__ = ("datanet",)
    DATANET_FIELD_NUMBER: _ClassVar[int]
    datanet: _datanet_pb2.Datanet
    def __init__(self, datanet: _Optional[_Union[_datanet_pb2.Datanet, _Mapping]] = ...) -> None: ...

class ListDatanetsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "curator", "domain", "states")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    CURATOR_FIELD_NUMBER: _ClassVar[int]
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    STATES_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    curator: str
    domain: str
    states: _containers.RepeatedScalarFieldContainer[_datanet_pb2.DatanetState]
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., curator: _Optional[str] = ..., domain: _Optional[str] = ..., states: _Optional[_Iterable[_Union[_datanet_pb2.DatanetState, str]]] = ...) -> None: ...

class ListDatanetsResponse(_message.Message):
    __slots__ = ("datanets", "next_page_token", "total_size")
    DATANETS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    datanets: _containers.RepeatedCompositeFieldContainer[_datanet_pb2.Datanet]
    next_page_token: str
    total_size: int
    def __init__(self, datanets: _Optional[_Iterable[_Union[_datanet_pb2.Datanet, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class UpdateDatanetRequest(_message.Message):
    __slots__ = ("request_id", "datanet", "update_mask")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    DATANET_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    datanet: _datanet_pb2.Datanet
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, request_id: _Optional[str] = ..., datanet: _Optional[_Union[_datanet_pb2.Datanet, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateDatanetResponse(_message.Message):
    __slots__ = ("datanet",)
    DATANET_FIELD_NUMBER: _ClassVar[int]
    datanet: _datanet_pb2.Datanet
    def __init__(self, datanet: _Optional[_Union[_datanet_pb2.Datanet, _Mapping]] = ...) -> None: ...

class SubmitContributionsRequest(_message.Message):
    __slots__ = ("request_id", "parent", "records")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PARENT_FIELD_NUMBER: _ClassVar[int]
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    parent: str
    records: _containers.RepeatedCompositeFieldContainer[_contribution_pb2.ContributionRecord]
    def __init__(self, request_id: _Optional[str] = ..., parent: _Optional[str] = ..., records: _Optional[_Iterable[_Union[_contribution_pb2.ContributionRecord, _Mapping]]] = ...) -> None: ...

class SubmitContributionsResponse(_message.Message):
    __slots__ = ("results", "queued_count", "failed_count")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    QUEUED_COUNT_FIELD_NUMBER: _ClassVar[int]
    FAILED_COUNT_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[ContributionSubmissionResult]
    queued_count: int
    failed_count: int
    def __init__(self, results: _Optional[_Iterable[_Union[ContributionSubmissionResult, _Mapping]]] = ..., queued_count: _Optional[int] = ..., failed_count: _Optional[int] = ...) -> None: ...

class ContributionSubmissionResult(_message.Message):
    __slots__ = ("index", "contribution", "error", "already_submitted")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    CONTRIBUTION_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    ALREADY_SUBMITTED_FIELD_NUMBER: _ClassVar[int]
    index: int
    contribution: str
    error: SubmissionError
    already_submitted: bool
    def __init__(self, index: _Optional[int] = ..., contribution: _Optional[str] = ..., error: _Optional[_Union[SubmissionError, _Mapping]] = ..., already_submitted: _Optional[bool] = ...) -> None: ...

class SubmissionError(_message.Message):
    __slots__ = ("reason", "message")
    REASON_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    reason: SubmissionErrorReason
    message: str
    def __init__(self, reason: _Optional[_Union[SubmissionErrorReason, str]] = ..., message: _Optional[str] = ...) -> None: ...

class GetContributionRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetContributionResponse(_message.Message):
    __slots__ = ("contribution",)
    CONTRIBUTION_FIELD_NUMBER: _ClassVar[int]
    contribution: _contribution_pb2.Contribution
    def __init__(self, contribution: _Optional[_Union[_contribution_pb2.Contribution, _Mapping]] = ...) -> None: ...

class ListContributionsRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token", "contributor", "statuses", "rejection_reasons", "create_time_start", "create_time_end", "newest_first", "omit_content")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    CONTRIBUTOR_FIELD_NUMBER: _ClassVar[int]
    STATUSES_FIELD_NUMBER: _ClassVar[int]
    REJECTION_REASONS_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_START_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_END_FIELD_NUMBER: _ClassVar[int]
    NEWEST_FIRST_FIELD_NUMBER: _ClassVar[int]
    OMIT_CONTENT_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    contributor: str
    statuses: _containers.RepeatedScalarFieldContainer[_contribution_pb2.ContributionStatus]
    rejection_reasons: _containers.RepeatedScalarFieldContainer[_curation_pb2.RejectionReason]
    create_time_start: _timestamp_pb2.Timestamp
    create_time_end: _timestamp_pb2.Timestamp
    newest_first: bool
    omit_content: bool
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., contributor: _Optional[str] = ..., statuses: _Optional[_Iterable[_Union[_contribution_pb2.ContributionStatus, str]]] = ..., rejection_reasons: _Optional[_Iterable[_Union[_curation_pb2.RejectionReason, str]]] = ..., create_time_start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., create_time_end: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., newest_first: _Optional[bool] = ..., omit_content: _Optional[bool] = ...) -> None: ...

class ListContributionsResponse(_message.Message):
    __slots__ = ("contributions", "next_page_token", "total_size")
    CONTRIBUTIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    contributions: _containers.RepeatedCompositeFieldContainer[_contribution_pb2.Contribution]
    next_page_token: str
    total_size: int
    def __init__(self, contributions: _Optional[_Iterable[_Union[_contribution_pb2.Contribution, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class GetContributorRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetContributorResponse(_message.Message):
    __slots__ = ("contributor",)
    CONTRIBUTOR_FIELD_NUMBER: _ClassVar[int]
    contributor: _contributor_pb2.Contributor
    def __init__(self, contributor: _Optional[_Union[_contributor_pb2.Contributor, _Mapping]] = ...) -> None: ...

class CreateSnapshotRequest(_message.Message):
    __slots__ = ("request_id", "parent", "description", "accepted_before")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PARENT_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ACCEPTED_BEFORE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    parent: str
    description: str
    accepted_before: _timestamp_pb2.Timestamp
    def __init__(self, request_id: _Optional[str] = ..., parent: _Optional[str] = ..., description: _Optional[str] = ..., accepted_before: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateSnapshotResponse(_message.Message):
    __slots__ = ("snapshot",)
    SNAPSHOT_FIELD_NUMBER: _ClassVar[int]
    snapshot: _snapshot_pb2.Snapshot
    def __init__(self, snapshot: _Optional[_Union[_snapshot_pb2.Snapshot, _Mapping]] = ...) -> None: ...

class GetSnapshotRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetSnapshotResponse(_message.Message):
    __slots__ = ("snapshot",)
    SNAPSHOT_FIELD_NUMBER: _ClassVar[int]
    snapshot: _snapshot_pb2.Snapshot
    def __init__(self, snapshot: _Optional[_Union[_snapshot_pb2.Snapshot, _Mapping]] = ...) -> None: ...

class ListSnapshotsRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token", "states")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATES_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    states: _containers.RepeatedScalarFieldContainer[_job_pb2.JobState]
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., states: _Optional[_Iterable[_Union[_job_pb2.JobState, str]]] = ...) -> None: ...

class ListSnapshotsResponse(_message.Message):
    __slots__ = ("snapshots", "next_page_token", "total_size")
    SNAPSHOTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    snapshots: _containers.RepeatedCompositeFieldContainer[_snapshot_pb2.Snapshot]
    next_page_token: str
    total_size: int
    def __init__(self, snapshots: _Optional[_Iterable[_Union[_snapshot_pb2.Snapshot, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class ExportSnapshotRequest(_message.Message):
    __slots__ = ("name", "start_index", "end_index", "omit_content")
    NAME_FIELD_NUMBER: _ClassVar[int]
    START_INDEX_FIELD_NUMBER: _ClassVar[int]
    END_INDEX_FIELD_NUMBER: _ClassVar[int]
    OMIT_CONTENT_FIELD_NUMBER: _ClassVar[int]
    name: str
    start_index: int
    end_index: int
    omit_content: bool
    def __init__(self, name: _Optional[str] = ..., start_index: _Optional[int] = ..., end_index: _Optional[int] = ..., omit_content: _Optional[bool] = ...) -> None: ...

class ExportSnapshotResponse(_message.Message):
    __slots__ = ("records",)
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedCompositeFieldContainer[_snapshot_pb2.SnapshotRecord]
    def __init__(self, records: _Optional[_Iterable[_Union[_snapshot_pb2.SnapshotRecord, _Mapping]]] = ...) -> None: ...

class GetInclusionProofRequest(_message.Message):
    __slots__ = ("snapshot", "record_id", "leaf_index")
    SNAPSHOT_FIELD_NUMBER: _ClassVar[int]
    RECORD_ID_FIELD_NUMBER: _ClassVar[int]
    LEAF_INDEX_FIELD_NUMBER: _ClassVar[int]
    snapshot: str
    record_id: str
    leaf_index: int
    def __init__(self, snapshot: _Optional[str] = ..., record_id: _Optional[str] = ..., leaf_index: _Optional[int] = ...) -> None: ...

class GetInclusionProofResponse(_message.Message):
    __slots__ = ("proof",)
    PROOF_FIELD_NUMBER: _ClassVar[int]
    proof: _snapshot_pb2.InclusionProof
    def __init__(self, proof: _Optional[_Union[_snapshot_pb2.InclusionProof, _Mapping]] = ...) -> None: ...

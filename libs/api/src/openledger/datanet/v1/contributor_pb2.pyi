import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from openledger.common.v1 import chain_pb2 as _chain_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ContributorStanding(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CONTRIBUTOR_STANDING_UNSPECIFIED: _ClassVar[ContributorStanding]
    CONTRIBUTOR_STANDING_GOOD: _ClassVar[ContributorStanding]
    CONTRIBUTOR_STANDING_INSUFFICIENT_STAKE: _ClassVar[ContributorStanding]
    CONTRIBUTOR_STANDING_SUSPENDED: _ClassVar[ContributorStanding]

class PenaltyKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PENALTY_KIND_UNSPECIFIED: _ClassVar[PenaltyKind]
    PENALTY_KIND_SLASH: _ClassVar[PenaltyKind]
    PENALTY_KIND_SUSPENSION: _ClassVar[PenaltyKind]

class PenaltyTrigger(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PENALTY_TRIGGER_UNSPECIFIED: _ClassVar[PenaltyTrigger]
    PENALTY_TRIGGER_REJECTION_RATE: _ClassVar[PenaltyTrigger]
    PENALTY_TRIGGER_NEGATIVE_INFLUENCE: _ClassVar[PenaltyTrigger]
    PENALTY_TRIGGER_ADMIN: _ClassVar[PenaltyTrigger]

class PenaltyState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PENALTY_STATE_UNSPECIFIED: _ClassVar[PenaltyState]
    PENALTY_STATE_PENDING: _ClassVar[PenaltyState]
    PENALTY_STATE_CONFIRMED: _ClassVar[PenaltyState]
    PENALTY_STATE_FAILED: _ClassVar[PenaltyState]
CONTRIBUTOR_STANDING_UNSPECIFIED: ContributorStanding
CONTRIBUTOR_STANDING_GOOD: ContributorStanding
CONTRIBUTOR_STANDING_INSUFFICIENT_STAKE: ContributorStanding
CONTRIBUTOR_STANDING_SUSPENDED: ContributorStanding
PENALTY_KIND_UNSPECIFIED: PenaltyKind
PENALTY_KIND_SLASH: PenaltyKind
PENALTY_KIND_SUSPENSION: PenaltyKind
PENALTY_TRIGGER_UNSPECIFIED: PenaltyTrigger
PENALTY_TRIGGER_REJECTION_RATE: PenaltyTrigger
PENALTY_TRIGGER_NEGATIVE_INFLUENCE: PenaltyTrigger
PENALTY_TRIGGER_ADMIN: PenaltyTrigger
PENALTY_STATE_UNSPECIFIED: PenaltyState
PENALTY_STATE_PENDING: PenaltyState
PENALTY_STATE_CONFIRMED: PenaltyState
PENALTY_STATE_FAILED: PenaltyState

class Contributor(_message.Message):
    __slots__ = ("name", "address", "stake", "standing", "accepted_count", "rejected_count", "pending_count", "reputation", "window_curated_count", "window_counted_rejections", "window_rejection_rate", "total_slashed", "penalties", "first_contribution_time", "last_contribution_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    STAKE_FIELD_NUMBER: _ClassVar[int]
    STANDING_FIELD_NUMBER: _ClassVar[int]
    ACCEPTED_COUNT_FIELD_NUMBER: _ClassVar[int]
    REJECTED_COUNT_FIELD_NUMBER: _ClassVar[int]
    PENDING_COUNT_FIELD_NUMBER: _ClassVar[int]
    REPUTATION_FIELD_NUMBER: _ClassVar[int]
    WINDOW_CURATED_COUNT_FIELD_NUMBER: _ClassVar[int]
    WINDOW_COUNTED_REJECTIONS_FIELD_NUMBER: _ClassVar[int]
    WINDOW_REJECTION_RATE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SLASHED_FIELD_NUMBER: _ClassVar[int]
    PENALTIES_FIELD_NUMBER: _ClassVar[int]
    FIRST_CONTRIBUTION_TIME_FIELD_NUMBER: _ClassVar[int]
    LAST_CONTRIBUTION_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    address: str
    stake: str
    standing: ContributorStanding
    accepted_count: int
    rejected_count: int
    pending_count: int
    reputation: float
    window_curated_count: int
    window_counted_rejections: int
    window_rejection_rate: float
    total_slashed: str
    penalties: _containers.RepeatedCompositeFieldContainer[Penalty]
    first_contribution_time: _timestamp_pb2.Timestamp
    last_contribution_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., address: _Optional[str] = ..., stake: _Optional[str] = ..., standing: _Optional[_Union[ContributorStanding, str]] = ..., accepted_count: _Optional[int] = ..., rejected_count: _Optional[int] = ..., pending_count: _Optional[int] = ..., reputation: _Optional[float] = ..., window_curated_count: _Optional[int] = ..., window_counted_rejections: _Optional[int] = ..., window_rejection_rate: _Optional[float] = ..., total_slashed: _Optional[str] = ..., penalties: _Optional[_Iterable[_Union[Penalty, _Mapping]]] = ..., first_contribution_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_contribution_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Penalty(_message.Message):
    __slots__ = ("id", "kind", "trigger", "state", "amount", "rejection_rate", "contributions", "detail", "transaction", "create_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    TRIGGER_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    REJECTION_RATE_FIELD_NUMBER: _ClassVar[int]
    CONTRIBUTIONS_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    kind: PenaltyKind
    trigger: PenaltyTrigger
    state: PenaltyState
    amount: str
    rejection_rate: float
    contributions: _containers.RepeatedScalarFieldContainer[str]
    detail: str
    transaction: _chain_pb2.ChainTransaction
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., kind: _Optional[_Union[PenaltyKind, str]] = ..., trigger: _Optional[_Union[PenaltyTrigger, str]] = ..., state: _Optional[_Union[PenaltyState, str]] = ..., amount: _Optional[str] = ..., rejection_rate: _Optional[float] = ..., contributions: _Optional[_Iterable[str]] = ..., detail: _Optional[str] = ..., transaction: _Optional[_Union[_chain_pb2.ChainTransaction, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

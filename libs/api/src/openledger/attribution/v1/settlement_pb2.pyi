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

class SettlementState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SETTLEMENT_STATE_UNSPECIFIED: _ClassVar[SettlementState]
    SETTLEMENT_STATE_PENDING: _ClassVar[SettlementState]
    SETTLEMENT_STATE_SUBMITTED: _ClassVar[SettlementState]
    SETTLEMENT_STATE_CONFIRMED: _ClassVar[SettlementState]
    SETTLEMENT_STATE_FAILED: _ClassVar[SettlementState]
SETTLEMENT_STATE_UNSPECIFIED: SettlementState
SETTLEMENT_STATE_PENDING: SettlementState
SETTLEMENT_STATE_SUBMITTED: SettlementState
SETTLEMENT_STATE_CONFIRMED: SettlementState
SETTLEMENT_STATE_FAILED: SettlementState

class FeeSplit(_message.Message):
    __slots__ = ("fee", "contributors_bps", "model_owner_bps", "protocol_bps", "contributors_amount", "model_owner_amount", "protocol_amount", "model_owner_address", "protocol_address")
    FEE_FIELD_NUMBER: _ClassVar[int]
    CONTRIBUTORS_BPS_FIELD_NUMBER: _ClassVar[int]
    MODEL_OWNER_BPS_FIELD_NUMBER: _ClassVar[int]
    PROTOCOL_BPS_FIELD_NUMBER: _ClassVar[int]
    CONTRIBUTORS_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    MODEL_OWNER_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    PROTOCOL_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    MODEL_OWNER_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    PROTOCOL_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    fee: str
    contributors_bps: int
    model_owner_bps: int
    protocol_bps: int
    contributors_amount: str
    model_owner_amount: str
    protocol_amount: str
    model_owner_address: str
    protocol_address: str
    def __init__(self, fee: _Optional[str] = ..., contributors_bps: _Optional[int] = ..., model_owner_bps: _Optional[int] = ..., protocol_bps: _Optional[int] = ..., contributors_amount: _Optional[str] = ..., model_owner_amount: _Optional[str] = ..., protocol_amount: _Optional[str] = ..., model_owner_address: _Optional[str] = ..., protocol_address: _Optional[str] = ...) -> None: ...

class ContributorPayout(_message.Message):
    __slots__ = ("contributor_address", "amount")
    CONTRIBUTOR_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    contributor_address: str
    amount: str
    def __init__(self, contributor_address: _Optional[str] = ..., amount: _Optional[str] = ...) -> None: ...

class Settlement(_message.Message):
    __slots__ = ("name", "inference_id", "attribution", "state", "batch_id", "transaction", "fee_split", "payouts", "evidence_hash", "create_time", "submit_time", "confirm_time", "attempts", "error_reason", "error_message")
    NAME_FIELD_NUMBER: _ClassVar[int]
    INFERENCE_ID_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    FEE_SPLIT_FIELD_NUMBER: _ClassVar[int]
    PAYOUTS_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_HASH_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    SUBMIT_TIME_FIELD_NUMBER: _ClassVar[int]
    CONFIRM_TIME_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    ERROR_REASON_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    name: str
    inference_id: str
    attribution: str
    state: SettlementState
    batch_id: str
    transaction: _chain_pb2.ChainTransaction
    fee_split: FeeSplit
    payouts: _containers.RepeatedCompositeFieldContainer[ContributorPayout]
    evidence_hash: bytes
    create_time: _timestamp_pb2.Timestamp
    submit_time: _timestamp_pb2.Timestamp
    confirm_time: _timestamp_pb2.Timestamp
    attempts: int
    error_reason: str
    error_message: str
    def __init__(self, name: _Optional[str] = ..., inference_id: _Optional[str] = ..., attribution: _Optional[str] = ..., state: _Optional[_Union[SettlementState, str]] = ..., batch_id: _Optional[str] = ..., transaction: _Optional[_Union[_chain_pb2.ChainTransaction, _Mapping]] = ..., fee_split: _Optional[_Union[FeeSplit, _Mapping]] = ..., payouts: _Optional[_Iterable[_Union[ContributorPayout, _Mapping]]] = ..., evidence_hash: _Optional[bytes] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., submit_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., confirm_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., attempts: _Optional[int] = ..., error_reason: _Optional[str] = ..., error_message: _Optional[str] = ...) -> None: ...

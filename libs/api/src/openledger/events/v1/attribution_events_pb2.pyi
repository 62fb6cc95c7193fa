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

class SettlementMethod(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SETTLEMENT_METHOD_UNSPECIFIED: _ClassVar[SettlementMethod]
    SETTLEMENT_METHOD_SPAN: _ClassVar[SettlementMethod]
    SETTLEMENT_METHOD_GRADIENT: _ClassVar[SettlementMethod]
    SETTLEMENT_METHOD_COMBINED: _ClassVar[SettlementMethod]
SETTLEMENT_METHOD_UNSPECIFIED: SettlementMethod
SETTLEMENT_METHOD_SPAN: SettlementMethod
SETTLEMENT_METHOD_GRADIENT: SettlementMethod
SETTLEMENT_METHOD_COMBINED: SettlementMethod

class SettledPayout(_message.Message):
    __slots__ = ("contributor_address", "amount", "share")
    CONTRIBUTOR_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    SHARE_FIELD_NUMBER: _ClassVar[int]
    contributor_address: str
    amount: str
    share: float
    def __init__(self, contributor_address: _Optional[str] = ..., amount: _Optional[str] = ..., share: _Optional[float] = ...) -> None: ...

class NegativeInfluence(_message.Message):
    __slots__ = ("contributor_address", "score", "contributions")
    CONTRIBUTOR_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    CONTRIBUTIONS_FIELD_NUMBER: _ClassVar[int]
    contributor_address: str
    score: float
    contributions: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, contributor_address: _Optional[str] = ..., score: _Optional[float] = ..., contributions: _Optional[_Iterable[str]] = ...) -> None: ...

class AttributionSettled(_message.Message):
    __slots__ = ("inference_id", "attribution", "settlement", "adapter", "method", "snapshot", "snapshot_merkle_root", "threshold_bps", "payouts", "fee", "contributors_bps", "contributors_amount", "model_owner_bps", "model_owner_amount", "model_owner_address", "protocol_bps", "protocol_amount", "protocol_address", "evidence_hash", "evidence_uri", "transaction", "settle_time", "negative_influences")
    INFERENCE_ID_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTION_FIELD_NUMBER: _ClassVar[int]
    SETTLEMENT_FIELD_NUMBER: _ClassVar[int]
    ADAPTER_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_MERKLE_ROOT_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_BPS_FIELD_NUMBER: _ClassVar[int]
    PAYOUTS_FIELD_NUMBER: _ClassVar[int]
    FEE_FIELD_NUMBER: _ClassVar[int]
    CONTRIBUTORS_BPS_FIELD_NUMBER: _ClassVar[int]
    CONTRIBUTORS_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    MODEL_OWNER_BPS_FIELD_NUMBER: _ClassVar[int]
    MODEL_OWNER_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    MODEL_OWNER_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    PROTOCOL_BPS_FIELD_NUMBER: _ClassVar[int]
    PROTOCOL_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    PROTOCOL_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_HASH_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_URI_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    SETTLE_TIME_FIELD_NUMBER: _ClassVar[int]
    NEGATIVE_INFLUENCES_FIELD_NUMBER: _ClassVar[int]
    inference_id: str
    attribution: str
    settlement: str
    adapter: str
    method: SettlementMethod
    snapshot: str
    snapshot_merkle_root: bytes
    threshold_bps: int
    payouts: _containers.RepeatedCompositeFieldContainer[SettledPayout]
    fee: str
    contributors_bps: int
    contributors_amount: str
    model_owner_bps: int
    model_owner_amount: str
    model_owner_address: str
    protocol_bps: int
    protocol_amount: str
    protocol_address: str
    evidence_hash: bytes
    evidence_uri: str
    transaction: _chain_pb2.ChainTransaction
    settle_time: _timestamp_pb2.Timestamp
    negative_influences: _containers.RepeatedCompositeFieldContainer[NegativeInfluence]
    def __init__(self, inference_id: _Optional[str] = ..., attribution: _Optional[str] = ..., settlement: _Optional[str] = ..., adapter: _Optional[str] = ..., method: _Optional[_Union[SettlementMethod, str]] = ..., snapshot: _Optional[str] = ..., snapshot_merkle_root: _Optional[bytes] = ..., threshold_bps: _Optional[int] = ..., payouts: _Optional[_Iterable[_Union[SettledPayout, _Mapping]]] = ..., fee: _Optional[str] = ..., contributors_bps: _Optional[int] = ..., contributors_amount: _Optional[str] = ..., model_owner_bps: _Optional[int] = ..., model_owner_amount: _Optional[str] = ..., model_owner_address: _Optional[str] = ..., protocol_bps: _Optional[int] = ..., protocol_amount: _Optional[str] = ..., protocol_address: _Optional[str] = ..., evidence_hash: _Optional[bytes] = ..., evidence_uri: _Optional[str] = ..., transaction: _Optional[_Union[_chain_pb2.ChainTransaction, _Mapping]] = ..., settle_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., negative_influences: _Optional[_Iterable[_Union[NegativeInfluence, _Mapping]]] = ...) -> None: ...

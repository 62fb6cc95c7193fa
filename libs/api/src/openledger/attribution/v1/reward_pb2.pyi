import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from openledger.attribution.v1 import settlement_pb2 as _settlement_pb2
from openledger.common.v1 import chain_pb2 as _chain_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RewardCredit(_message.Message):
    __slots__ = ("inference_id", "settlement", "adapter", "datanet", "score", "share", "amount", "record_count", "state", "transaction", "create_time", "confirm_time")
    INFERENCE_ID_FIELD_NUMBER: _ClassVar[int]
    SETTLEMENT_FIELD_NUMBER: _ClassVar[int]
    ADAPTER_FIELD_NUMBER: _ClassVar[int]
    DATANET_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    SHARE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    RECORD_COUNT_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    CONFIRM_TIME_FIELD_NUMBER: _ClassVar[int]
    inference_id: str
    settlement: str
    adapter: str
    datanet: str
    score: float
    share: float
    amount: str
    record_count: int
    state: _settlement_pb2.SettlementState
    transaction: _chain_pb2.ChainTransaction
    create_time: _timestamp_pb2.Timestamp
    confirm_time: _timestamp_pb2.Timestamp
    def __init__(self, inference_id: _Optional[str] = ..., settlement: _Optional[str] = ..., adapter: _Optional[str] = ..., datanet: _Optional[str] = ..., score: _Optional[float] = ..., share: _Optional[float] = ..., amount: _Optional[str] = ..., record_count: _Optional[int] = ..., state: _Optional[_Union[_settlement_pb2.SettlementState, str]] = ..., transaction: _Optional[_Union[_chain_pb2.ChainTransaction, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., confirm_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class OutputState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OUTPUT_STATE_UNSPECIFIED: _ClassVar[OutputState]
    OUTPUT_STATE_PENDING: _ClassVar[OutputState]
    OUTPUT_STATE_PROPOSED: _ClassVar[OutputState]
    OUTPUT_STATE_FINALIZED: _ClassVar[OutputState]
    OUTPUT_STATE_DELETED: _ClassVar[OutputState]
OUTPUT_STATE_UNSPECIFIED: OutputState
OUTPUT_STATE_PENDING: OutputState
OUTPUT_STATE_PROPOSED: OutputState
OUTPUT_STATE_FINALIZED: OutputState
OUTPUT_STATE_DELETED: OutputState

class Output(_message.Message):
    __slots__ = ("name", "output_index", "l2_block_number", "l2_block_time", "output_root", "version", "state_root", "message_passer_storage_root", "block_hash", "state", "proposer", "l1_transaction_hash", "l1_block_number", "proposal_time", "finalization_time", "challenged", "derived_output_root", "delete_transaction_hash", "delete_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_INDEX_FIELD_NUMBER: _ClassVar[int]
    L2_BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    L2_BLOCK_TIME_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_ROOT_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_ROOT_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_PASSER_STORAGE_ROOT_FIELD_NUMBER: _ClassVar[int]
    BLOCK_HASH_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    PROPOSER_FIELD_NUMBER: _ClassVar[int]
    L1_TRANSACTION_HASH_FIELD_NUMBER: _ClassVar[int]
    L1_BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    PROPOSAL_TIME_FIELD_NUMBER: _ClassVar[int]
    FINALIZATION_TIME_FIELD_NUMBER: _ClassVar[int]
    CHALLENGED_FIELD_NUMBER: _ClassVar[int]
    DERIVED_OUTPUT_ROOT_FIELD_NUMBER: _ClassVar[int]
    DELETE_TRANSACTION_HASH_FIELD_NUMBER: _ClassVar[int]
    DELETE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    output_index: int
    l2_block_number: int
    l2_block_time: _timestamp_pb2.Timestamp
    output_root: bytes
    version: bytes
    state_root: bytes
    message_passer_storage_root: bytes
    block_hash: bytes
    state: OutputState
    proposer: str
    l1_transaction_hash: bytes
    l1_block_number: int
    proposal_time: _timestamp_pb2.Timestamp
    finalization_time: _timestamp_pb2.Timestamp
    challenged: bool
    derived_output_root: bytes
    delete_transaction_hash: bytes
    delete_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., output_index: _Optional[int] = ..., l2_block_number: _Optional[int] = ..., l2_block_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., output_root: _Optional[bytes] = ..., version: _Optional[bytes] = ..., state_root: _Optional[bytes] = ..., message_passer_storage_root: _Optional[bytes] = ..., block_hash: _Optional[bytes] = ..., state: _Optional[_Union[OutputState, str]] = ..., proposer: _Optional[str] = ..., l1_transaction_hash: _Optional[bytes] = ..., l1_block_number: _Optional[int] = ..., proposal_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., finalization_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., challenged: _Optional[bool] = ..., derived_output_root: _Optional[bytes] = ..., delete_transaction_hash: _Optional[bytes] = ..., delete_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

import datetime

from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from openledger.common.v1 import chain_pb2 as _chain_pb2
from openledger.datanet.v1 import curation_pb2 as _curation_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DatanetState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DATANET_STATE_UNSPECIFIED: _ClassVar[DatanetState]
    DATANET_STATE_REGISTERING: _ClassVar[DatanetState]
    DATANET_STATE_ACTIVE: _ClassVar[DatanetState]
    DATANET_STATE_PAUSED: _ClassVar[DatanetState]
    DATANET_STATE_REGISTRATION_FAILED: _ClassVar[DatanetState]
DATANET_STATE_UNSPECIFIED: DatanetState
DATANET_STATE_REGISTERING: DatanetState
DATANET_STATE_ACTIVE: DatanetState
DATANET_STATE_PAUSED: DatanetState
DATANET_STATE_REGISTRATION_FAILED: DatanetState

class Datanet(_message.Message):
    __slots__ = ("name", "display_name", "domain", "description", "record_schema", "curation_policy", "stake_required", "curator", "state", "revision", "registration", "accepted_count", "rejected_count", "pending_count", "contributor_count", "latest_snapshot", "create_time", "update_time", "etag")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    RECORD_SCHEMA_FIELD_NUMBER: _ClassVar[int]
    CURATION_POLICY_FIELD_NUMBER: _ClassVar[int]
    STAKE_REQUIRED_FIELD_NUMBER: _ClassVar[int]
    CURATOR_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    REGISTRATION_FIELD_NUMBER: _ClassVar[int]
    ACCEPTED_COUNT_FIELD_NUMBER: _ClassVar[int]
    REJECTED_COUNT_FIELD_NUMBER: _ClassVar[int]
    PENDING_COUNT_FIELD_NUMBER: _ClassVar[int]
    CONTRIBUTOR_COUNT_FIELD_NUMBER: _ClassVar[int]
    LATEST_SNAPSHOT_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    name: str
    display_name: str
    domain: str
    description: str
    record_schema: _struct_pb2.Struct
    curation_policy: _curation_pb2.CurationPolicy
    stake_required: str
    curator: str
    state: DatanetState
    revision: int
    registration: _chain_pb2.ChainTransaction
    accepted_count: int
    rejected_count: int
    pending_count: int
    contributor_count: int
    latest_snapshot: str
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    etag: str
    def __init__(self, name: _Optional[str] = ..., display_name: _Optional[str] = ..., domain: _Optional[str] = ..., description: _Optional[str] = ..., record_schema: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., curation_policy: _Optional[_Union[_curation_pb2.CurationPolicy, _Mapping]] = ..., stake_required: _Optional[str] = ..., curator: _Optional[str] = ..., state: _Optional[_Union[DatanetState, str]] = ..., revision: _Optional[int] = ..., registration: _Optional[_Union[_chain_pb2.ChainTransaction, _Mapping]] = ..., accepted_count: _Optional[int] = ..., rejected_count: _Optional[int] = ..., pending_count: _Optional[int] = ..., contributor_count: _Optional[int] = ..., latest_snapshot: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., etag: _Optional[str] = ...) -> None: ...

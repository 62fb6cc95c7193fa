import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from openledger.attribution.v1 import settlement_pb2 as _settlement_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AttributionMethod(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ATTRIBUTION_METHOD_UNSPECIFIED: _ClassVar[AttributionMethod]
    ATTRIBUTION_METHOD_SPAN: _ClassVar[AttributionMethod]
    ATTRIBUTION_METHOD_GRADIENT: _ClassVar[AttributionMethod]
    ATTRIBUTION_METHOD_COMBINED: _ClassVar[AttributionMethod]

class AttributionState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ATTRIBUTION_STATE_UNSPECIFIED: _ClassVar[AttributionState]
    ATTRIBUTION_STATE_PENDING: _ClassVar[AttributionState]
    ATTRIBUTION_STATE_COMPLETED: _ClassVar[AttributionState]
    ATTRIBUTION_STATE_NOT_ATTRIBUTABLE: _ClassVar[AttributionState]
    ATTRIBUTION_STATE_FAILED: _ClassVar[AttributionState]
ATTRIBUTION_METHOD_UNSPECIFIED: AttributionMethod
ATTRIBUTION_METHOD_SPAN: AttributionMethod
ATTRIBUTION_METHOD_GRADIENT: AttributionMethod
ATTRIBUTION_METHOD_COMBINED: AttributionMethod
ATTRIBUTION_STATE_UNSPECIFIED: AttributionState
ATTRIBUTION_STATE_PENDING: AttributionState
ATTRIBUTION_STATE_COMPLETED: AttributionState
ATTRIBUTION_STATE_NOT_ATTRIBUTABLE: AttributionState
ATTRIBUTION_STATE_FAILED: AttributionState

class AttributionParameters(_message.Message):
    __slots__ = ("min_span_tokens", "max_span_occurrences", "max_spans", "projection_dim", "projection_seed", "damping_e9", "max_examples", "span_weight_bps", "scorer_version")
    MIN_SPAN_TOKENS_FIELD_NUMBER: _ClassVar[int]
    MAX_SPAN_OCCURRENCES_FIELD_NUMBER: _ClassVar[int]
    MAX_SPANS_FIELD_NUMBER: _ClassVar[int]
    PROJECTION_DIM_FIELD_NUMBER: _ClassVar[int]
    PROJECTION_SEED_FIELD_NUMBER: _ClassVar[int]
    DAMPING_E9_FIELD_NUMBER: _ClassVar[int]
    MAX_EXAMPLES_FIELD_NUMBER: _ClassVar[int]
    SPAN_WEIGHT_BPS_FIELD_NUMBER: _ClassVar[int]
    SCORER_VERSION_FIELD_NUMBER: _ClassVar[int]
    min_span_tokens: int
    max_span_occurrences: int
    max_spans: int
    projection_dim: int
    projection_seed: int
    damping_e9: int
    max_examples: int
    span_weight_bps: int
    scorer_version: str
    def __init__(self, min_span_tokens: _Optional[int] = ..., max_span_occurrences: _Optional[int] = ..., max_spans: _Optional[int] = ..., projection_dim: _Optional[int] = ..., projection_seed: _Optional[int] = ..., damping_e9: _Optional[int] = ..., max_examples: _Optional[int] = ..., span_weight_bps: _Optional[int] = ..., scorer_version: _Optional[str] = ...) -> None: ...

class ContributorAttribution(_message.Message):
    __slots__ = ("contributor_address", "score", "span_score", "gradient_score", "raw_share", "eligible", "share", "amount", "record_count")
    CONTRIBUTOR_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    SPAN_SCORE_FIELD_NUMBER: _ClassVar[int]
    GRADIENT_SCORE_FIELD_NUMBER: _ClassVar[int]
    RAW_SHARE_FIELD_NUMBER: _ClassVar[int]
    ELIGIBLE_FIELD_NUMBER: _ClassVar[int]
    SHARE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    RECORD_COUNT_FIELD_NUMBER: _ClassVar[int]
    contributor_address: str
    score: float
    span_score: float
    gradient_score: float
    raw_share: float
    eligible: bool
    share: float
    amount: str
    record_count: int
    def __init__(self, contributor_address: _Optional[str] = ..., score: _Optional[float] = ..., span_score: _Optional[float] = ..., gradient_score: _Optional[float] = ..., raw_share: _Optional[float] = ..., eligible: _Optional[bool] = ..., share: _Optional[float] = ..., amount: _Optional[str] = ..., record_count: _Optional[int] = ...) -> None: ...

class Attribution(_message.Message):
    __slots__ = ("name", "inference_id", "state", "adapter", "base_model", "snapshot", "method", "parameters", "threshold_bps", "contributors", "contributor_count", "fee_split", "evidence_hash", "evidence_uri", "settlement", "settlement_state", "settlement_tx_hash", "create_time", "complete_time", "error_reason", "error_message")
    NAME_FIELD_NUMBER: _ClassVar[int]
    INFERENCE_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    ADAPTER_FIELD_NUMBER: _ClassVar[int]
    BASE_MODEL_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_BPS_FIELD_NUMBER: _ClassVar[int]
    CONTRIBUTORS_FIELD_NUMBER: _ClassVar[int]
    CONTRIBUTOR_COUNT_FIELD_NUMBER: _ClassVar[int]
    FEE_SPLIT_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_HASH_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_URI_FIELD_NUMBER: _ClassVar[int]
    SETTLEMENT_FIELD_NUMBER: _ClassVar[int]
    SETTLEMENT_STATE_FIELD_NUMBER: _ClassVar[int]
    SETTLEMENT_TX_HASH_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    COMPLETE_TIME_FIELD_NUMBER: _ClassVar[int]
    ERROR_REASON_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    name: str
    inference_id: str
    state: AttributionState
    adapter: str
    base_model: str
    snapshot: str
    method: AttributionMethod
    parameters: AttributionParameters
    threshold_bps: int
    contributors: _containers.RepeatedCompositeFieldContainer[ContributorAttribution]
    contributor_count: int
    fee_split: _settlement_pb2.FeeSplit
    evidence_hash: bytes
    evidence_uri: str
    settlement: str
    settlement_state: _settlement_pb2.SettlementState
    settlement_tx_hash: bytes
    create_time: _timestamp_pb2.Timestamp
    complete_time: _timestamp_pb2.Timestamp
    error_reason: str
    error_message: str
    def __init__(self, name: _Optional[str] = ..., inference_id: _Optional[str] = ..., state: _Optional[_Union[AttributionState, str]] = ..., adapter: _Optional[str] = ..., base_model: _Optional[str] = ..., snapshot: _Optional[str] = ..., method: _Optional[_Union[AttributionMethod, str]] = ..., parameters: _Optional[_Union[AttributionParameters, _Mapping]] = ..., threshold_bps: _Optional[int] = ..., contributors: _Optional[_Iterable[_Union[ContributorAttribution, _Mapping]]] = ..., contributor_count: _Optional[int] = ..., fee_split: _Optional[_Union[_settlement_pb2.FeeSplit, _Mapping]] = ..., evidence_hash: _Optional[bytes] = ..., evidence_uri: _Optional[str] = ..., settlement: _Optional[str] = ..., settlement_state: _Optional[_Union[_settlement_pb2.SettlementState, str]] = ..., settlement_tx_hash: _Optional[bytes] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., complete_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., error_reason: _Optional[str] = ..., error_message: _Optional[str] = ...) -> None: ...

import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from openledger.attribution.v1 import attribution_pb2 as _attribution_pb2
from openledger.attribution.v1 import explanation_pb2 as _explanation_pb2
from openledger.attribution.v1 import reward_pb2 as _reward_pb2
from openledger.attribution.v1 import settlement_pb2 as _settlement_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetAttributionRequest(_message.Message):
    __slots__ = ("name", "include_evidence")
    NAME_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_EVIDENCE_FIELD_NUMBER: _ClassVar[int]
    name: str
    include_evidence: bool
    def __init__(self, name: _Optional[str] = ..., include_evidence: _Optional[bool] = ...) -> None: ...

class GetAttributionResponse(_message.Message):
    __slots__ = ("attribution", "evidence_bytes")
    ATTRIBUTION_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_BYTES_FIELD_NUMBER: _ClassVar[int]
    attribution: _attribution_pb2.Attribution
    evidence_bytes: bytes
    def __init__(self, attribution: _Optional[_Union[_attribution_pb2.Attribution, _Mapping]] = ..., evidence_bytes: _Optional[bytes] = ...) -> None: ...

class ExplainCompletionRequest(_message.Message):
    __slots__ = ("inference_id", "max_spans", "max_matches_per_span", "max_examples", "snippet_chars")
    INFERENCE_ID_FIELD_NUMBER: _ClassVar[int]
    MAX_SPANS_FIELD_NUMBER: _ClassVar[int]
    MAX_MATCHES_PER_SPAN_FIELD_NUMBER: _ClassVar[int]
    MAX_EXAMPLES_FIELD_NUMBER: _ClassVar[int]
    SNIPPET_CHARS_FIELD_NUMBER: _ClassVar[int]
    inference_id: str
    max_spans: int
    max_matches_per_span: int
    max_examples: int
    snippet_chars: int
    def __init__(self, inference_id: _Optional[str] = ..., max_spans: _Optional[int] = ..., max_matches_per_span: _Optional[int] = ..., max_examples: _Optional[int] = ..., snippet_chars: _Optional[int] = ...) -> None: ...

class ExplainCompletionResponse(_message.Message):
    __slots__ = ("explanation",)
    EXPLANATION_FIELD_NUMBER: _ClassVar[int]
    explanation: _explanation_pb2.CompletionExplanation
    def __init__(self, explanation: _Optional[_Union[_explanation_pb2.CompletionExplanation, _Mapping]] = ...) -> None: ...

class AttributeRequest(_message.Message):
    __slots__ = ("text", "prompt", "snapshot", "adapter", "method", "fee", "include_explanation", "max_spans", "max_matches_per_span", "max_examples", "snippet_chars")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_FIELD_NUMBER: _ClassVar[int]
    ADAPTER_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    FEE_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_EXPLANATION_FIELD_NUMBER: _ClassVar[int]
    MAX_SPANS_FIELD_NUMBER: _ClassVar[int]
    MAX_MATCHES_PER_SPAN_FIELD_NUMBER: _ClassVar[int]
    MAX_EXAMPLES_FIELD_NUMBER: _ClassVar[int]
    SNIPPET_CHARS_FIELD_NUMBER: _ClassVar[int]
    text: str
    prompt: str
    snapshot: str
    adapter: str
    method: _attribution_pb2.AttributionMethod
    fee: str
    include_explanation: bool
    max_spans: int
    max_matches_per_span: int
    max_examples: int
    snippet_chars: int
    def __init__(self, text: _Optional[str] = ..., prompt: _Optional[str] = ..., snapshot: _Optional[str] = ..., adapter: _Optional[str] = ..., method: _Optional[_Union[_attribution_pb2.AttributionMethod, str]] = ..., fee: _Optional[str] = ..., include_explanation: _Optional[bool] = ..., max_spans: _Optional[int] = ..., max_matches_per_span: _Optional[int] = ..., max_examples: _Optional[int] = ..., snippet_chars: _Optional[int] = ...) -> None: ...

class AttributeResponse(_message.Message):
    __slots__ = ("method", "parameters", "threshold_bps", "snapshot_merkle_root", "contributors", "contributor_count", "fee_split", "explanation")
    METHOD_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_BPS_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_MERKLE_ROOT_FIELD_NUMBER: _ClassVar[int]
    CONTRIBUTORS_FIELD_NUMBER: _ClassVar[int]
    CONTRIBUTOR_COUNT_FIELD_NUMBER: _ClassVar[int]
    FEE_SPLIT_FIELD_NUMBER: _ClassVar[int]
    EXPLANATION_FIELD_NUMBER: _ClassVar[int]
    method: _attribution_pb2.AttributionMethod
    parameters: _attribution_pb2.AttributionParameters
    threshold_bps: int
    snapshot_merkle_root: bytes
    contributors: _containers.RepeatedCompositeFieldContainer[_attribution_pb2.ContributorAttribution]
    contributor_count: int
    fee_split: _settlement_pb2.FeeSplit
    explanation: _explanation_pb2.CompletionExplanation
    def __init__(self, method: _Optional[_Union[_attribution_pb2.AttributionMethod, str]] = ..., parameters: _Optional[_Union[_attribution_pb2.AttributionParameters, _Mapping]] = ..., threshold_bps: _Optional[int] = ..., snapshot_merkle_root: _Optional[bytes] = ..., contributors: _Optional[_Iterable[_Union[_attribution_pb2.ContributorAttribution, _Mapping]]] = ..., contributor_count: _Optional[int] = ..., fee_split: _Optional[_Union[_settlement_pb2.FeeSplit, _Mapping]] = ..., explanation: _Optional[_Union[_explanation_pb2.CompletionExplanation, _Mapping]] = ...) -> None: ...

class ListContributorRewardsRequest(_message.Message):
    __slots__ = ("contributor_address", "page_size", "page_token", "start_time", "end_time", "states", "datanet", "adapter")
    CONTRIBUTOR_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    STATES_FIELD_NUMBER: _ClassVar[int]
    DATANET_FIELD_NUMBER: _ClassVar[int]
    ADAPTER_FIELD_NUMBER: _ClassVar[int]
    contributor_address: str
    page_size: int
    page_token: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    states: _containers.RepeatedScalarFieldContainer[_settlement_pb2.SettlementState]
    datanet: str
    adapter: str
    def __init__(self, contributor_address: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., states: _Optional[_Iterable[_Union[_settlement_pb2.SettlementState, str]]] = ..., datanet: _Optional[str] = ..., adapter: _Optional[str] = ...) -> None: ...

class ListContributorRewardsResponse(_message.Message):
    __slots__ = ("credits", "next_page_token", "total_size", "matched_amount", "total_earned", "total_pending", "total_claimable", "total_claimed", "as_of_block")
    CREDITS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    MATCHED_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    TOTAL_EARNED_FIELD_NUMBER: _ClassVar[int]
    TOTAL_PENDING_FIELD_NUMBER: _ClassVar[int]
    TOTAL_CLAIMABLE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_CLAIMED_FIELD_NUMBER: _ClassVar[int]
    AS_OF_BLOCK_FIELD_NUMBER: _ClassVar[int]
    credits: _containers.RepeatedCompositeFieldContainer[_reward_pb2.RewardCredit]
    next_page_token: str
    total_size: int
    matched_amount: str
    total_earned: str
    total_pending: str
    total_claimable: str
    total_claimed: str
    as_of_block: int
    def __init__(self, credits: _Optional[_Iterable[_Union[_reward_pb2.RewardCredit, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ..., matched_amount: _Optional[str] = ..., total_earned: _Optional[str] = ..., total_pending: _Optional[str] = ..., total_claimable: _Optional[str] = ..., total_claimed: _Optional[str] = ..., as_of_block: _Optional[int] = ...) -> None: ...

class GetSettlementRequest(_message.Message):
    __slots__ = ("name", "inference_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    INFERENCE_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    inference_id: str
    def __init__(self, name: _Optional[str] = ..., inference_id: _Optional[str] = ...) -> None: ...

class GetSettlementResponse(_message.Message):
    __slots__ = ("settlement",)
    SETTLEMENT_FIELD_NUMBER: _ClassVar[int]
    settlement: _settlement_pb2.Settlement
    def __init__(self, settlement: _Optional[_Union[_settlement_pb2.Settlement, _Mapping]] = ...) -> None: ...

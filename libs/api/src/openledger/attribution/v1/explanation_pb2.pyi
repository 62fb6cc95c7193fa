from openledger.attribution.v1 import attribution_pb2 as _attribution_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CompletionExplanation(_message.Message):
    __slots__ = ("inference_id", "output_text", "snapshot", "method", "spans", "span_count", "gradient_available", "examples")
    INFERENCE_ID_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_TEXT_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    SPANS_FIELD_NUMBER: _ClassVar[int]
    SPAN_COUNT_FIELD_NUMBER: _ClassVar[int]
    GRADIENT_AVAILABLE_FIELD_NUMBER: _ClassVar[int]
    EXAMPLES_FIELD_NUMBER: _ClassVar[int]
    inference_id: str
    output_text: str
    snapshot: str
    method: _attribution_pb2.AttributionMethod
    spans: _containers.RepeatedCompositeFieldContainer[AttributedSpan]
    span_count: int
    gradient_available: bool
    examples: _containers.RepeatedCompositeFieldContainer[InfluenceExample]
    def __init__(self, inference_id: _Optional[str] = ..., output_text: _Optional[str] = ..., snapshot: _Optional[str] = ..., method: _Optional[_Union[_attribution_pb2.AttributionMethod, str]] = ..., spans: _Optional[_Iterable[_Union[AttributedSpan, _Mapping]]] = ..., span_count: _Optional[int] = ..., gradient_available: _Optional[bool] = ..., examples: _Optional[_Iterable[_Union[InfluenceExample, _Mapping]]] = ...) -> None: ...

class AttributedSpan(_message.Message):
    __slots__ = ("output_char_start", "output_char_end", "output_token_start", "output_token_end", "text", "rarity", "occurrence_count", "matches", "match_count")
    OUTPUT_CHAR_START_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_CHAR_END_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_TOKEN_START_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_TOKEN_END_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    RARITY_FIELD_NUMBER: _ClassVar[int]
    OCCURRENCE_COUNT_FIELD_NUMBER: _ClassVar[int]
    MATCHES_FIELD_NUMBER: _ClassVar[int]
    MATCH_COUNT_FIELD_NUMBER: _ClassVar[int]
    output_char_start: int
    output_char_end: int
    output_token_start: int
    output_token_end: int
    text: str
    rarity: float
    occurrence_count: int
    matches: _containers.RepeatedCompositeFieldContainer[SpanMatch]
    match_count: int
    def __init__(self, output_char_start: _Optional[int] = ..., output_char_end: _Optional[int] = ..., output_token_start: _Optional[int] = ..., output_token_end: _Optional[int] = ..., text: _Optional[str] = ..., rarity: _Optional[float] = ..., occurrence_count: _Optional[int] = ..., matches: _Optional[_Iterable[_Union[SpanMatch, _Mapping]]] = ..., match_count: _Optional[int] = ...) -> None: ...

class SpanMatch(_message.Message):
    __slots__ = ("record_id", "datanet", "contributor_address", "snippet", "snippet_match_start", "snippet_match_end", "record_char_offset")
    RECORD_ID_FIELD_NUMBER: _ClassVar[int]
    DATANET_FIELD_NUMBER: _ClassVar[int]
    CONTRIBUTOR_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    SNIPPET_FIELD_NUMBER: _ClassVar[int]
    SNIPPET_MATCH_START_FIELD_NUMBER: _ClassVar[int]
    SNIPPET_MATCH_END_FIELD_NUMBER: _ClassVar[int]
    RECORD_CHAR_OFFSET_FIELD_NUMBER: _ClassVar[int]
    record_id: str
    datanet: str
    contributor_address: str
    snippet: str
    snippet_match_start: int
    snippet_match_end: int
    record_char_offset: int
    def __init__(self, record_id: _Optional[str] = ..., datanet: _Optional[str] = ..., contributor_address: _Optional[str] = ..., snippet: _Optional[str] = ..., snippet_match_start: _Optional[int] = ..., snippet_match_end: _Optional[int] = ..., record_char_offset: _Optional[int] = ...) -> None: ...

class InfluenceExample(_message.Message):
    __slots__ = ("record_id", "datanet", "contributor_address", "score", "snippet")
    RECORD_ID_FIELD_NUMBER: _ClassVar[int]
    DATANET_FIELD_NUMBER: _ClassVar[int]
    CONTRIBUTOR_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    SNIPPET_FIELD_NUMBER: _ClassVar[int]
    record_id: str
    datanet: str
    contributor_address: str
    score: float
    snippet: str
    def __init__(self, record_id: _Optional[str] = ..., datanet: _Optional[str] = ..., contributor_address: _Optional[str] = ..., score: _Optional[float] = ..., snippet: _Optional[str] = ...) -> None: ...

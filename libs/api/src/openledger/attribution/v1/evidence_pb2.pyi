from openledger.attribution.v1 import attribution_pb2 as _attribution_pb2
from openledger.attribution.v1 import settlement_pb2 as _settlement_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AttributionEvidence(_message.Message):
    __slots__ = ("version", "inference_id", "chain_id", "rewards_contract", "prompt_hash", "output_hash", "adapter", "adapter_sha256", "base_model", "snapshot", "snapshot_merkle_root", "span_index_sha256", "gradient_features_sha256", "method", "parameters", "threshold_bps", "fee_split", "contributors", "spans", "examples")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    INFERENCE_ID_FIELD_NUMBER: _ClassVar[int]
    CHAIN_ID_FIELD_NUMBER: _ClassVar[int]
    REWARDS_CONTRACT_FIELD_NUMBER: _ClassVar[int]
    PROMPT_HASH_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_HASH_FIELD_NUMBER: _ClassVar[int]
    ADAPTER_FIELD_NUMBER: _ClassVar[int]
    ADAPTER_SHA256_FIELD_NUMBER: _ClassVar[int]
    BASE_MODEL_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_MERKLE_ROOT_FIELD_NUMBER: _ClassVar[int]
    SPAN_INDEX_SHA256_FIELD_NUMBER: _ClassVar[int]
    GRADIENT_FEATURES_SHA256_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_BPS_FIELD_NUMBER: _ClassVar[int]
    FEE_SPLIT_FIELD_NUMBER: _ClassVar[int]
    CONTRIBUTORS_FIELD_NUMBER: _ClassVar[int]
    SPANS_FIELD_NUMBER: _ClassVar[int]
    EXAMPLES_FIELD_NUMBER: _ClassVar[int]
    version: int
    inference_id: str
    chain_id: int
    rewards_contract: str
    prompt_hash: bytes
    output_hash: bytes
    adapter: str
    adapter_sha256: bytes
    base_model: str
    snapshot: str
    snapshot_merkle_root: bytes
    span_index_sha256: bytes
    gradient_features_sha256: bytes
    method: _attribution_pb2.AttributionMethod
    parameters: _attribution_pb2.AttributionParameters
    threshold_bps: int
    fee_split: _settlement_pb2.FeeSplit
    contributors: _containers.RepeatedCompositeFieldContainer[EvidenceContributor]
    spans: _containers.RepeatedCompositeFieldContainer[EvidenceSpan]
    examples: _containers.RepeatedCompositeFieldContainer[EvidenceRecord]
    def __init__(self, version: _Optional[int] = ..., inference_id: _Optional[str] = ..., chain_id: _Optional[int] = ..., rewards_contract: _Optional[str] = ..., prompt_hash: _Optional[bytes] = ..., output_hash: _Optional[bytes] = ..., adapter: _Optional[str] = ..., adapter_sha256: _Optional[bytes] = ..., base_model: _Optional[str] = ..., snapshot: _Optional[str] = ..., snapshot_merkle_root: _Optional[bytes] = ..., span_index_sha256: _Optional[bytes] = ..., gradient_features_sha256: _Optional[bytes] = ..., method: _Optional[_Union[_attribution_pb2.AttributionMethod, str]] = ..., parameters: _Optional[_Union[_attribution_pb2.AttributionParameters, _Mapping]] = ..., threshold_bps: _Optional[int] = ..., fee_split: _Optional[_Union[_settlement_pb2.FeeSplit, _Mapping]] = ..., contributors: _Optional[_Iterable[_Union[EvidenceContributor, _Mapping]]] = ..., spans: _Optional[_Iterable[_Union[EvidenceSpan, _Mapping]]] = ..., examples: _Optional[_Iterable[_Union[EvidenceRecord, _Mapping]]] = ...) -> None: ...

class EvidenceContributor(_message.Message):
    __slots__ = ("contributor_address", "span_score_e9", "gradient_score_e9", "score_e9", "eligible", "amount", "record_count")
    CONTRIBUTOR_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    SPAN_SCORE_E9_FIELD_NUMBER: _ClassVar[int]
    GRADIENT_SCORE_E9_FIELD_NUMBER: _ClassVar[int]
    SCORE_E9_FIELD_NUMBER: _ClassVar[int]
    ELIGIBLE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    RECORD_COUNT_FIELD_NUMBER: _ClassVar[int]
    contributor_address: str
    span_score_e9: int
    gradient_score_e9: int
    score_e9: int
    eligible: bool
    amount: str
    record_count: int
    def __init__(self, contributor_address: _Optional[str] = ..., span_score_e9: _Optional[int] = ..., gradient_score_e9: _Optional[int] = ..., score_e9: _Optional[int] = ..., eligible: _Optional[bool] = ..., amount: _Optional[str] = ..., record_count: _Optional[int] = ...) -> None: ...

class EvidenceSpan(_message.Message):
    __slots__ = ("output_token_start", "output_token_end", "occurrence_count", "rarity_e9", "records")
    OUTPUT_TOKEN_START_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_TOKEN_END_FIELD_NUMBER: _ClassVar[int]
    OCCURRENCE_COUNT_FIELD_NUMBER: _ClassVar[int]
    RARITY_E9_FIELD_NUMBER: _ClassVar[int]
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    output_token_start: int
    output_token_end: int
    occurrence_count: int
    rarity_e9: int
    records: _containers.RepeatedCompositeFieldContainer[EvidenceRecord]
    def __init__(self, output_token_start: _Optional[int] = ..., output_token_end: _Optional[int] = ..., occurrence_count: _Optional[int] = ..., rarity_e9: _Optional[int] = ..., records: _Optional[_Iterable[_Union[EvidenceRecord, _Mapping]]] = ...) -> None: ...

class EvidenceRecord(_message.Message):
    __slots__ = ("datanet", "record_id", "contributor_address", "content_hash", "score_e9")
    DATANET_FIELD_NUMBER: _ClassVar[int]
    RECORD_ID_FIELD_NUMBER: _ClassVar[int]
    CONTRIBUTOR_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    CONTENT_HASH_FIELD_NUMBER: _ClassVar[int]
    SCORE_E9_FIELD_NUMBER: _ClassVar[int]
    datanet: str
    record_id: str
    contributor_address: str
    content_hash: bytes
    score_e9: int
    def __init__(self, datanet: _Optional[str] = ..., record_id: _Optional[str] = ..., contributor_address: _Optional[str] = ..., content_hash: _Optional[bytes] = ..., score_e9: _Optional[int] = ...) -> None: ...

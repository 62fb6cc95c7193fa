import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CompletionFinishReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    COMPLETION_FINISH_REASON_UNSPECIFIED: _ClassVar[CompletionFinishReason]
    COMPLETION_FINISH_REASON_STOP: _ClassVar[CompletionFinishReason]
    COMPLETION_FINISH_REASON_LENGTH: _ClassVar[CompletionFinishReason]
    COMPLETION_FINISH_REASON_CANCELLED: _ClassVar[CompletionFinishReason]
    COMPLETION_FINISH_REASON_ERROR: _ClassVar[CompletionFinishReason]
COMPLETION_FINISH_REASON_UNSPECIFIED: CompletionFinishReason
COMPLETION_FINISH_REASON_STOP: CompletionFinishReason
COMPLETION_FINISH_REASON_LENGTH: CompletionFinishReason
COMPLETION_FINISH_REASON_CANCELLED: CompletionFinishReason
COMPLETION_FINISH_REASON_ERROR: CompletionFinishReason

class CompletionRecorded(_message.Message):
    __slots__ = ("inference_id", "adapter", "adapter_sha256", "base_model", "node", "provider_address", "payer_address", "prompt_token_ids", "output_token_ids", "prompt_token_count", "output_token_count", "finish_reason", "fee_per_1k_tokens", "fee_rate_block_number", "fee", "create_time", "first_token_time", "complete_time", "output_text")
    INFERENCE_ID_FIELD_NUMBER: _ClassVar[int]
    ADAPTER_FIELD_NUMBER: _ClassVar[int]
    ADAPTER_SHA256_FIELD_NUMBER: _ClassVar[int]
    BASE_MODEL_FIELD_NUMBER: _ClassVar[int]
    NODE_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    PAYER_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    PROMPT_TOKEN_IDS_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_TOKEN_IDS_FIELD_NUMBER: _ClassVar[int]
    PROMPT_TOKEN_COUNT_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_TOKEN_COUNT_FIELD_NUMBER: _ClassVar[int]
    FINISH_REASON_FIELD_NUMBER: _ClassVar[int]
    FEE_PER_1K_TOKENS_FIELD_NUMBER: _ClassVar[int]
    FEE_RATE_BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    FEE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    FIRST_TOKEN_TIME_FIELD_NUMBER: _ClassVar[int]
    COMPLETE_TIME_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_TEXT_FIELD_NUMBER: _ClassVar[int]
    inference_id: str
    adapter: str
    adapter_sha256: bytes
    base_model: str
    node: str
    provider_address: str
    payer_address: str
    prompt_token_ids: _containers.RepeatedScalarFieldContainer[int]
    output_token_ids: _containers.RepeatedScalarFieldContainer[int]
    prompt_token_count: int
    output_token_count: int
    finish_reason: CompletionFinishReason
    fee_per_1k_tokens: str
    fee_rate_block_number: int
    fee: str
    create_time: _timestamp_pb2.Timestamp
    first_token_time: _timestamp_pb2.Timestamp
    complete_time: _timestamp_pb2.Timestamp
    output_text: str
    def __init__(self, inference_id: _Optional[str] = ..., adapter: _Optional[str] = ..., adapter_sha256: _Optional[bytes] = ..., base_model: _Optional[str] = ..., node: _Optional[str] = ..., provider_address: _Optional[str] = ..., payer_address: _Optional[str] = ..., prompt_token_ids: _Optional[_Iterable[int]] = ..., output_token_ids: _Optional[_Iterable[int]] = ..., prompt_token_count: _Optional[int] = ..., output_token_count: _Optional[int] = ..., finish_reason: _Optional[_Union[CompletionFinishReason, str]] = ..., fee_per_1k_tokens: _Optional[str] = ..., fee_rate_block_number: _Optional[int] = ..., fee: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., first_token_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., complete_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., output_text: _Optional[str] = ...) -> None: ...

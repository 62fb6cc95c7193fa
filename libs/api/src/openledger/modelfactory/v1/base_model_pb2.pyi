from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class BaseModelSource(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BASE_MODEL_SOURCE_UNSPECIFIED: _ClassVar[BaseModelSource]
    BASE_MODEL_SOURCE_LOCAL_PATH: _ClassVar[BaseModelSource]
    BASE_MODEL_SOURCE_HUB: _ClassVar[BaseModelSource]
    BASE_MODEL_SOURCE_PACKAGED: _ClassVar[BaseModelSource]
BASE_MODEL_SOURCE_UNSPECIFIED: BaseModelSource
BASE_MODEL_SOURCE_LOCAL_PATH: BaseModelSource
BASE_MODEL_SOURCE_HUB: BaseModelSource
BASE_MODEL_SOURCE_PACKAGED: BaseModelSource

class BaseModel(_message.Message):
    __slots__ = ("name", "display_name", "description", "source", "source_location", "revision", "architecture", "model_type", "parameter_count", "context_length", "hidden_size", "num_layers", "weights_dtype", "weights_bytes", "tokenizer", "max_lora_rank", "supported_target_modules", "default_target_modules", "available", "unavailable_reason", "license")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_LOCATION_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    ARCHITECTURE_FIELD_NUMBER: _ClassVar[int]
    MODEL_TYPE_FIELD_NUMBER: _ClassVar[int]
    PARAMETER_COUNT_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_LENGTH_FIELD_NUMBER: _ClassVar[int]
    HIDDEN_SIZE_FIELD_NUMBER: _ClassVar[int]
    NUM_LAYERS_FIELD_NUMBER: _ClassVar[int]
    WEIGHTS_DTYPE_FIELD_NUMBER: _ClassVar[int]
    WEIGHTS_BYTES_FIELD_NUMBER: _ClassVar[int]
    TOKENIZER_FIELD_NUMBER: _ClassVar[int]
    MAX_LORA_RANK_FIELD_NUMBER: _ClassVar[int]
    SUPPORTED_TARGET_MODULES_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_TARGET_MODULES_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_FIELD_NUMBER: _ClassVar[int]
    UNAVAILABLE_REASON_FIELD_NUMBER: _ClassVar[int]
    LICENSE_FIELD_NUMBER: _ClassVar[int]
    name: str
    display_name: str
    description: str
    source: BaseModelSource
    source_location: str
    revision: str
    architecture: str
    model_type: str
    parameter_count: int
    context_length: int
    hidden_size: int
    num_layers: int
    weights_dtype: str
    weights_bytes: int
    tokenizer: TokenizerInfo
    max_lora_rank: int
    supported_target_modules: _containers.RepeatedScalarFieldContainer[str]
    default_target_modules: _containers.RepeatedScalarFieldContainer[str]
    available: bool
    unavailable_reason: str
    license: str
    def __init__(self, name: _Optional[str] = ..., display_name: _Optional[str] = ..., description: _Optional[str] = ..., source: _Optional[_Union[BaseModelSource, str]] = ..., source_location: _Optional[str] = ..., revision: _Optional[str] = ..., architecture: _Optional[str] = ..., model_type: _Optional[str] = ..., parameter_count: _Optional[int] = ..., context_length: _Optional[int] = ..., hidden_size: _Optional[int] = ..., num_layers: _Optional[int] = ..., weights_dtype: _Optional[str] = ..., weights_bytes: _Optional[int] = ..., tokenizer: _Optional[_Union[TokenizerInfo, _Mapping]] = ..., max_lora_rank: _Optional[int] = ..., supported_target_modules: _Optional[_Iterable[str]] = ..., default_target_modules: _Optional[_Iterable[str]] = ..., available: _Optional[bool] = ..., unavailable_reason: _Optional[str] = ..., license: _Optional[str] = ...) -> None: ...

class TokenizerInfo(_message.Message):
    __slots__ = ("name_or_path", "tokenizer_class", "vocab_size", "has_chat_template", "bos_token", "eos_token", "pad_token")
    NAME_OR_PATH_FIELD_NUMBER: _ClassVar[int]
    TOKENIZER_CLASS_FIELD_NUMBER: _ClassVar[int]
    VOCAB_SIZE_FIELD_NUMBER: _ClassVar[int]
    HAS_CHAT_TEMPLATE_FIELD_NUMBER: _ClassVar[int]
    BOS_TOKEN_FIELD_NUMBER: _ClassVar[int]
    EOS_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PAD_TOKEN_FIELD_NUMBER: _ClassVar[int]
    name_or_path: str
    tokenizer_class: str
    vocab_size: int
    has_chat_template: bool
    bos_token: str
    eos_token: str
    pad_token: str
    def __init__(self, name_or_path: _Optional[str] = ..., tokenizer_class: _Optional[str] = ..., vocab_size: _Optional[int] = ..., has_chat_template: _Optional[bool] = ..., bos_token: _Optional[str] = ..., eos_token: _Optional[str] = ..., pad_token: _Optional[str] = ...) -> None: ...

from openledger.inference.v1 import adapter_pb2 as _adapter_pb2
from openledger.inference.v1 import generation_pb2 as _generation_pb2
from openledger.inference.v1 import node_pb2 as _node_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GenerateRequest(_message.Message):
    __slots__ = ("spec", "request_id", "payer_address", "max_fee")
    SPEC_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PAYER_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    MAX_FEE_FIELD_NUMBER: _ClassVar[int]
    spec: _generation_pb2.GenerationSpec
    request_id: str
    payer_address: str
    max_fee: str
    def __init__(self, spec: _Optional[_Union[_generation_pb2.GenerationSpec, _Mapping]] = ..., request_id: _Optional[str] = ..., payer_address: _Optional[str] = ..., max_fee: _Optional[str] = ...) -> None: ...

class GenerateResponse(_message.Message):
    __slots__ = ("completion",)
    COMPLETION_FIELD_NUMBER: _ClassVar[int]
    completion: _generation_pb2.Completion
    def __init__(self, completion: _Optional[_Union[_generation_pb2.Completion, _Mapping]] = ...) -> None: ...

class GenerateStreamRequest(_message.Message):
    __slots__ = ("spec", "request_id", "payer_address", "max_fee")
    SPEC_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PAYER_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    MAX_FEE_FIELD_NUMBER: _ClassVar[int]
    spec: _generation_pb2.GenerationSpec
    request_id: str
    payer_address: str
    max_fee: str
    def __init__(self, spec: _Optional[_Union[_generation_pb2.GenerationSpec, _Mapping]] = ..., request_id: _Optional[str] = ..., payer_address: _Optional[str] = ..., max_fee: _Optional[str] = ...) -> None: ...

class GenerateStreamResponse(_message.Message):
    __slots__ = ("chunk",)
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    chunk: _generation_pb2.CompletionChunk
    def __init__(self, chunk: _Optional[_Union[_generation_pb2.CompletionChunk, _Mapping]] = ...) -> None: ...

class ListAdaptersRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "tier", "base_model", "pinned_only")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    BASE_MODEL_FIELD_NUMBER: _ClassVar[int]
    PINNED_ONLY_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    tier: _adapter_pb2.AdapterTier
    base_model: str
    pinned_only: bool
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., tier: _Optional[_Union[_adapter_pb2.AdapterTier, str]] = ..., base_model: _Optional[str] = ..., pinned_only: _Optional[bool] = ...) -> None: ...

class ListAdaptersResponse(_message.Message):
    __slots__ = ("adapters", "next_page_token", "total_size")
    ADAPTERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    adapters: _containers.RepeatedCompositeFieldContainer[_adapter_pb2.LoadedAdapter]
    next_page_token: str
    total_size: int
    def __init__(self, adapters: _Optional[_Iterable[_Union[_adapter_pb2.LoadedAdapter, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class LoadAdapterRequest(_message.Message):
    __slots__ = ("adapter", "tier", "pin", "request_id")
    ADAPTER_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    PIN_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    adapter: str
    tier: _adapter_pb2.AdapterTier
    pin: bool
    request_id: str
    def __init__(self, adapter: _Optional[str] = ..., tier: _Optional[_Union[_adapter_pb2.AdapterTier, str]] = ..., pin: _Optional[bool] = ..., request_id: _Optional[str] = ...) -> None: ...

class LoadAdapterResponse(_message.Message):
    __slots__ = ("adapter",)
    ADAPTER_FIELD_NUMBER: _ClassVar[int]
    adapter: _adapter_pb2.LoadedAdapter
    def __init__(self, adapter: _Optional[_Union[_adapter_pb2.LoadedAdapter, _Mapping]] = ...) -> None: ...

class UnloadAdapterRequest(_message.Message):
    __slots__ = ("adapter", "remove_from_disk", "request_id")
    ADAPTER_FIELD_NUMBER: _ClassVar[int]
    REMOVE_FROM_DISK_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    adapter: str
    remove_from_disk: bool
    request_id: str
    def __init__(self, adapter: _Optional[str] = ..., remove_from_disk: _Optional[bool] = ..., request_id: _Optional[str] = ...) -> None: ...

class UnloadAdapterResponse(_message.Message):
    __slots__ = ("adapter",)
    ADAPTER_FIELD_NUMBER: _ClassVar[int]
    adapter: _adapter_pb2.LoadedAdapter
    def __init__(self, adapter: _Optional[_Union[_adapter_pb2.LoadedAdapter, _Mapping]] = ...) -> None: ...

class GetNodeStatusRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetNodeStatusResponse(_message.Message):
    __slots__ = ("status",)
    STATUS_FIELD_NUMBER: _ClassVar[int]
    status: _node_pb2.NodeStatus
    def __init__(self, status: _Optional[_Union[_node_pb2.NodeStatus, _Mapping]] = ...) -> None: ...

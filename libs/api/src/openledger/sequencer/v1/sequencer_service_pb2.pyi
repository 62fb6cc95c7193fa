from openledger.sequencer.v1 import batch_pb2 as _batch_pb2
from openledger.sequencer.v1 import block_pb2 as _block_pb2
from openledger.sequencer.v1 import output_pb2 as _output_pb2
from openledger.sequencer.v1 import sync_status_pb2 as _sync_status_pb2
from openledger.sequencer.v1 import transaction_pb2 as _transaction_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SubmitTransactionRequest(_message.Message):
    __slots__ = ("raw_transaction",)
    RAW_TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    raw_transaction: bytes
    def __init__(self, raw_transaction: _Optional[bytes] = ...) -> None: ...

class SubmitTransactionResponse(_message.Message):
    __slots__ = ("transaction", "already_known")
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    ALREADY_KNOWN_FIELD_NUMBER: _ClassVar[int]
    transaction: _transaction_pb2.Transaction
    already_known: bool
    def __init__(self, transaction: _Optional[_Union[_transaction_pb2.Transaction, _Mapping]] = ..., already_known: _Optional[bool] = ...) -> None: ...

class SubmitTransactionsRequest(_message.Message):
    __slots__ = ("raw_transactions",)
    RAW_TRANSACTIONS_FIELD_NUMBER: _ClassVar[int]
    raw_transactions: _containers.RepeatedScalarFieldContainer[bytes]
    def __init__(self, raw_transactions: _Optional[_Iterable[bytes]] = ...) -> None: ...

class TransactionSubmission(_message.Message):
    __slots__ = ("transaction_hash", "accepted", "already_known", "transaction", "error_reason", "error_message")
    TRANSACTION_HASH_FIELD_NUMBER: _ClassVar[int]
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    ALREADY_KNOWN_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    ERROR_REASON_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    transaction_hash: bytes
    accepted: bool
    already_known: bool
    transaction: _transaction_pb2.Transaction
    error_reason: str
    error_message: str
    def __init__(self, transaction_hash: _Optional[bytes] = ..., accepted: _Optional[bool] = ..., already_known: _Optional[bool] = ..., transaction: _Optional[_Union[_transaction_pb2.Transaction, _Mapping]] = ..., error_reason: _Optional[str] = ..., error_message: _Optional[str] = ...) -> None: ...

class SubmitTransactionsResponse(_message.Message):
    __slots__ = ("results", "accepted_count")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    ACCEPTED_COUNT_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[TransactionSubmission]
    accepted_count: int
    def __init__(self, results: _Optional[_Iterable[_Union[TransactionSubmission, _Mapping]]] = ..., accepted_count: _Optional[int] = ...) -> None: ...

class GetTransactionStatusRequest(_message.Message):
    __slots__ = ("transaction_hash",)
    TRANSACTION_HASH_FIELD_NUMBER: _ClassVar[int]
    transaction_hash: bytes
    def __init__(self, transaction_hash: _Optional[bytes] = ...) -> None: ...

class GetTransactionStatusResponse(_message.Message):
    __slots__ = ("transaction",)
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    transaction: _transaction_pb2.Transaction
    def __init__(self, transaction: _Optional[_Union[_transaction_pb2.Transaction, _Mapping]] = ...) -> None: ...

class GetBlockRequest(_message.Message):
    __slots__ = ("number", "hash", "head", "view")
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    HASH_FIELD_NUMBER: _ClassVar[int]
    HEAD_FIELD_NUMBER: _ClassVar[int]
    VIEW_FIELD_NUMBER: _ClassVar[int]
    number: int
    hash: bytes
    head: _block_pb2.SafetyLevel
    view: _block_pb2.BlockView
    def __init__(self, number: _Optional[int] = ..., hash: _Optional[bytes] = ..., head: _Optional[_Union[_block_pb2.SafetyLevel, str]] = ..., view: _Optional[_Union[_block_pb2.BlockView, str]] = ...) -> None: ...

class GetBlockResponse(_message.Message):
    __slots__ = ("block",)
    BLOCK_FIELD_NUMBER: _ClassVar[int]
    block: _block_pb2.Block
    def __init__(self, block: _Optional[_Union[_block_pb2.Block, _Mapping]] = ...) -> None: ...

class StreamBlocksRequest(_message.Message):
    __slots__ = ("start_number", "view", "safety")
    START_NUMBER_FIELD_NUMBER: _ClassVar[int]
    VIEW_FIELD_NUMBER: _ClassVar[int]
    SAFETY_FIELD_NUMBER: _ClassVar[int]
    start_number: int
    view: _block_pb2.BlockView
    safety: _block_pb2.SafetyLevel
    def __init__(self, start_number: _Optional[int] = ..., view: _Optional[_Union[_block_pb2.BlockView, str]] = ..., safety: _Optional[_Union[_block_pb2.SafetyLevel, str]] = ...) -> None: ...

class StreamBlocksResponse(_message.Message):
    __slots__ = ("block", "reorg")
    BLOCK_FIELD_NUMBER: _ClassVar[int]
    REORG_FIELD_NUMBER: _ClassVar[int]
    block: _block_pb2.Block
    reorg: bool
    def __init__(self, block: _Optional[_Union[_block_pb2.Block, _Mapping]] = ..., reorg: _Optional[bool] = ...) -> None: ...

class GetSyncStatusRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetSyncStatusResponse(_message.Message):
    __slots__ = ("sync_status",)
    SYNC_STATUS_FIELD_NUMBER: _ClassVar[int]
    sync_status: _sync_status_pb2.SyncStatus
    def __init__(self, sync_status: _Optional[_Union[_sync_status_pb2.SyncStatus, _Mapping]] = ...) -> None: ...

class GetBatchRequest(_message.Message):
    __slots__ = ("name", "view")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VIEW_FIELD_NUMBER: _ClassVar[int]
    name: str
    view: _batch_pb2.BatchView
    def __init__(self, name: _Optional[str] = ..., view: _Optional[_Union[_batch_pb2.BatchView, str]] = ...) -> None: ...

class GetBatchResponse(_message.Message):
    __slots__ = ("batch",)
    BATCH_FIELD_NUMBER: _ClassVar[int]
    batch: _batch_pb2.Batch
    def __init__(self, batch: _Optional[_Union[_batch_pb2.Batch, _Mapping]] = ...) -> None: ...

class ListBatchesRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "state", "data_location", "l2_block_number", "order_by", "view")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    DATA_LOCATION_FIELD_NUMBER: _ClassVar[int]
    L2_BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    ORDER_BY_FIELD_NUMBER: _ClassVar[int]
    VIEW_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    state: _batch_pb2.BatchState
    data_location: _batch_pb2.BatchDataLocation
    l2_block_number: int
    order_by: str
    view: _batch_pb2.BatchView
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., state: _Optional[_Union[_batch_pb2.BatchState, str]] = ..., data_location: _Optional[_Union[_batch_pb2.BatchDataLocation, str]] = ..., l2_block_number: _Optional[int] = ..., order_by: _Optional[str] = ..., view: _Optional[_Union[_batch_pb2.BatchView, str]] = ...) -> None: ...

class ListBatchesResponse(_message.Message):
    __slots__ = ("batches", "next_page_token", "total_size")
    BATCHES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    batches: _containers.RepeatedCompositeFieldContainer[_batch_pb2.Batch]
    next_page_token: str
    total_size: int
    def __init__(self, batches: _Optional[_Iterable[_Union[_batch_pb2.Batch, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class GetOutputRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetOutputResponse(_message.Message):
    __slots__ = ("output",)
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    output: _output_pb2.Output
    def __init__(self, output: _Optional[_Union[_output_pb2.Output, _Mapping]] = ...) -> None: ...

class ListOutputsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "state", "min_l2_block_number", "order_by")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    MIN_L2_BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    ORDER_BY_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    state: _output_pb2.OutputState
    min_l2_block_number: int
    order_by: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., state: _Optional[_Union[_output_pb2.OutputState, str]] = ..., min_l2_block_number: _Optional[int] = ..., order_by: _Optional[str] = ...) -> None: ...

class ListOutputsResponse(_message.Message):
    __slots__ = ("outputs", "next_page_token", "total_size")
    OUTPUTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    outputs: _containers.RepeatedCompositeFieldContainer[_output_pb2.Output]
    next_page_token: str
    total_size: int
    def __init__(self, outputs: _Optional[_Iterable[_Union[_output_pb2.Output, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

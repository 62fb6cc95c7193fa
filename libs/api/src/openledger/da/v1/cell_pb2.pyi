from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Cell(_message.Message):
    __slots__ = ("blob_index", "cell_index", "data", "proof")
    BLOB_INDEX_FIELD_NUMBER: _ClassVar[int]
    CELL_INDEX_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    PROOF_FIELD_NUMBER: _ClassVar[int]
    blob_index: int
    cell_index: int
    data: bytes
    proof: bytes
    def __init__(self, blob_index: _Optional[int] = ..., cell_index: _Optional[int] = ..., data: _Optional[bytes] = ..., proof: _Optional[bytes] = ...) -> None: ...

class CellRef(_message.Message):
    __slots__ = ("blob_index", "cell_index")
    BLOB_INDEX_FIELD_NUMBER: _ClassVar[int]
    CELL_INDEX_FIELD_NUMBER: _ClassVar[int]
    blob_index: int
    cell_index: int
    def __init__(self, blob_index: _Optional[int] = ..., cell_index: _Optional[int] = ...) -> None: ...

class SampledCell(_message.Message):
    __slots__ = ("cell", "operator_address")
    CELL_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    cell: Cell
    operator_address: str
    def __init__(self, cell: _Optional[_Union[Cell, _Mapping]] = ..., operator_address: _Optional[str] = ...) -> None: ...

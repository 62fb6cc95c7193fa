from openledger.da.v1 import cell_pb2 as _cell_pb2
from openledger.da.v1 import certificate_pb2 as _certificate_pb2
from openledger.da.v1 import node_info_pb2 as _node_info_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class StoreCellsRequest(_message.Message):
    __slots__ = ("certificate", "cells")
    CERTIFICATE_FIELD_NUMBER: _ClassVar[int]
    CELLS_FIELD_NUMBER: _ClassVar[int]
    certificate: _certificate_pb2.Certificate
    cells: _containers.RepeatedCompositeFieldContainer[_cell_pb2.Cell]
    def __init__(self, certificate: _Optional[_Union[_certificate_pb2.Certificate, _Mapping]] = ..., cells: _Optional[_Iterable[_Union[_cell_pb2.Cell, _Mapping]]] = ...) -> None: ...

class StoreCellsResponse(_message.Message):
    __slots__ = ("stored_cell_count", "missing_cell_count", "attestation")
    STORED_CELL_COUNT_FIELD_NUMBER: _ClassVar[int]
    MISSING_CELL_COUNT_FIELD_NUMBER: _ClassVar[int]
    ATTESTATION_FIELD_NUMBER: _ClassVar[int]
    stored_cell_count: int
    missing_cell_count: int
    attestation: _certificate_pb2.OperatorAttestation
    def __init__(self, stored_cell_count: _Optional[int] = ..., missing_cell_count: _Optional[int] = ..., attestation: _Optional[_Union[_certificate_pb2.OperatorAttestation, _Mapping]] = ...) -> None: ...

class GetCellsRequest(_message.Message):
    __slots__ = ("blob", "cells")
    BLOB_FIELD_NUMBER: _ClassVar[int]
    CELLS_FIELD_NUMBER: _ClassVar[int]
    blob: str
    cells: _containers.RepeatedCompositeFieldContainer[_cell_pb2.CellRef]
    def __init__(self, blob: _Optional[str] = ..., cells: _Optional[_Iterable[_Union[_cell_pb2.CellRef, _Mapping]]] = ...) -> None: ...

class GetCellsResponse(_message.Message):
    __slots__ = ("cells", "missing_cells")
    CELLS_FIELD_NUMBER: _ClassVar[int]
    MISSING_CELLS_FIELD_NUMBER: _ClassVar[int]
    cells: _containers.RepeatedCompositeFieldContainer[_cell_pb2.Cell]
    missing_cells: _containers.RepeatedCompositeFieldContainer[_cell_pb2.CellRef]
    def __init__(self, cells: _Optional[_Iterable[_Union[_cell_pb2.Cell, _Mapping]]] = ..., missing_cells: _Optional[_Iterable[_Union[_cell_pb2.CellRef, _Mapping]]] = ...) -> None: ...

class GetNodeInfoRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetNodeInfoResponse(_message.Message):
    __slots__ = ("node_info",)
    NODE_INFO_FIELD_NUMBER: _ClassVar[int]
    node_info: _node_info_pb2.NodeInfo
    def __init__(self, node_info: _Optional[_Union[_node_info_pb2.NodeInfo, _Mapping]] = ...) -> None: ...

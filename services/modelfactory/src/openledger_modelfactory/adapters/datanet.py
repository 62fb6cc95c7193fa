"""Datanet snapshots over the datanet service's gRPC API (``domain.ports.Snapshots``).

Record content travels as ``google.protobuf.Struct``, whose only number type is a double, so
``3`` arrives as ``3.0``. The datanet stores content as canonical JSON (RFC 8785), where an
integral number is written without a fraction; this adapter gives such values back as Python
``int`` (within ±2^53, where a double is exact), so a record reads here as its canonical JSON
reads, and ``"n": 3`` fills a template as ``3``, not ``3.0``.

Failed calls raise the ``openledger_kit.errors`` type of their status code, with the server's
``ErrorInfo`` reason and domain when it sent one; ``get`` returns None for a snapshot that does
not exist.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc
from google.protobuf import json_format, struct_pb2

from openledger.common.v1 import job_pb2
from openledger.datanet.v1 import datanet_service_pb2 as pb
from openledger.datanet.v1 import datanet_service_pb2_grpc as pb_grpc
from openledger_kit.client import TlsConfig, connect
from openledger_kit.errors import (
    Aborted,
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    OpenLedgerError,
    PermissionDenied,
    ResourceExhausted,
    Unauthenticated,
    Unavailable,
)
from openledger_kit.server.status import bad_request, error_info
from openledger_modelfactory.domain.ports import SnapshotInfo, SnapshotRecordData

_MAX_EXACT_INT = 2**53
_MAX_MESSAGE_BYTES = 8 * 1024 * 1024  # ExportSnapshot messages stay under 4 MiB
_JOB_STATE_PREFIX = "JOB_STATE_"

_ERRORS: dict[grpc.StatusCode, type[OpenLedgerError]] = {
    grpc.StatusCode.NOT_FOUND: NotFound,
    grpc.StatusCode.ALREADY_EXISTS: AlreadyExists,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPrecondition,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDenied,
    grpc.StatusCode.UNAUTHENTICATED: Unauthenticated,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ResourceExhausted,
    grpc.StatusCode.ABORTED: Aborted,
}


def plain(value: Any) -> Any:
    """A Struct value as its canonical JSON would read: integral doubles become ints."""
    if isinstance(value, float) and value.is_integer() and abs(value) <= _MAX_EXACT_INT:
        return int(value)
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def struct_to_plain(struct: struct_pb2.Struct) -> dict[str, Any]:
    data = plain(json_format.MessageToDict(struct))
    return data if isinstance(data, dict) else {}


def kit_error(err: grpc.aio.AioRpcError) -> OpenLedgerError:
    """The kit error for a failed call."""
    info = error_info(err)
    reason = info.reason if info is not None and info.reason else None
    domain = info.domain if info is not None and info.domain else "openledger"
    metadata = dict(info.metadata) if info is not None else None
    message = err.details() or err.code().name
    code = err.code()
    if code == grpc.StatusCode.INVALID_ARGUMENT:
        request = bad_request(err)
        violation = request.field_violations[0] if request and request.field_violations else None
        return InvalidArgument(
            violation.field if violation else "",
            violation.description if violation else message,
            reason=reason,
            domain=domain,
            metadata=metadata,
        )
    cls = _ERRORS.get(code, Unavailable)
    return cls(message, reason=reason or code.name, domain=domain, metadata=metadata)


def _datanet_of(snapshot_name: str) -> str:
    """``datanets/{id}`` of ``datanets/{id}/snapshots/{snapshot}``."""
    return "/".join(snapshot_name.split("/")[:2])


class DatanetSnapshots:
    """``Snapshots`` over ``GetSnapshot``, ``GetDatanet`` and ``ExportSnapshot``."""

    def __init__(self, addr: str, *, tls: bool = False, service_token: str | None = None) -> None:
        self._channel = connect(
            addr,
            tls=TlsConfig() if tls else None,
            token=service_token,
            options=[("grpc.max_receive_message_length", _MAX_MESSAGE_BYTES)],
        )
        self._stub = pb_grpc.DatanetServiceStub(self._channel)  # type: ignore[no-untyped-call]

    async def get(self, name: str) -> SnapshotInfo | None:
        try:
            snapshot = (await self._stub.GetSnapshot(pb.GetSnapshotRequest(name=name))).snapshot
            datanet = (
                await self._stub.GetDatanet(pb.GetDatanetRequest(name=_datanet_of(name)))
            ).datanet
        except grpc.aio.AioRpcError as err:
            if err.code() == grpc.StatusCode.NOT_FOUND:
                return None
            raise kit_error(err) from err
        state = job_pb2.JobState.Name(snapshot.state).removeprefix(_JOB_STATE_PREFIX)
        return SnapshotInfo(
            name=snapshot.name,
            state=state,
            merkle_root=bytes(snapshot.merkle_root),
            record_count=snapshot.record_count,
            record_schema=(
                struct_to_plain(datanet.record_schema)
                if datanet.HasField("record_schema")
                else None
            ),
        )

    async def records(
        self, name: str, start: int = 0, end: int = 0
    ) -> AsyncIterator[SnapshotRecordData]:
        """Records ``[start, end)`` (``end`` 0: to the last) in snapshot order."""
        call = self._stub.ExportSnapshot(
            pb.ExportSnapshotRequest(name=name, start_index=start, end_index=end)
        )
        try:
            async for message in call:
                for record in message.records:
                    yield SnapshotRecordData(
                        index=record.index,
                        record_id=record.record_id,
                        contributor=record.contributor,
                        content=struct_to_plain(record.content),
                    )
        except grpc.aio.AioRpcError as err:
            raise kit_error(err) from err
        finally:
            call.cancel()

    async def close(self) -> None:
        await self._channel.close()

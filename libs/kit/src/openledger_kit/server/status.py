"""Domain errors → gRPC status with ``google.rpc.Status`` details (AIP-193).

Every status the platform returns for a domain error carries ``ErrorInfo(reason, domain,
metadata)``; invalid arguments also carry ``BadRequest`` with the offending field, so clients
can point at it without parsing the message.
"""

from __future__ import annotations

import grpc
from google.protobuf import any_pb2
from google.protobuf.message import Message

# googleapis-common-protos ships .pyi files but no py.typed marker; the ignore stays harmless
# once mypy is told to follow them (``follow_untyped_imports`` for ``google.rpc.*``).
from google.rpc import (  # type: ignore[import-untyped, unused-ignore]
    code_pb2,
    error_details_pb2,
    status_pb2,
)
from grpc_status import rpc_status

from openledger_kit.errors import ErrorKind, InvalidArgument, OpenLedgerError

_CODES: dict[ErrorKind, int] = {
    ErrorKind.INVALID_ARGUMENT: code_pb2.INVALID_ARGUMENT,
    ErrorKind.NOT_FOUND: code_pb2.NOT_FOUND,
    ErrorKind.ALREADY_EXISTS: code_pb2.ALREADY_EXISTS,
    ErrorKind.FAILED_PRECONDITION: code_pb2.FAILED_PRECONDITION,
    ErrorKind.PERMISSION_DENIED: code_pb2.PERMISSION_DENIED,
    ErrorKind.UNAUTHENTICATED: code_pb2.UNAUTHENTICATED,
    ErrorKind.RESOURCE_EXHAUSTED: code_pb2.RESOURCE_EXHAUSTED,
    ErrorKind.UNAVAILABLE: code_pb2.UNAVAILABLE,
    ErrorKind.ABORTED: code_pb2.ABORTED,
}


def _pack(message: Message) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(message)
    return packed


def rich_status(error: OpenLedgerError) -> status_pb2.Status:
    """The ``google.rpc.Status`` for a domain error."""
    details = [
        _pack(
            error_details_pb2.ErrorInfo(
                reason=error.reason, domain=error.domain, metadata=error.metadata
            )
        )
    ]
    if isinstance(error, InvalidArgument):
        violation = error_details_pb2.BadRequest.FieldViolation(
            field=error.field, description=error.description
        )
        details.append(_pack(error_details_pb2.BadRequest(field_violations=[violation])))
    return status_pb2.Status(code=_CODES[error.kind], message=error.message, details=details)


def grpc_status(error: OpenLedgerError) -> grpc.Status:
    """A ``grpc.Status`` ready for ``context.abort_with_status``."""
    return rpc_status.to_status(rich_status(error))


async def abort(context: grpc.aio.ServicerContext, error: OpenLedgerError) -> None:
    """Abort the current RPC with the status for ``error`` (never returns normally)."""
    status = grpc_status(error)
    # ``abort`` rather than ``abort_with_status``: wrapped contexts (the OpenTelemetry server
    # interceptor's) only see the code through ``abort``; the wire result is the same.
    await context.abort(status.code, status.details, status.trailing_metadata)


def error_info(err: grpc.aio.AioRpcError | grpc.RpcError) -> error_details_pb2.ErrorInfo | None:
    """Client side: the ``ErrorInfo`` detail of a failed call, if the server sent one."""
    info = error_details_pb2.ErrorInfo()
    return info if _unpack_detail(err, info) else None


def bad_request(err: grpc.aio.AioRpcError | grpc.RpcError) -> error_details_pb2.BadRequest | None:
    """Client side: the ``BadRequest`` detail (invalid fields) of a failed call, if any."""
    request = error_details_pb2.BadRequest()
    return request if _unpack_detail(err, request) else None


def _unpack_detail(err: grpc.aio.AioRpcError | grpc.RpcError, into: Message) -> bool:
    status = rpc_status.from_call(err)
    if status is None:
        return False
    for detail in status.details:
        if detail.Is(into.DESCRIPTOR):
            detail.Unpack(into)
            return True
    return False

"""The one place domain errors become gRPC statuses (STYLE rule 11).

Servicers raise ``openledger_kit.errors`` types and never abort ad hoc; this interceptor turns
them into ``google.rpc.Status`` with ``ErrorInfo`` (and ``BadRequest``) through
``openledger_kit.server.status``. Anything else is a bug: the client gets a bare ``INTERNAL``
(the exception text may hold paths, SQL or secrets) and the log gets the traceback.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import grpc
from opentelemetry import trace

from openledger_kit.errors import OpenLedgerError
from openledger_kit.server._wrapping import wrap_rpc_handler
from openledger_kit.server.status import abort

logger = logging.getLogger(__name__)

INTERNAL_MESSAGE = "internal error"


def internal_message() -> str:
    """The client-facing text of an unexpected failure: generic, plus the trace id to quote."""
    span_context = trace.get_current_span().get_span_context()
    if span_context.is_valid:
        return f"{INTERNAL_MESSAGE} (trace_id={span_context.trace_id:032x})"
    return INTERNAL_MESSAGE


class ErrorInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc]  # grpc is untyped
    """Maps ``OpenLedgerError`` to its rich status and any other exception to ``INTERNAL``."""

    async def intercept_service(
        self,
        continuation: Callable[[Any], Awaitable[Any]],
        handler_call_details: Any,
    ) -> Any:
        handler = await continuation(handler_call_details)
        if handler is None:
            return None
        method: str = handler_call_details.method

        @asynccontextmanager
        async def mapping_errors(request: Any, context: Any) -> AsyncIterator[None]:
            try:
                yield
            except grpc.aio.AbortError:
                # The RPC already carries a status (set by an abort further in).
                raise
            except OpenLedgerError as err:
                logger.debug("%s failed: %s %s", method, err.kind.value, err.reason)
                await abort(context, err)
            except Exception:
                logger.exception("unhandled error in %s", method)
                await context.abort(grpc.StatusCode.INTERNAL, internal_message())

        return wrap_rpc_handler(handler, mapping_errors)

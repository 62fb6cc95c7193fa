"""Typed domain errors.

Domain code raises these; one server interceptor maps them to gRPC status codes with a
``google.rpc.Status`` carrying ``ErrorInfo`` (and ``BadRequest`` for invalid fields). Nothing here
imports gRPC, so domain modules can use it freely.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum


class ErrorKind(Enum):
    """The category of failure; the server edge maps each to one gRPC status code."""

    INVALID_ARGUMENT = "INVALID_ARGUMENT"
    NOT_FOUND = "NOT_FOUND"
    ALREADY_EXISTS = "ALREADY_EXISTS"
    FAILED_PRECONDITION = "FAILED_PRECONDITION"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    RESOURCE_EXHAUSTED = "RESOURCE_EXHAUSTED"
    UNAVAILABLE = "UNAVAILABLE"
    ABORTED = "ABORTED"


class OpenLedgerError(Exception):
    """Base of every domain error.

    ``reason`` is a stable UPPER_SNAKE identifier clients may branch on (``ErrorInfo.reason``);
    ``domain`` is the producing service (``openledger.<svc>``); ``metadata`` adds context.
    """

    kind: ErrorKind = ErrorKind.FAILED_PRECONDITION
    default_reason = "FAILED_PRECONDITION"

    def __init__(
        self,
        message: str,
        *,
        reason: str | None = None,
        domain: str = "openledger",
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason or self.default_reason
        self.domain = domain
        self.metadata: dict[str, str] = dict(metadata or {})


class InvalidArgument(OpenLedgerError):
    """A request field is malformed or out of range. ``field`` names it (dotted path)."""

    kind = ErrorKind.INVALID_ARGUMENT
    default_reason = "INVALID_ARGUMENT"

    def __init__(
        self,
        field: str,
        message: str,
        *,
        reason: str | None = None,
        domain: str = "openledger",
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{field}: {message}", reason=reason, domain=domain, metadata=metadata)
        self.field = field
        self.description = message


class NotFound(OpenLedgerError):
    kind = ErrorKind.NOT_FOUND
    default_reason = "NOT_FOUND"


class AlreadyExists(OpenLedgerError):
    kind = ErrorKind.ALREADY_EXISTS
    default_reason = "ALREADY_EXISTS"


class FailedPrecondition(OpenLedgerError):
    kind = ErrorKind.FAILED_PRECONDITION
    default_reason = "FAILED_PRECONDITION"


class PermissionDenied(OpenLedgerError):
    kind = ErrorKind.PERMISSION_DENIED
    default_reason = "PERMISSION_DENIED"


class Unauthenticated(OpenLedgerError):
    kind = ErrorKind.UNAUTHENTICATED
    default_reason = "UNAUTHENTICATED"


class ResourceExhausted(OpenLedgerError):
    kind = ErrorKind.RESOURCE_EXHAUSTED
    default_reason = "RESOURCE_EXHAUSTED"


class Unavailable(OpenLedgerError):
    kind = ErrorKind.UNAVAILABLE
    default_reason = "UNAVAILABLE"


class Aborted(OpenLedgerError):
    """A concurrent change won; the caller may retry the whole operation."""

    kind = ErrorKind.ABORTED
    default_reason = "ABORTED"

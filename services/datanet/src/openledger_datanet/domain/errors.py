"""The datanet service's errors: ``openledger_kit.errors`` types with this service's
``ErrorInfo.reason`` values and domain ``openledger.datanet``.

Clients branch on the reasons; they are part of the API. Per-record submission failures are not
errors (the batch goes on): they are ``SubmissionFailure`` values with a
``SubmissionErrorReason`` name.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from openledger_datanet.domain.model import DOMAIN
from openledger_kit.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    ResourceExhausted,
    Unavailable,
)

# ErrorInfo reasons.
DATANET_NOT_FOUND = "DATANET_NOT_FOUND"
DATANET_ALREADY_EXISTS = "DATANET_ALREADY_EXISTS"
DATANET_NOT_ACTIVE = "DATANET_NOT_ACTIVE"
CONTRIBUTION_NOT_FOUND = "CONTRIBUTION_NOT_FOUND"
SNAPSHOT_NOT_FOUND = "SNAPSHOT_NOT_FOUND"
SNAPSHOT_NOT_SUCCEEDED = "SNAPSHOT_NOT_SUCCEEDED"
RECORD_NOT_IN_SNAPSHOT = "RECORD_NOT_IN_SNAPSHOT"
NO_ACCEPTED_RECORDS = "NO_ACCEPTED_RECORDS"
NOT_CURATOR = "NOT_CURATOR"
CONTRIBUTOR_NOT_CALLER = "CONTRIBUTOR_NOT_CALLER"
REQUEST_ID_REUSED = "REQUEST_ID_REUSED"
BATCH_TOO_LARGE = "BATCH_TOO_LARGE"
CHAIN_WRITE_FAILED = "CHAIN_WRITE_FAILED"
SCHEMA_INVALID = "SCHEMA_INVALID"


class SubmissionErrorReason(enum.StrEnum):
    """Why one record of a batch was refused (``SubmissionErrorReason`` without its prefix)."""

    CONTENT_INVALID = "CONTENT_INVALID"
    RECORD_TOO_LARGE = "RECORD_TOO_LARGE"
    CONTENT_HASH_MISMATCH = "CONTENT_HASH_MISMATCH"
    CONTRIBUTOR_INVALID = "CONTRIBUTOR_INVALID"
    SIGNATURE_INVALID = "SIGNATURE_INVALID"
    SIGNER_MISMATCH = "SIGNER_MISMATCH"
    INSUFFICIENT_STAKE = "INSUFFICIENT_STAKE"
    CONTRIBUTOR_SUSPENDED = "CONTRIBUTOR_SUSPENDED"


@dataclass(frozen=True)
class SubmissionFailure:
    """A refused record: the reason and a message naming the field (``records[3].signature``)."""

    reason: SubmissionErrorReason
    message: str


def invalid(field: str, message: str, reason: str = "INVALID_ARGUMENT") -> InvalidArgument:
    return InvalidArgument(field, message, reason=reason, domain=DOMAIN)


def datanet_not_found(datanet_id: str) -> NotFound:
    return NotFound(
        f"datanet {datanet_id!r} does not exist",
        reason=DATANET_NOT_FOUND,
        domain=DOMAIN,
        metadata={"datanet": f"datanets/{datanet_id}"},
    )


def datanet_exists(datanet_id: str) -> AlreadyExists:
    return AlreadyExists(
        f"datanet {datanet_id!r} already exists",
        reason=DATANET_ALREADY_EXISTS,
        domain=DOMAIN,
        metadata={"datanet": f"datanets/{datanet_id}"},
    )


def not_active(datanet_id: str, state: str, doing: str) -> FailedPrecondition:
    return FailedPrecondition(
        f"datanet {datanet_id!r} is {state}: cannot {doing}",
        reason=DATANET_NOT_ACTIVE,
        domain=DOMAIN,
        metadata={"datanet": f"datanets/{datanet_id}", "state": state},
    )


def not_found(what: str, name: str, reason: str) -> NotFound:
    return NotFound(
        f"{what} {name!r} does not exist", reason=reason, domain=DOMAIN, metadata={"name": name}
    )


def not_curator(datanet_id: str, caller: str | None) -> PermissionDenied:
    return PermissionDenied(
        f"only the curator of datanet {datanet_id!r} (or an admin) may do this; "
        f"the caller is {caller or 'anonymous'}",
        reason=NOT_CURATOR,
        domain=DOMAIN,
        metadata={"datanet": f"datanets/{datanet_id}", "caller": caller or ""},
    )


def request_id_reused(request_id: str) -> AlreadyExists:
    return AlreadyExists(
        f"request_id {request_id} was already used with a different request",
        reason=REQUEST_ID_REUSED,
        domain=DOMAIN,
        metadata={"request_id": request_id},
    )


def batch_too_large(size: int, limit: int, what: str) -> ResourceExhausted:
    return ResourceExhausted(
        f"records: the batch holds {size} {what}, more than the limit of {limit}",
        reason=BATCH_TOO_LARGE,
        domain=DOMAIN,
        metadata={"field": "records", "size": str(size), "limit": str(limit)},
    )


def chain_write_failed(doing: str, detail: str) -> Unavailable:
    return Unavailable(
        f"could not {doing} on the DatanetRegistry: {detail}",
        reason=CHAIN_WRITE_FAILED,
        domain=DOMAIN,
    )

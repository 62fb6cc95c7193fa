"""The modelfactory service's errors: ``openledger_kit.errors`` types with this service's
``ErrorInfo.reason`` values and domain ``openledger.modelfactory``.

Clients branch on the reasons; they are part of the API. The job failure reasons
(``TrainingJob.error_reason``) are not errors: a failed job is a result, recorded on the job.
"""

from __future__ import annotations

from openledger_kit.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    ResourceExhausted,
    Unavailable,
)
from openledger_modelfactory.domain.model import DOMAIN

# ErrorInfo reasons.
JOB_NOT_FOUND = "JOB_NOT_FOUND"
ADAPTER_NOT_FOUND = "ADAPTER_NOT_FOUND"
BASE_MODEL_NOT_FOUND = "BASE_MODEL_NOT_FOUND"
FILE_NOT_FOUND = "FILE_NOT_FOUND"
REQUEST_ID_REUSED = "REQUEST_ID_REUSED"
NOT_OWNER = "NOT_OWNER"
ADAPTER_OWNED_BY_OTHER = "ADAPTER_OWNED_BY_OTHER"
FEATURES_NOT_PERMITTED = "FEATURES_NOT_PERMITTED"
TOO_MANY_ACTIVE_JOBS = "TOO_MANY_ACTIVE_JOBS"
MEMORY_ESTIMATE_TOO_LARGE = "MEMORY_ESTIMATE_TOO_LARGE"
JOB_NOT_CANCELLABLE = "JOB_NOT_CANCELLABLE"
REGISTRATION_REVERTED = "REGISTRATION_REVERTED"
REGISTRATION_TIMEOUT = "REGISTRATION_TIMEOUT"

# TrainingJob.error_reason / TrainingAttempt.failure_reason values the service itself sets
# (the driver reports the others through RunFailed).
WORKER_LOST = "WORKER_LOST"
BASE_MODEL_UNAVAILABLE = "BASE_MODEL_UNAVAILABLE"
STORAGE_ERROR = "STORAGE_ERROR"
INTERNAL = "INTERNAL"


def invalid(field: str, message: str, reason: str = "INVALID_ARGUMENT") -> InvalidArgument:
    return InvalidArgument(field, message, reason=reason, domain=DOMAIN)


def job_not_found(job_id: str) -> NotFound:
    return NotFound(
        f"training job {job_id!r} does not exist",
        reason=JOB_NOT_FOUND,
        domain=DOMAIN,
        metadata={"job": f"jobs/{job_id}"},
    )


def adapter_not_found(name: str) -> NotFound:
    return NotFound(
        f"adapter {name!r} does not exist",
        reason=ADAPTER_NOT_FOUND,
        domain=DOMAIN,
        metadata={"adapter": name},
    )


def base_model_not_found(name: str) -> NotFound:
    return NotFound(
        f"base model {name!r} is not in the catalogue",
        reason=BASE_MODEL_NOT_FOUND,
        domain=DOMAIN,
        metadata={"base_model": name},
    )


def request_id_reused(request_id: str) -> AlreadyExists:
    return AlreadyExists(
        f"request_id {request_id} was already used with a different request",
        reason=REQUEST_ID_REUSED,
        domain=DOMAIN,
        metadata={"request_id": request_id},
    )


def not_owner(what: str, caller: str | None) -> PermissionDenied:
    return PermissionDenied(
        f"only the owner of {what} (or an admin) may do this; "
        f"the caller is {caller or 'anonymous'}",
        reason=NOT_OWNER,
        domain=DOMAIN,
        metadata={"resource": what, "caller": caller or ""},
    )


def adapter_owned_by_other(adapter_id: str, owner: str) -> PermissionDenied:
    return PermissionDenied(
        f"training_job.config.adapter_id: adapter {adapter_id!r} belongs to {owner}",
        reason=ADAPTER_OWNED_BY_OTHER,
        domain=DOMAIN,
        metadata={"adapter_id": adapter_id, "owner": owner},
    )


def too_many_active_jobs(owner: str, limit: int) -> ResourceExhausted:
    return ResourceExhausted(
        f"{owner} already has {limit} queued or running training jobs, the most allowed",
        reason=TOO_MANY_ACTIVE_JOBS,
        domain=DOMAIN,
        metadata={"owner": owner, "limit": str(limit)},
    )


def memory_too_large(base_model: str, estimate: int, available: int) -> FailedPrecondition:
    return FailedPrecondition(
        f"the estimated peak memory per worker on {base_model} is {estimate} bytes, more than "
        f"the {available} bytes a worker has; lower batch_size, max_seq_length or lora.rank",
        reason=MEMORY_ESTIMATE_TOO_LARGE,
        domain=DOMAIN,
        metadata={
            "base_model": base_model,
            "estimate_bytes": str(estimate),
            "worker_memory_bytes": str(available),
        },
    )


def not_cancellable(job_id: str, why: str) -> FailedPrecondition:
    return FailedPrecondition(
        f"training job {job_id!r} cannot be cancelled: {why}",
        reason=JOB_NOT_CANCELLABLE,
        domain=DOMAIN,
        metadata={"job": f"jobs/{job_id}"},
    )


class RegistrationReverted(FailedPrecondition):
    """The ``ModelRegistry`` refused an adapter registration (nothing was registered)."""

    default_reason = REGISTRATION_REVERTED

    def __init__(self, message: str, *, error_name: str | None = None) -> None:
        metadata = {"error_name": error_name} if error_name else None
        super().__init__(message, domain=DOMAIN, metadata=metadata)
        self.error_name = error_name


class RegistrationTimeout(Unavailable):
    """No receipt came for a registration: it may still be mined, so look it up before
    sending another."""

    default_reason = REGISTRATION_TIMEOUT

    def __init__(self, message: str, *, tx_hash: str = "") -> None:
        super().__init__(message, domain=DOMAIN, metadata={"tx_hash": tx_hash} if tx_hash else None)
        self.tx_hash = tx_hash

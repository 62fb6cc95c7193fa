"""When a failed call may be sent again, and how long to wait first (no I/O here).

Only calls that are safe to repeat are retried:

- *reads*: unary methods whose name starts with ``Get`` or ``List`` (STYLE.md's standard verbs);
  streaming methods (``Watch*``, ``Export*``, ``GenerateStream``) are never retried;
- *idempotent mutations*: any unary call whose request has a non-empty ``request_id``
  (AIP-155): the server deduplicates on it.

Reads are retried on ``UNAVAILABLE`` and ``DEADLINE_EXCEEDED``; idempotent mutations only on
``UNAVAILABLE``: a mutation that timed out may still be running, and a prompt retry would only
race it. Backoff is exponential with full jitter, as in gRPC's retry design (A6).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

import grpc


def has_request_id(request: object) -> bool:
    """Whether ``request`` is a message with a non-empty ``request_id`` field."""
    descriptor = getattr(request, "DESCRIPTOR", None)
    fields = getattr(descriptor, "fields_by_name", None)
    if not fields or "request_id" not in fields:
        return False
    return bool(getattr(request, "request_id", None))


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries with exponential backoff and full jitter.

    ``max_attempts`` counts the first call (1 disables retries). The n-th retry waits a random
    time in ``[0, min(max_backoff, initial_backoff * multiplier**(n-1))]``. The call's deadline
    covers every attempt; ``per_attempt_timeout`` additionally caps each one, so that a read
    stuck on one replica can be retried on another within the overall deadline.
    """

    max_attempts: int = 4
    initial_backoff: float = 0.1
    max_backoff: float = 2.0
    multiplier: float = 2.0
    per_attempt_timeout: float | None = None
    read_prefixes: tuple[str, ...] = ("Get", "List")

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.initial_backoff < 0 or self.max_backoff < 0 or self.multiplier < 1:
            raise ValueError("backoffs must be non-negative and multiplier at least 1")
        if self.per_attempt_timeout is not None and self.per_attempt_timeout <= 0:
            raise ValueError("per_attempt_timeout must be positive")

    def is_read(self, method: str) -> bool:
        """Whether a unary method is a read by its name (``/pkg.Service/GetThing``)."""
        name = method.rpartition("/")[2]
        return name.startswith(self.read_prefixes)

    def is_retryable_call(self, method: str, request: object) -> bool:
        """Whether a unary call may be attempted more than once at all."""
        return self.max_attempts > 1 and (self.is_read(method) or has_request_id(request))

    def is_retryable_code(self, code: grpc.StatusCode, *, read: bool) -> bool:
        """Whether a failure with ``code`` is worth another attempt."""
        if code == grpc.StatusCode.UNAVAILABLE:
            return True
        return read and code == grpc.StatusCode.DEADLINE_EXCEEDED

    def backoff(
        self, retry: int, *, uniform: Callable[[float, float], float] = random.uniform
    ) -> float:
        """Seconds to wait before retry number ``retry`` (1 for the first retry)."""
        ceiling = min(self.max_backoff, self.initial_backoff * self.multiplier ** (retry - 1))
        return uniform(0.0, ceiling)


NO_RETRY = RetryPolicy(max_attempts=1)
"""Every call is attempted exactly once."""

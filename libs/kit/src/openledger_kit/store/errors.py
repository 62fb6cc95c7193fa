"""Errors raised by the object store (domain errors, so the gRPC edge maps them)."""

from __future__ import annotations

from openledger_kit.errors import FailedPrecondition, InvalidArgument, NotFound
from openledger_kit.store.digest import Digest


class ObjectNotFound(NotFound):
    """No object is stored under this digest."""

    default_reason = "OBJECT_NOT_FOUND"

    def __init__(self, digest: Digest) -> None:
        super().__init__(f"object {digest} not found", metadata={"digest": str(digest)})
        self.digest = digest


class CorruptObject(FailedPrecondition):
    """The stored bytes no longer hash to their address (disk or bucket corruption).

    Raised only when reads are verified. ``actual`` is the digest of what was read.
    """

    default_reason = "OBJECT_CORRUPT"

    def __init__(self, digest: Digest, actual: Digest, location: str) -> None:
        super().__init__(
            f"object {digest} at {location} hashes to {actual}",
            metadata={"digest": str(digest), "actual": str(actual)},
        )
        self.digest = digest
        self.actual = actual
        self.location = location


class DigestMismatch(InvalidArgument):
    """A writer declared the digest of its content and the bytes it sent hash differently."""

    def __init__(self, expected: Digest, actual: Digest) -> None:
        super().__init__(
            "digest",
            f"content hashes to {actual}, not the declared {expected}",
            reason="DIGEST_MISMATCH",
            metadata={"expected": str(expected), "actual": str(actual)},
        )
        self.expected = expected
        self.actual = actual

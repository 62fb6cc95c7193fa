"""The address of an object: its SHA-256, written ``sha256:<64 lowercase hex digits>``.

``Digest`` is a small immutable value type rather than a bare string so that a typo or a
different hash cannot be passed where an address is expected; ``str(digest)`` gives the
canonical text form, which is what goes into databases, events and manifests, and
``Digest.parse`` reads it back. Store methods accept either form.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from openledger_kit.errors import InvalidArgument

ALGORITHM = "sha256"
_HEX = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True, order=True)
class Digest:
    """A SHA-256 content address. ``str()`` is ``sha256:<hex>``."""

    hexdigest: str

    def __post_init__(self) -> None:
        if not _HEX.fullmatch(self.hexdigest):
            raise InvalidArgument("digest", "expected 64 lowercase hex digits of a SHA-256")

    @classmethod
    def parse(cls, value: DigestLike) -> Digest:
        """Read ``sha256:<hex>`` (or pass a ``Digest`` through)."""
        if isinstance(value, Digest):
            return value
        algorithm, sep, hexdigest = value.partition(":")
        if not sep or algorithm != ALGORITHM:
            raise InvalidArgument("digest", f"expected '{ALGORITHM}:<hex>', got {value[:80]!r}")
        return cls(hexdigest)

    @classmethod
    def of(cls, data: bytes | bytearray | memoryview) -> Digest:
        """The digest of an in-memory value."""
        return cls(hashlib.sha256(data).hexdigest())

    def __str__(self) -> str:
        return f"{ALGORITHM}:{self.hexdigest}"


DigestLike = Digest | str
"""What store methods accept as an address: a ``Digest`` or its ``sha256:<hex>`` text."""

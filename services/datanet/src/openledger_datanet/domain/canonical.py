"""Canonical JSON (RFC 8785, JCS) of record content and the keccak256 content hash.

``protos/openledger/datanet/v1/contribution.proto`` defines both: the content hash of a record is
``keccak256(JCS(content))`` with JCS from the ``rfc8785`` package (object members sorted by
UTF-16 code units, no whitespace, minimal string escapes, numbers in ECMAScript form) and
keccak256 the Ethereum Keccak-256 (not SHA3-256). The hash is what contributors sign, what
snapshots commit to, and what the exact-dedupe check compares, so every component must compute
it through this module.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import rfc8785
from eth_utils.crypto import keccak

from openledger_kit.errors import InvalidArgument

MAX_CONTENT_BYTES = 256 * 1024
"""Largest canonical JSON of one record that the service accepts (contribution.proto)."""

HASH_BYTES = 32

_MAX_SAFE_INTEGER = 2**53 - 1


class ContentInvalid(InvalidArgument):
    """The content cannot be canonicalised: not a JSON object, a non-string key, a value that is
    not JSON (bytes, sets, objects), NaN or an infinity, or an integer outside the range that
    an IEEE-754 double holds exactly."""

    def __init__(self, detail: str, *, field: str = "content") -> None:
        super().__init__(field, detail, reason="CONTENT_INVALID", domain="openledger.datanet")


def canonical_json(content: Mapping[str, object]) -> bytes:
    """The RFC 8785 canonical JSON of a JSON object, UTF-8 encoded.

    Raises ``ContentInvalid`` when ``content`` is not a JSON object or holds something JCS
    cannot represent. ``1.0`` and ``1`` both canonicalise to ``1``; ``-0.0`` to ``0``. Integers
    beyond 2^53 - 1 are read as the double nearest to them, as a protobuf ``Struct`` holds them
    (contribution.proto): ``2**60`` canonicalises to ``1152921504606847000``.
    """
    if not isinstance(content, Mapping):
        raise ContentInvalid(f"expected a JSON object, got {type(content).__name__}")
    return canonical_value(content)


def canonical_value(value: object) -> bytes:
    """The RFC 8785 canonical JSON of any JSON value (objects, arrays, scalars)."""
    plain = _plain(value, "")
    try:
        return bytes(rfc8785.dumps(plain))
    except rfc8785.CanonicalizationError as error:
        raise ContentInvalid(str(error) or type(error).__name__) from error


def content_hash(content: Mapping[str, object]) -> bytes:
    """keccak256 of ``canonical_json(content)``: the 32 bytes a contributor signs."""
    return keccak_bytes(canonical_json(content))


def keccak_bytes(data: bytes) -> bytes:
    """Ethereum Keccak-256 of ``data``."""
    return bytes(keccak(primitive=data))


def _plain(value: object, path: str) -> Any:
    """``value`` as the dict/list/str/int/float/bool/None tree ``rfc8785`` accepts.

    Any ``Mapping`` and any list or tuple is accepted (content often arrives as a read-only
    mapping or from protobuf ``Struct`` conversion); every other type is refused by name, with
    the JSON Pointer of where it sits, instead of the package's generic error.
    """
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        if -_MAX_SAFE_INTEGER <= value <= _MAX_SAFE_INTEGER:
            return int(value)
        # The record travels as a protobuf Struct, whose numbers are doubles: hash what the
        # server will hold, so a client hashing a parsed JSON file agrees with it.
        try:
            return float(value)
        except OverflowError:
            raise ContentInvalid(f"integer at {path or '/'} is too large for a double") from None
    if isinstance(value, float):
        return value
    if isinstance(value, Mapping):
        result: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise ContentInvalid(f"object key {key!r} at {path or '/'} is not a string")
            result[key] = _plain(item, f"{path}/{_escape(key)}")
        return result
    if isinstance(value, list | tuple):
        return [_plain(item, f"{path}/{index}") for index, item in enumerate(value)]
    raise ContentInvalid(f"{type(value).__name__} at {path or '/'} is not a JSON value")


def _escape(key: str) -> str:
    # RFC 6901: "~" and "/" inside a reference token.
    return key.replace("~", "~0").replace("/", "~1")

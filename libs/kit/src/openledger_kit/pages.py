"""Opaque page tokens for list RPCs: base64url JSON of where the next page starts plus a short
fingerprint of the list's filters, so a token reused with other filters, or a made-up one, is
refused with ``INVALID_ARGUMENT`` naming ``page_token``."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json

from openledger_kit.errors import InvalidArgument

PAGE_TOKEN_INVALID = "PAGE_TOKEN_INVALID"


def fingerprint(*parts: object) -> str:
    """A short digest of a list call's filters."""
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:12]


def encode_token(query: str, key: str) -> str:
    """A token resuming the list ``query`` (a ``fingerprint``) after ``key``."""
    raw = json.dumps({"q": query, "k": key}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str, query: str, *, list_name: str) -> str:
    """The key in ``token``, which must have been made for ``query``."""
    data: object = None
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError):
        pass
    if not isinstance(data, dict) or not isinstance(data.get("k"), str):
        raise InvalidArgument(
            "page_token", f"not a page token of {list_name}", reason=PAGE_TOKEN_INVALID
        )
    if data.get("q") != query:
        raise InvalidArgument(
            "page_token",
            f"the page token belongs to a {list_name} call with other filters",
            reason=PAGE_TOKEN_INVALID,
        )
    return str(data["k"])

"""Pagination: totals and opaque page tokens.

A page token is base64url of the last row's sort key plus a short fingerprint of the list's
filters, so a token used with other filters, or one that was made up, is refused with
``INVALID_ARGUMENT`` naming ``page_token``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from openledger_kit.errors import InvalidArgument
from openledger_modelfactory.domain.model import DOMAIN

PAGE_TOKEN_INVALID = "PAGE_TOKEN_INVALID"


def count_rows(session: Session, entity: Any, conditions: Sequence[ColumnElement[bool]]) -> int:
    return int(session.scalar(select(func.count()).select_from(entity).where(*conditions)) or 0)


def query_fingerprint(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:12]


def encode_token(query: str, key: Sequence[str]) -> str:
    raw = json.dumps({"q": query, "k": list(key)}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def bad_token(message: str) -> InvalidArgument:
    return InvalidArgument("page_token", message, reason=PAGE_TOKEN_INVALID, domain=DOMAIN)


def decode_token(token: str, query: str, parts: int) -> list[str]:
    """The sort key in ``token``; ``INVALID_ARGUMENT`` (``page_token``) when it is not a token
    of this list with these filters."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
    except (binascii.Error, ValueError):
        raise bad_token("not a page token of this service") from None
    if not isinstance(data, dict) or not isinstance(data.get("k"), list):
        raise bad_token("not a page token of this service")
    if data.get("q") != query:
        raise bad_token("the page token belongs to a list call with other parameters")
    key = data["k"]
    if len(key) != parts or not all(isinstance(item, str) for item in key):
        raise bad_token("not a page token of this list")
    return [str(item) for item in key]

"""Pagination: page sizes, totals and opaque page tokens.

A page token is base64url of the last row's sort key plus a short fingerprint of the
filters, so a token used with other filters is refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from openledger_datanet.domain.model import DOMAIN
from openledger_kit.errors import InvalidArgument

MAX_PAGE_SIZE = 1000


def count_rows(session: Session, entity: Any, conditions: Sequence[ColumnElement[bool]]) -> int:
    return int(session.scalar(select(func.count()).select_from(entity).where(*conditions)) or 0)


def check_page_size(page_size: int) -> None:
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidArgument(
            "page_size", f"must be 1..{MAX_PAGE_SIZE}, got {page_size}", domain=DOMAIN
        )


def query_fingerprint(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:12]


def encode_token(query: str, key: list[str]) -> str:
    raw = json.dumps({"q": query, "k": key}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str, query: str, parts: int) -> list[str]:
    def bad(message: str) -> InvalidArgument:
        return InvalidArgument("page_token", message, reason="PAGE_TOKEN_INVALID", domain=DOMAIN)

    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
    except (binascii.Error, ValueError):
        raise bad("not a page token of this service") from None
    if not isinstance(data, dict) or not isinstance(data.get("k"), list):
        raise bad("not a page token of this service")
    if data.get("q") != query:
        raise bad("the page token belongs to a list call with other parameters")
    key = data["k"]
    if len(key) != parts or not all(isinstance(item, str) for item in key):
        raise bad("not a page token of this list")
    return [str(item) for item in key]


def parse_time(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise InvalidArgument(
            "page_token", "not a page token of this list", reason="PAGE_TOKEN_INVALID"
        ) from None

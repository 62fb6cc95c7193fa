"""Checks of request values, each raising ``InvalidArgument`` that names the field."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from openledger_datanet.domain.canonical import ContentInvalid, canonical_json
from openledger_datanet.domain.errors import SCHEMA_INVALID, invalid
from openledger_datanet.domain.model import DATANET_ID, DOMAIN_SLUG

MAX_SCHEMA_BYTES = 64 * 1024
MAX_DESCRIPTION_BYTES = 16 * 1024
MAX_DISPLAY_NAME_CHARS = 200
MAX_SNAPSHOT_DESCRIPTION_BYTES = 1024
_DECIMAL = re.compile(r"^(0|[1-9][0-9]*)$")
_NAME = re.compile(r"^datanets/([^/]+)$")
_CONTRIBUTION = re.compile(r"^datanets/([^/]+)/contributions/([^/]+)$")
_CONTRIBUTOR = re.compile(r"^datanets/([^/]+)/contributors/([^/]+)$")
_SNAPSHOT = re.compile(r"^datanets/([^/]+)/snapshots/v([1-9][0-9]*)$")


def request_id(value: str, field: str = "request_id") -> str:
    """A client-chosen UUID in canonical hyphenated form."""
    if not value:
        raise invalid(field, "required (a client-chosen UUID)", "REQUEST_ID_MISSING")
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        raise invalid(field, f"{value!r} is not a UUID", "REQUEST_ID_INVALID") from None
    if str(parsed) != value.lower():
        raise invalid(field, "use the canonical hyphenated UUID form", "REQUEST_ID_INVALID")
    return value.lower()


def datanet_id(value: str, field: str = "datanet_id") -> str:
    if not DATANET_ID.match(value):
        raise invalid(
            field,
            f"{value!r} is not 3-63 lowercase letters, digits and hyphens starting with a "
            "letter and not ending with a hyphen",
            "DATANET_ID_INVALID",
        )
    return value


def datanet_name(value: str, field: str = "name") -> str:
    """The id out of ``datanets/{datanet}``."""
    match = _NAME.match(value)
    if match is None:
        raise invalid(field, f"{value!r} is not 'datanets/{{datanet}}'", "NAME_INVALID")
    return datanet_id(match.group(1), field)


def contribution_name(value: str, field: str = "name") -> tuple[str, str]:
    match = _CONTRIBUTION.match(value)
    if match is None:
        raise invalid(
            field, f"{value!r} is not 'datanets/{{datanet}}/contributions/{{id}}'", "NAME_INVALID"
        )
    return datanet_id(match.group(1), field), match.group(2)


def contributor_name(value: str, field: str = "name") -> tuple[str, str]:
    match = _CONTRIBUTOR.match(value)
    if match is None:
        raise invalid(
            field,
            f"{value!r} is not 'datanets/{{datanet}}/contributors/{{address}}'",
            "NAME_INVALID",
        )
    return datanet_id(match.group(1), field), match.group(2)


def snapshot_name(value: str, field: str = "name") -> tuple[str, int]:
    match = _SNAPSHOT.match(value)
    if match is None:
        raise invalid(
            field,
            f"{value!r} is not 'datanets/{{datanet}}/snapshots/v{{sequence}}'",
            "NAME_INVALID",
        )
    return datanet_id(match.group(1), field), int(match.group(2))


def display_name(value: str, field: str = "datanet.display_name") -> str:
    if not value.strip() or len(value) > MAX_DISPLAY_NAME_CHARS:
        raise invalid(field, f"required, 1-{MAX_DISPLAY_NAME_CHARS} characters")
    return value


def domain_slug(value: str, field: str = "datanet.domain") -> str:
    if not value or len(value) > 63 or not DOMAIN_SLUG.match(value):
        raise invalid(field, f"{value!r} is not a lowercase slug of 1-63 characters")
    return value


def description(value: str, field: str = "datanet.description") -> str:
    if len(value.encode()) > MAX_DESCRIPTION_BYTES:
        raise invalid(field, f"at most {MAX_DESCRIPTION_BYTES} bytes")
    return value


def wei(value: str, field: str) -> int:
    """A decimal integer string of wei."""
    if not _DECIMAL.match(value or ""):
        raise invalid(field, f"{value!r} is not a decimal integer string (wei)", "AMOUNT_INVALID")
    amount = int(value)
    if amount >= 2**256:
        raise invalid(field, "does not fit in uint256", "AMOUNT_INVALID")
    return amount


def record_schema(
    schema: Mapping[str, Any], field: str = "datanet.record_schema"
) -> dict[str, Any]:
    """A JSON Schema (draft 2020-12) object, at most 64 KiB canonical, whose ``$ref``s stay
    inside the schema (no network or file lookups, ever)."""
    if not schema:
        raise invalid(field, "required: a JSON Schema object", SCHEMA_INVALID)
    try:
        size = len(canonical_json(schema))
    except ContentInvalid as exc:
        raise invalid(field, f"not canonical JSON: {exc.description}", SCHEMA_INVALID) from None
    if size > MAX_SCHEMA_BYTES:
        raise invalid(
            field, f"{size} bytes of canonical JSON, more than {MAX_SCHEMA_BYTES}", SCHEMA_INVALID
        )
    try:
        Draft202012Validator.check_schema(dict(schema))
    except SchemaError as exc:
        where = "/".join(str(p) for p in exc.absolute_path)
        raise invalid(
            f"{field}/{where}" if where else field,
            f"not a valid JSON Schema: {exc.message}",
            SCHEMA_INVALID,
        ) from None
    for ref in _refs(schema):
        if not ref.startswith("#"):
            raise invalid(field, f"$ref {ref!r} points outside the schema", SCHEMA_INVALID)
    return dict(schema)


def _refs(node: object) -> list[str]:
    found: list[str] = []
    if isinstance(node, Mapping):
        for key, value in node.items():
            if key in ("$ref", "$dynamicRef") and isinstance(value, str):
                found.append(value)
            else:
                found += _refs(value)
    elif isinstance(node, list):
        for item in node:
            found += _refs(item)
    return found


def page_size(value: int, *, default: int, maximum: int, field: str = "page_size") -> int:
    if value < 0:
        raise invalid(field, "must not be negative")
    if value == 0:
        return default
    return min(value, maximum)


def snapshot_description(value: str, field: str = "description") -> str:
    if len(value.encode()) > MAX_SNAPSHOT_DESCRIPTION_BYTES:
        raise invalid(field, f"at most {MAX_SNAPSHOT_DESCRIPTION_BYTES} bytes")
    return value

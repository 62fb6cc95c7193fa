"""Record schema checks: JSON Schema draft 2020-12 with ``$ref`` confined to the schema itself.

``check_schema`` is for the datanet's ``record_schema`` when a curator sets it; ``RecordSchema``
validates one record's content (curation step 1) and reports every failing location as a
``SCHEMA_INVALID`` rejection with the JSON Pointer of the failing instance.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jsonschema
from jsonschema.exceptions import SchemaError
from referencing.exceptions import Unresolvable

from openledger_kit.errors import InvalidArgument

from .normalize import escape_token
from .outcome import Rejection
from .policy import DOMAIN, Reason

MAX_ERRORS = 16
"""Rejections listed per record; one bad record in a batch should not make a huge outcome."""

_REF_KEYS = ("$ref", "$dynamicRef")


def check_schema(schema: Mapping[str, object], field: str = "record_schema") -> None:
    """Raise ``InvalidArgument`` unless ``schema`` is a valid draft 2020-12 schema whose
    references all point inside it (``#...``): a record schema must not fetch anything."""
    try:
        jsonschema.Draft202012Validator.check_schema(dict(schema))
    except SchemaError as error:
        where = "/" + "/".join(escape_token(str(p)) for p in error.absolute_path)
        raise InvalidArgument(
            field, f"not a valid JSON Schema at {where}: {error.message}", domain=DOMAIN
        ) from error
    for pointer, ref in _references(schema, ""):
        if not ref.startswith("#"):
            raise InvalidArgument(
                field, f"{pointer}: $ref {ref!r} points outside the schema", domain=DOMAIN
            )


def _references(node: object, pointer: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if isinstance(node, Mapping):
        for key, value in node.items():
            child = f"{pointer}/{escape_token(str(key))}"
            if key in _REF_KEYS and isinstance(value, str):
                found.append((child, value))
            else:
                found.extend(_references(value, child))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            found.extend(_references(item, f"{pointer}/{index}"))
    return found


class RecordSchema:
    """A compiled record schema. An empty schema (``{}``) accepts every JSON object."""

    def __init__(self, schema: Mapping[str, object]) -> None:
        check_schema(schema)
        self._validator = jsonschema.Draft202012Validator(dict(schema))

    def validate(self, content: Mapping[str, object]) -> list[Rejection]:
        """Every failing location (at most ``MAX_ERRORS``), shallowest first; empty if valid."""
        instance: Any = content
        try:
            errors = sorted(self._validator.iter_errors(instance), key=_error_order)
        except Unresolvable as error:
            return [Rejection(Reason.SCHEMA_INVALID, f"unresolvable reference: {error}")]
        return [
            Rejection(
                Reason.SCHEMA_INVALID,
                error.message,
                field_path="".join(f"/{escape_token(str(p))}" for p in error.absolute_path),
            )
            for error in errors[:MAX_ERRORS]
        ]


def _error_order(error: jsonschema.ValidationError) -> tuple[int, str, str]:
    return (len(error.absolute_path), "/".join(map(str, error.absolute_path)), error.message)

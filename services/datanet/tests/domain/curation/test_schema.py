"""Record schema checks: every failing location reported with its JSON Pointer."""

from __future__ import annotations

import pytest

from openledger_datanet.domain.curation import Reason, RecordSchema, check_schema
from openledger_kit.errors import InvalidArgument

SCHEMA: dict[str, object] = {
    "type": "object",
    "required": ["text"],
    "properties": {
        "text": {"type": "string", "minLength": 1},
        "tags": {"type": "array", "items": {"$ref": "#/$defs/tag"}},
    },
    "$defs": {"tag": {"type": "string", "maxLength": 5}},
}


def test_valid_content_has_no_rejections() -> None:
    assert RecordSchema(SCHEMA).validate({"text": "hi", "tags": ["a"]}) == []
    assert RecordSchema({}).validate({"anything": [1, 2]}) == []


def test_every_failure_is_reported_with_its_pointer() -> None:
    rejections = RecordSchema(SCHEMA).validate({"text": "", "tags": ["ok", "far too long"]})
    assert {r.reason for r in rejections} == {Reason.SCHEMA_INVALID}
    assert sorted(r.field_path for r in rejections) == ["/tags/1", "/text"]
    missing = RecordSchema(SCHEMA).validate({})
    assert [(r.field_path, "'text' is a required property" in r.detail) for r in missing] == [
        ("", True)
    ]


def test_check_schema_refuses_invalid_schemas_and_outside_references() -> None:
    with pytest.raises(InvalidArgument, match="not a valid JSON Schema"):
        check_schema({"type": "no-such-type"})
    with pytest.raises(InvalidArgument, match="points outside"):
        check_schema({"properties": {"a": {"$ref": "https://example.com/schema.json"}}})
    with pytest.raises(InvalidArgument) as raised:
        RecordSchema({"items": {"$ref": "other.json#/x"}})
    assert raised.value.field == "record_schema"

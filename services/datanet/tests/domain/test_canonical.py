"""Canonical JSON (RFC 8785) and the keccak256 content hash of contribution.proto."""

from __future__ import annotations

import hashlib
import struct
import subprocess
from types import MappingProxyType

import pytest

from openledger_datanet.domain.canonical import (
    ContentInvalid,
    canonical_json,
    canonical_value,
    content_hash,
    keccak_bytes,
)
from openledger_kit.localnet.processes import ToolNotFound, find_tool


def _double(bits: str) -> float:
    value: float = struct.unpack(">d", bytes.fromhex(bits))[0]
    return value


# RFC 8785 Appendix B: IEEE-754 bit patterns and their canonical serialisation.
RFC8785_NUMBERS = [
    ("0000000000000000", "0"),
    ("8000000000000000", "0"),
    ("0000000000000001", "5e-324"),
    ("8000000000000001", "-5e-324"),
    ("7fefffffffffffff", "1.7976931348623157e+308"),
    ("ffefffffffffffff", "-1.7976931348623157e+308"),
    ("4340000000000000", "9007199254740992"),
    ("c340000000000000", "-9007199254740992"),
    ("4430000000000000", "295147905179352830000"),
    ("44b52d02c7e14af5", "9.999999999999997e+22"),
    ("44b52d02c7e14af6", "1e+23"),
    ("44b52d02c7e14af7", "1.0000000000000001e+23"),
    ("444b1ae4d6e2ef4e", "999999999999999700000"),
    ("444b1ae4d6e2ef4f", "999999999999999900000"),
    ("444b1ae4d6e2ef50", "1e+21"),
    ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
    ("3eb0c6f7a0b5ed8d", "0.000001"),
    ("41b3de4355555553", "333333333.3333332"),
    ("41b3de4355555554", "333333333.33333325"),
    ("41b3de4355555555", "333333333.3333333"),
    ("41b3de4355555556", "333333333.3333334"),
    ("41b3de4355555557", "333333333.33333343"),
    ("becbf647612f3696", "-0.0000033333333333333333"),
    ("43143ff3c1cb0959", "1424953923781206.2"),
]


@pytest.mark.parametrize(("bits", "expected"), RFC8785_NUMBERS)
def test_numbers_follow_rfc8785_appendix_b(bits: str, expected: str) -> None:
    assert canonical_json({"n": _double(bits)}) == b'{"n":' + expected.encode() + b"}"


def test_rfc8785_section_3_2_2_example() -> None:
    content = {
        "numbers": [333333333.33333329, 1e30, 4.50, 2e-3, 0.000000000000000000000000001],
        "string": "\u20ac$\u000f\u000aA'\u0042\u0022\u005c\\\"/",
        "literals": [None, True, False],
    }
    expected = (
        '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
        '"string":"\u20ac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    )
    assert canonical_json(content) == expected.encode()


def test_rfc8785_section_3_2_3_members_sort_by_utf16_code_units() -> None:
    content = {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\U0001f600": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
    }
    canonical = canonical_json(content).decode()
    order = [canonical.index(f'"{value}"') for value in content.values()]
    ranked = [value for _, value in sorted(zip(order, content.values(), strict=True))]
    # U+1F600 is the surrogate pair D83D DE00 in UTF-16, so it sorts before U+FB33 although
    # its code point is larger: sorting by code points would get this wrong.
    assert ranked == [
        "Carriage Return",
        "One",
        "Control",
        "Latin Small Letter O With Diaeresis",
        "Euro Sign",
        "Emoji: Grinning Face",
        "Hebrew Letter Dalet With Dagesh",
    ]


def test_proto_example_and_equivalent_inputs() -> None:
    # contribution.proto: {"b": "x", "a": 1.0} canonicalises to {"a":1,"b":"x"}.
    assert canonical_json({"b": "x", "a": 1.0}) == b'{"a":1,"b":"x"}'
    assert canonical_json({"a": 1, "b": "x"}) == b'{"a":1,"b":"x"}'
    # Any mapping and tuples are JSON too; nesting sorts at every level.
    nested = MappingProxyType({"z": (1, {"y": 2, "x": [True, None]}), "a": {}})
    assert canonical_json(nested) == b'{"a":{},"z":[1,{"x":[true,null],"y":2}]}'
    # -0 is 0; integral doubles drop their fraction.
    assert canonical_json({"a": -0.0, "b": 100.0, "c": 1e21}) == b'{"a":0,"b":100,"c":1e+21}'


def test_unicode_is_written_as_itself_and_controls_escaped_in_lowercase_hex() -> None:
    content = {"text": "caf\u00e9 \u2014 \U0001f600 \u0007\u001f\u007f\t\b\f"}
    assert canonical_json(content) == (
        '{"text":"caf\u00e9 \u2014 \U0001f600 \\u0007\\u001f\u007f\\t\\b\\f"}'.encode()
    )
    # Canonicalisation does not normalise: NFC and NFD forms stay different records.
    nfc, nfd = {"t": "\u00e9"}, {"t": "e\u0301"}
    assert canonical_json(nfc) != canonical_json(nfd)


def test_integers_beyond_2_53_are_read_as_the_struct_double() -> None:
    limit = 2**53 - 1
    assert canonical_json({"n": limit}) == b'{"n":9007199254740991}'
    assert canonical_json({"n": -limit}) == b'{"n":-9007199254740991}'
    # What a protobuf Struct holds for 2**60 is the double 1152921504606846976, which
    # ECMAScript prints with its shortest round-trip digits.
    assert canonical_json({"n": 2**60}) == canonical_json({"n": float(2**60)})
    assert canonical_json({"n": 2**60}) == b'{"n":1152921504606847000}'


@pytest.mark.parametrize(
    ("content", "where"),
    [
        ({"n": float("nan")}, "nan"),
        ({"n": float("inf")}, "inf"),
        ({"n": [1, float("-inf")]}, "inf"),
        ({1: "x"}, "key 1"),
        ({"b": b"bytes"}, "/b"),
        ({"s": {1, 2}}, "/s"),
        ({"a": {"b~/c": object()}}, "/a/b~0~1c"),
        ({"n": 10**400}, "too large"),
    ],
)
def test_what_cannot_be_canonicalised_is_refused(content: dict[object, object], where: str) -> None:
    with pytest.raises(ContentInvalid) as raised:
        canonical_json(content)  # type: ignore[arg-type]
    assert raised.value.reason == "CONTENT_INVALID"
    assert raised.value.field == "content"
    assert where in raised.value.message.lower()


def test_top_level_must_be_an_object() -> None:
    with pytest.raises(ContentInvalid):
        canonical_json(["not", "an", "object"])  # type: ignore[arg-type]
    # Other JSON values canonicalise through canonical_value.
    assert canonical_value(["b", {"b": 1, "a": 2}]) == b'["b",{"a":2,"b":1}]'


def test_content_hash_is_ethereum_keccak_not_sha3() -> None:
    # The well-known Keccak-256 of the empty string, and how SHA3-256 differs.
    assert keccak_bytes(b"").hex() == (
        "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    )
    assert hashlib.sha3_256(b"").digest() != keccak_bytes(b"")


CONTENT_HASH_VECTORS = [
    ({"b": "x", "a": 1.0}, "84fc3d9faf736ddfdb9baab9973656bd8d9bd142f1dfff8aa513a774fddfdd04"),
    ({}, "b48d38f93eaa084033fc5970bf96e559c33c4cdc07d889ab00b4d63f9590739d"),
    (
        {
            "question": "Qu\u2019est-ce que l\u2019ADN ?",
            "answer": "Acide d\u00e9soxyribonucl\u00e9ique",
            "tags": ["bio", "\U0001f600"],
            "n": [1, 2.5, -0.0, 1e21],
        },
        "a610840d9321a0779171fe88ce8432e1ea9f1dbbb6064d4467949214b42c7ede",
    ),
]


@pytest.mark.parametrize(("content", "expected"), CONTENT_HASH_VECTORS)
def test_content_hash_vectors(content: dict[str, object], expected: str) -> None:
    assert content_hash(content).hex() == expected
    assert content_hash(content) == keccak_bytes(canonical_json(content))


@pytest.mark.parametrize(("content", "expected"), CONTENT_HASH_VECTORS)
def test_content_hash_agrees_with_foundry_cast(content: dict[str, object], expected: str) -> None:
    """An independent keccak implementation (foundry's ``cast``) over the canonical bytes."""
    try:
        cast = find_tool("cast")
    except ToolNotFound as missing:
        pytest.skip(f"cast is not installed: {missing}")
    hex_data = "0x" + canonical_json(content).hex()
    output = subprocess.run(
        [cast, "keccak", hex_data], check=True, capture_output=True, text=True, timeout=30
    ).stdout.strip()
    assert output == "0x" + expected

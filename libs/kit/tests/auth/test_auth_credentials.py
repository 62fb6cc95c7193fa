"""Parsing the credential metadata of a call (no network)."""

from __future__ import annotations

import pytest

from openledger_kit.auth import RequestSignature, bearer_metadata, parse_credentials
from openledger_kit.errors import Unauthenticated

SIGNATURE = RequestSignature(
    signer="0x" + "ab" * 20, signature="0x" + "cd" * 65, nonce="ef" * 16, expiry=1_700_000_000
)


def test_round_trip_of_a_signature() -> None:
    metadata = (("user-agent", "grpc-python"), *SIGNATURE.to_metadata())
    assert parse_credentials(metadata).signature == SIGNATURE


def test_signer_and_signature_are_case_insensitive() -> None:
    mixed = (
        ("x-ol-signer", "0x" + "AB" * 20),
        ("x-ol-signature", "0x" + "CD" * 65),
        ("x-ol-nonce", "ef" * 16),
        ("x-ol-expiry", "1700000000"),
    )
    assert parse_credentials(mixed).signature == SIGNATURE


def test_bearer_token() -> None:
    assert parse_credentials((bearer_metadata("s3cret"),)).bearer_token == "s3cret"
    assert parse_credentials((("authorization", "bearer s3cret"),)).bearer_token == "s3cret"


def test_no_credentials() -> None:
    credentials = parse_credentials((("user-agent", "x"),))
    assert credentials.signature is None and credentials.bearer_token is None


@pytest.mark.parametrize(
    "metadata",
    [
        (("x-ol-nonce", "ef" * 16),),
        (*SIGNATURE.to_metadata(), ("x-ol-expiry", "1")),
        (("authorization", "Bearer a"), ("authorization", "Bearer b")),
        (("authorization", "Bearer "),),
        (("authorization", "Token abc"),),
        tuple((k, v) if k != "x-ol-signature" else (k, v[2:]) for k, v in SIGNATURE.to_metadata()),
        tuple((k, v) if k != "x-ol-expiry" else (k, "-1") for k, v in SIGNATURE.to_metadata()),
        (("x-ol-signer", b"\x00"),),
    ],
    ids=[
        "partial",
        "repeated",
        "two-tokens",
        "empty-token",
        "other-scheme",
        "unprefixed-signature",
        "negative-expiry",
        "binary",
    ],
)
def test_malformed_credentials(metadata: tuple[tuple[str, str | bytes], ...]) -> None:
    with pytest.raises(Unauthenticated) as failure:
        parse_credentials(metadata)
    assert failure.value.reason == "CREDENTIALS_MALFORMED"
    assert failure.value.domain == "openledger.auth"

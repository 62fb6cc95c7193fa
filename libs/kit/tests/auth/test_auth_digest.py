"""The request digest and its signature: golden vector, documented layout, field binding."""

from __future__ import annotations

import hashlib
import struct
from typing import Any

import coincurve
import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak
from google.protobuf import struct_pb2
from google.protobuf.wrappers_pb2 import StringValue

from openledger_kit.auth import body_bytes, recover_signer, request_digest, sign_request
from openledger_kit.errors import InvalidArgument, Unauthenticated

# The golden vector. Changing any output here breaks every client that signs requests: a format
# change needs a new tag ("openledger-request-v2"), not a new vector. The signature was checked
# independently with Foundry: `cast wallet sign --private-key <KEY> <DIGEST>`.
GOLDEN_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
GOLDEN_ADDRESS = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"
GOLDEN_DEPLOYMENT = "openledger-local"
GOLDEN_METHOD = "/openledger.datanet.v1.DatanetService/SubmitContributions"
GOLDEN_BODY = bytes.fromhex(
    "0a1068656c6c6f206f70656e6c6564676572"
)  # StringValue("hello openledger")
GOLDEN_NONCE = "000102030405060708090a0b0c0d0e0f"
GOLDEN_EXPIRY = 1_700_000_000
GOLDEN_DIGEST = "96d938505539cea9b593a07c7dd0c7347c2993ba1ff6df1163a0eef1aab6f629"
GOLDEN_SIGNATURE = (
    "0xf4a174aeb8f2dfa24d388440818285622621fbe4b7fb0360375309512730ee8b"
    "353eb9089aedd6883dc2d8e778a11d910823aeff48c4d57b48e5cfba856b99c91b"
)

GOLDEN: dict[str, Any] = {
    "deployment_id": GOLDEN_DEPLOYMENT,
    "method": GOLDEN_METHOD,
    "body": GOLDEN_BODY,
    "nonce": GOLDEN_NONCE,
    "expiry": GOLDEN_EXPIRY,
}


@pytest.fixture
def golden_account() -> LocalAccount:
    account: LocalAccount = Account.from_key(GOLDEN_KEY)
    return account


def test_golden_body_is_the_deterministic_serialization() -> None:
    assert body_bytes(StringValue(value="hello openledger")) == GOLDEN_BODY


def test_golden_digest() -> None:
    assert request_digest(**GOLDEN).hex() == GOLDEN_DIGEST


def test_golden_signature(golden_account: LocalAccount) -> None:
    signature = sign_request(golden_account, **GOLDEN)
    assert signature.signature == GOLDEN_SIGNATURE
    assert signature.signer == GOLDEN_ADDRESS
    assert recover_signer(bytes.fromhex(GOLDEN_DIGEST), GOLDEN_SIGNATURE) == GOLDEN_ADDRESS


def test_digest_follows_the_documented_layout() -> None:
    """Rebuild the preimage by hand from the module docstring, as a JS or Go client would."""

    def field(data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + data

    preimage = (
        field(b"openledger-request-v1")
        + field(GOLDEN_DEPLOYMENT.encode())
        + field(GOLDEN_METHOD.encode())
        + field(hashlib.sha256(GOLDEN_BODY).digest())
        + field(bytes.fromhex(GOLDEN_NONCE))
        + field(struct.pack(">Q", GOLDEN_EXPIRY))
    )
    assert bytes(keccak(primitive=preimage)).hex() == GOLDEN_DIGEST


def test_signature_is_eip191_personal_sign_of_the_digest() -> None:
    """Independently of eth_account: secp256k1 over keccak(EIP-191 prefix || digest)."""
    digest = bytes.fromhex(GOLDEN_DIGEST)
    message_hash = keccak(primitive=b"\x19Ethereum Signed Message:\n32" + digest)
    key = coincurve.PrivateKey(bytes.fromhex(GOLDEN_KEY.removeprefix("0x")))
    raw = key.sign_recoverable(bytes(message_hash), hasher=None)
    assert "0x" + (raw[:64] + bytes([raw[64] + 27])).hex() == GOLDEN_SIGNATURE


@pytest.mark.parametrize(
    "change",
    [
        {"deployment_id": "openledger-testnet"},
        {"method": "/openledger.datanet.v1.DatanetService/GetDatanet"},
        {"body": GOLDEN_BODY + b"\x00"},
        {"nonce": "ff" + GOLDEN_NONCE[2:]},
        {"expiry": GOLDEN_EXPIRY + 1},
    ],
    ids=["deployment", "method", "body", "nonce", "expiry"],
)
def test_every_field_is_bound(change: dict[str, Any]) -> None:
    assert request_digest(**{**GOLDEN, **change}).hex() != GOLDEN_DIGEST


def test_length_prefixes_keep_field_boundaries() -> None:
    """Fields whose plain concatenation is identical ("a" + "/b.C/D" == "a/b.C" + "/D")."""
    one = request_digest(**{**GOLDEN, "deployment_id": "a", "method": "/b.C/D"})
    two = request_digest(**{**GOLDEN, "deployment_id": "a/b.C", "method": "/D"})
    assert one != two


def test_body_of_a_map_message_does_not_depend_on_insertion_order() -> None:
    first, second = struct_pb2.Struct(), struct_pb2.Struct()
    for key in ("alpha", "beta", "gamma", "delta"):
        first[key] = key
    for key in ("delta", "gamma", "beta", "alpha"):
        second[key] = key
    assert body_bytes(first) == body_bytes(second)


def test_body_of_raw_bytes_is_the_bytes() -> None:
    assert body_bytes(b"\x01\x02") == b"\x01\x02"
    with pytest.raises(TypeError):
        body_bytes(12)


@pytest.mark.parametrize(
    "nonce",
    ["00" * 15, "00" * 65, "0F" * 16, "0x" + "00" * 16, "0" * 33, "zz" * 16],
    ids=["short", "long", "uppercase", "prefixed", "odd", "not-hex"],
)
def test_malformed_nonce_is_an_invalid_argument(nonce: str) -> None:
    with pytest.raises(InvalidArgument) as failure:
        request_digest(**{**GOLDEN, "nonce": nonce})
    assert failure.value.reason == "NONCE_MALFORMED"


def test_method_must_be_a_full_path_and_deployment_non_empty() -> None:
    with pytest.raises(InvalidArgument):
        request_digest(**{**GOLDEN, "method": "SubmitContributions"})
    with pytest.raises(InvalidArgument):
        request_digest(**{**GOLDEN, "deployment_id": ""})


def test_recovery_accepts_v_as_zero_or_one() -> None:
    raw = bytes.fromhex(GOLDEN_SIGNATURE.removeprefix("0x"))
    low_v = "0x" + (raw[:64] + bytes([raw[64] - 27])).hex()
    assert recover_signer(bytes.fromhex(GOLDEN_DIGEST), low_v) == GOLDEN_ADDRESS


@pytest.mark.parametrize(
    "signature",
    ["0x" + "00" * 65, "0x" + "ab" * 64, "0x" + "11" * 64 + "05"],
    ids=["zero", "short", "bad-v"],
)
def test_unrecoverable_signature_is_rejected(signature: str) -> None:
    with pytest.raises(Unauthenticated) as failure:
        recover_signer(bytes.fromhex(GOLDEN_DIGEST), signature)
    assert failure.value.reason == "SIGNATURE_INVALID"


def test_fresh_signatures_use_fresh_nonces(golden_account: LocalAccount) -> None:
    first = sign_request(golden_account, deployment_id="d", method="/a.B/C", body=b"")
    second = sign_request(golden_account, deployment_id="d", method="/a.B/C", body=b"")
    assert first.nonce != second.nonce
    assert len(bytes.fromhex(first.nonce)) >= 16

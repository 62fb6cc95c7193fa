"""The canonical request digest that users sign (format ``openledger-request-v1``).

Pure functions, no gRPC: the same digest serves gRPC calls and any HTTP edge that wants it.

Byte layout, so a JS or Go client can reproduce it exactly::

    field(x) = uint32_be(len(x)) || x
    digest   = keccak256(
                   field(b"openledger-request-v1")   # format tag, ASCII
                || field(deployment_id)              # UTF-8, e.g. "openledger-local"
                || field(method)                     # UTF-8 full gRPC path (see below)
                || field(sha256(body))               # 32 bytes
                || field(nonce)                      # 16..64 raw bytes: x-ol-nonce hex-decoded
                || field(uint64_be(expiry))          # 8 bytes, unix seconds
               )

``method`` is the path gRPC sends, ``/openledger.datanet.v1.DatanetService/SubmitContributions``.
``body`` is the request message's deterministic protobuf serialization
(``SerializeToString(deterministic=True)`` in Python, ``proto.MarshalOptions{Deterministic:
true}`` in Go): fields in field-number order, map entries sorted by key. The server hashes its
own re-serialization of the message it parsed, so clients must sign with the server's schema: a
field the server does not know would move to the end and break the match. For RPCs whose
request is a stream, ``body`` is empty (``sha256(b"")``); see
:mod:`openledger_kit.auth.interceptor`.

Every field is length-prefixed, the tag separates this format from any other keccak preimage and
the deployment id keeps a signature made for one deployment (``openledger-local``, a testnet,
mainnet) from being replayed against another. The digest is then signed with EIP-191
``personal_sign`` over its 32 raw bytes (see :mod:`openledger_kit.auth.signer`).
"""

from __future__ import annotations

import hashlib
import re
import struct

from eth_utils.crypto import keccak

from openledger_kit.errors import InvalidArgument

REQUEST_FORMAT_TAG = b"openledger-request-v1"
MIN_NONCE_BYTES = 16
MAX_NONCE_BYTES = 64
_MAX_EXPIRY = 2**63 - 1
_NONCE_HEX = re.compile(r"[0-9a-f]+")


def body_bytes(request: object) -> bytes:
    """The bytes a request contributes to its digest.

    A protobuf message gives its deterministic serialization; raw ``bytes`` (generic handlers
    without a serializer) are used as they are.
    """
    if isinstance(request, bytes | bytearray | memoryview):
        return bytes(request)
    serialize = getattr(request, "SerializeToString", None)
    if serialize is None:
        raise TypeError(f"cannot sign a {type(request).__name__}: not a protobuf message or bytes")
    data = serialize(deterministic=True)
    if not isinstance(data, bytes):
        raise TypeError("SerializeToString did not return bytes")
    return data


def body_hash(body: bytes) -> bytes:
    """``sha256(body)``: the 32 bytes of the body that enter the digest."""
    return hashlib.sha256(body).digest()


def parse_nonce(nonce: str) -> bytes:
    """Decode a wire nonce: lowercase hex of 16..64 bytes, no ``0x`` prefix."""
    if (
        not _NONCE_HEX.fullmatch(nonce)
        or len(nonce) % 2
        or not MIN_NONCE_BYTES * 2 <= len(nonce) <= MAX_NONCE_BYTES * 2
    ):
        raise InvalidArgument(
            "nonce",
            f"must be lowercase hex of {MIN_NONCE_BYTES}..{MAX_NONCE_BYTES} bytes",
            reason="NONCE_MALFORMED",
            domain="openledger.auth",
        )
    return bytes.fromhex(nonce)


def _field(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def request_digest(
    *, deployment_id: str, method: str, body: bytes, nonce: str, expiry: int
) -> bytes:
    """The 32-byte digest of one request (layout in the module docstring).

    ``body`` is the request's serialized bytes (:func:`body_bytes`), ``nonce`` its wire form
    (lowercase hex) and ``expiry`` unix seconds.
    """
    if not deployment_id:
        raise InvalidArgument("deployment_id", "must not be empty", domain="openledger.auth")
    if not method.startswith("/"):
        raise InvalidArgument(
            "method", "must be the full gRPC path '/pkg.Service/Method'", domain="openledger.auth"
        )
    if not 0 <= expiry <= _MAX_EXPIRY:
        raise InvalidArgument("expiry", "out of range", domain="openledger.auth")
    preimage = b"".join(
        (
            _field(REQUEST_FORMAT_TAG),
            _field(deployment_id.encode()),
            _field(method.encode()),
            _field(body_hash(body)),
            _field(parse_nonce(nonce)),
            _field(struct.pack(">Q", expiry)),
        )
    )
    return bytes(keccak(primitive=preimage))

"""EIP-191 signatures over request digests: signing (clients) and recovery (servers).

The digest (:mod:`openledger_kit.auth.digest`) is signed with ``personal_sign`` over its 32 raw
bytes, i.e. secp256k1 over ``keccak256(b"\\x19Ethereum Signed Message:\\n32" || digest)``. That is
``eth_account.messages.encode_defunct(primitive=digest)`` in Python,
``wallet.signMessage(getBytes(digest))`` in ethers.js and ``accounts.TextHash(digest)`` in Go.
The wire signature is ``0x`` + hex of ``r || s || v`` (65 bytes, ``v`` 27 or 28; 0 or 1 is
accepted too).
"""

from __future__ import annotations

import secrets
import time

from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount

from openledger_kit.auth import reasons
from openledger_kit.auth.credentials import RequestSignature
from openledger_kit.auth.digest import MIN_NONCE_BYTES, request_digest
from openledger_kit.errors import Unauthenticated

DEFAULT_TTL_SECONDS = 60
"""How far ahead a client puts a signature's expiry; well inside any server's maximum age."""


def new_nonce(num_bytes: int = MIN_NONCE_BYTES) -> str:
    """A fresh random nonce in wire form (lowercase hex)."""
    return secrets.token_hex(max(num_bytes, MIN_NONCE_BYTES))


def sign_request(
    account: LocalAccount,
    *,
    deployment_id: str,
    method: str,
    body: bytes,
    ttl_seconds: int = DEFAULT_TTL_SECONDS,
    nonce: str | None = None,
    expiry: int | None = None,
) -> RequestSignature:
    """Sign one request. ``body`` is :func:`~openledger_kit.auth.digest.body_bytes` of it.

    A fresh nonce and ``now + ttl_seconds`` are used unless ``nonce``/``expiry`` are given
    (golden vectors and tests pin them).
    """
    nonce = nonce if nonce is not None else new_nonce()
    expiry = expiry if expiry is not None else int(time.time()) + ttl_seconds
    digest = request_digest(
        deployment_id=deployment_id, method=method, body=body, nonce=nonce, expiry=expiry
    )
    signed = account.sign_message(encode_defunct(primitive=digest))
    return RequestSignature(
        signer=account.address.lower(),
        signature="0x" + bytes(signed.signature).hex(),
        nonce=nonce,
        expiry=expiry,
    )


def recover_signer(digest: bytes, signature: str) -> str:
    """The lowercase address that produced ``signature`` over ``digest`` (EIP-191).

    Raises :class:`~openledger_kit.errors.Unauthenticated` (``SIGNATURE_INVALID``) when no
    address can be recovered (bad length, ``s`` out of range, unknown ``v``).
    """
    try:
        raw = bytearray(bytes.fromhex(signature.removeprefix("0x")))
        if len(raw) != 65:
            raise ValueError("signature must be 65 bytes")
        if raw[64] in (0, 1):
            raw[64] += 27
        address = Account.recover_message(encode_defunct(primitive=digest), signature=bytes(raw))
    except Exception as err:  # eth_keys raises several unrelated types for bad signatures
        raise Unauthenticated(
            "signature cannot be recovered",
            reason=reasons.SIGNATURE_INVALID,
            domain=reasons.DOMAIN,
        ) from err
    return str(address).lower()

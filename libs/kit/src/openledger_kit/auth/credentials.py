"""Credentials on the wire: the gRPC metadata a call carries, parsed and validated.

Signed calls carry four ASCII headers; service calls carry a bearer token::

    x-ol-signer:    0x-prefixed 20-byte address (any case)
    x-ol-signature: 0x-prefixed 65-byte r || s || v signature (hex)
    x-ol-nonce:     16..64 random bytes, lowercase hex, no prefix
    x-ol-expiry:    unix seconds, decimal
    authorization:  Bearer <service token>

Nothing here checks a signature or a token: that is :mod:`openledger_kit.auth.verifier` and
:mod:`openledger_kit.auth.interceptor`. Parsing only rejects what is malformed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from openledger_kit.auth import reasons
from openledger_kit.auth.digest import parse_nonce
from openledger_kit.errors import InvalidArgument, Unauthenticated

SIGNER_HEADER: Final = "x-ol-signer"
SIGNATURE_HEADER: Final = "x-ol-signature"
NONCE_HEADER: Final = "x-ol-nonce"
EXPIRY_HEADER: Final = "x-ol-expiry"
AUTHORIZATION_HEADER: Final = "authorization"
SIGNATURE_HEADERS: Final = (SIGNER_HEADER, SIGNATURE_HEADER, NONCE_HEADER, EXPIRY_HEADER)

_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
_SIGNATURE = re.compile(r"0x[0-9a-fA-F]{130}")
_EXPIRY = re.compile(r"[0-9]{1,18}")
_BEARER = re.compile(r"bearer ([\x21-\x7e]+)", re.IGNORECASE)

MetadataPairs = Iterable[tuple[str, str | bytes]]


@dataclass(frozen=True)
class RequestSignature:
    """A user's signature over one request, in wire form.

    ``signer`` is the lowercase address the caller claims; the verifier checks the signature
    recovers to it.
    """

    signer: str
    signature: str
    nonce: str
    expiry: int

    def to_metadata(self) -> tuple[tuple[str, str], ...]:
        """The four ``x-ol-*`` metadata pairs."""
        return (
            (SIGNER_HEADER, self.signer),
            (SIGNATURE_HEADER, self.signature),
            (NONCE_HEADER, self.nonce),
            (EXPIRY_HEADER, str(self.expiry)),
        )


@dataclass(frozen=True)
class Credentials:
    """What a call presented: a request signature, a bearer token, both or neither."""

    signature: RequestSignature | None = None
    bearer_token: str | None = None


def bearer_metadata(token: str) -> tuple[str, str]:
    """The ``authorization`` metadata pair for a service token."""
    return (AUTHORIZATION_HEADER, f"Bearer {token}")


def _malformed(message: str) -> Unauthenticated:
    return Unauthenticated(message, reason=reasons.CREDENTIALS_MALFORMED, domain=reasons.DOMAIN)


def _single_values(metadata: MetadataPairs) -> dict[str, str]:
    wanted = {*SIGNATURE_HEADERS, AUTHORIZATION_HEADER}
    values: dict[str, str] = {}
    for key, value in metadata:
        name = key.lower()
        if name not in wanted:
            continue
        if name in values:
            # Two values for one credential header would let a proxy and the server disagree
            # about which one counts.
            raise _malformed(f"{name} given more than once")
        if isinstance(value, bytes):
            raise _malformed(f"{name} must be ASCII text")
        values[name] = value
    return values


def _parse_signature(values: dict[str, str]) -> RequestSignature | None:
    present = [name for name in SIGNATURE_HEADERS if name in values]
    if not present:
        return None
    if len(present) != len(SIGNATURE_HEADERS):
        missing = sorted(set(SIGNATURE_HEADERS) - set(present))
        raise _malformed(f"signed request lacks {', '.join(missing)}")
    signer = values[SIGNER_HEADER]
    if not _ADDRESS.fullmatch(signer):
        raise _malformed(f"{SIGNER_HEADER} is not a 0x-prefixed 20-byte address")
    signature = values[SIGNATURE_HEADER]
    if not _SIGNATURE.fullmatch(signature):
        raise _malformed(f"{SIGNATURE_HEADER} is not a 0x-prefixed 65-byte signature")
    nonce = values[NONCE_HEADER]
    try:
        parse_nonce(nonce)
    except InvalidArgument as err:
        raise _malformed(f"{NONCE_HEADER}: {err.description}") from err
    expiry = values[EXPIRY_HEADER]
    if not _EXPIRY.fullmatch(expiry):
        raise _malformed(f"{EXPIRY_HEADER} is not unix seconds")
    return RequestSignature(
        signer=signer.lower(), signature=signature.lower(), nonce=nonce, expiry=int(expiry)
    )


def _parse_bearer(values: dict[str, str]) -> str | None:
    header = values.get(AUTHORIZATION_HEADER)
    if header is None:
        return None
    match = _BEARER.fullmatch(header.strip())
    if match is None:
        raise _malformed("authorization must be 'Bearer <token>'")
    return match.group(1)


def parse_credentials(metadata: MetadataPairs) -> Credentials:
    """Read the credentials from a call's invocation metadata.

    Raises :class:`~openledger_kit.errors.Unauthenticated` (``CREDENTIALS_MALFORMED``) when a
    credential header is repeated, incomplete or not in its wire format.
    """
    values = _single_values(metadata)
    return Credentials(signature=_parse_signature(values), bearer_token=_parse_bearer(values))

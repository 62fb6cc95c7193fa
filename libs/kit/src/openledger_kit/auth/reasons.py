"""``ErrorInfo.reason`` values of authentication failures (domain ``openledger.auth``).

Clients branch on these; they are part of the API and never change meaning.
"""

from __future__ import annotations

from typing import Final

DOMAIN: Final = "openledger.auth"

CREDENTIALS_MISSING: Final = "CREDENTIALS_MISSING"
"""The method needs a signature or a service token and the call carried none."""
CREDENTIALS_MALFORMED: Final = "CREDENTIALS_MALFORMED"
"""Some ``x-ol-*`` headers are missing, repeated or not in their wire format."""
REQUEST_EXPIRED: Final = "REQUEST_EXPIRED"
"""``x-ol-expiry`` is not in the future."""
EXPIRY_TOO_FAR: Final = "EXPIRY_TOO_FAR"
"""``x-ol-expiry`` is further ahead than the server's maximum signature age."""
SIGNATURE_INVALID: Final = "SIGNATURE_INVALID"
"""The signature does not recover to ``x-ol-signer`` over this request's digest."""
NONCE_REPLAYED: Final = "NONCE_REPLAYED"
"""The signer already used this nonce: the call is a replay."""
TOKEN_INVALID: Final = "TOKEN_INVALID"
"""The bearer token is not the service token (or no service token is configured)."""
ADMIN_REQUIRED: Final = "ADMIN_REQUIRED"
"""Authenticated, but the method needs the admin role (PERMISSION_DENIED)."""
NONCE_STORE_FULL: Final = "NONCE_STORE_FULL"
"""The in-memory nonce store is at capacity (RESOURCE_EXHAUSTED; fails closed)."""
NONCE_STORE_UNAVAILABLE: Final = "NONCE_STORE_UNAVAILABLE"
"""The shared nonce store cannot be reached (UNAVAILABLE; retrying is safe)."""

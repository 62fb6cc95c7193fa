"""Checking one signed request: freshness, signature, then replay (no gRPC here).

The order matters: the cheap checks come first, and the nonce is claimed only once the
signature is known to be the signer's, so nobody can burn another signer's nonces.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from openledger_kit.auth import reasons
from openledger_kit.auth.credentials import RequestSignature
from openledger_kit.auth.digest import request_digest
from openledger_kit.auth.nonces import NonceStore
from openledger_kit.auth.signer import recover_signer
from openledger_kit.errors import Unauthenticated


def _fail(message: str, reason: str) -> Unauthenticated:
    return Unauthenticated(message, reason=reason, domain=reasons.DOMAIN)


class RequestVerifier:
    """Verifies request signatures for one deployment.

    ``max_age_seconds`` bounds how far ahead an expiry may lie, which bounds both how long a
    leaked signed request stays usable and how long the nonce store must remember it.
    """

    def __init__(
        self,
        *,
        deployment_id: str,
        nonce_store: NonceStore,
        max_age_seconds: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not deployment_id:
            raise ValueError("deployment_id must not be empty")
        if max_age_seconds <= 0:
            raise ValueError("max_age_seconds must be positive")
        self._deployment_id = deployment_id
        self._nonces = nonce_store
        self._max_age = max_age_seconds
        self._clock = clock

    async def verify(self, signature: RequestSignature, *, method: str, body: bytes) -> str:
        """The signer's lowercase address if ``signature`` authenticates this request.

        Raises ``Unauthenticated`` with reason ``REQUEST_EXPIRED``, ``EXPIRY_TOO_FAR``,
        ``SIGNATURE_INVALID`` or ``NONCE_REPLAYED``; the nonce store may raise
        ``Unavailable`` / ``ResourceExhausted``.
        """
        now = self._clock()
        if signature.expiry <= now:
            raise _fail("signed request has expired", reasons.REQUEST_EXPIRED)
        if signature.expiry > now + self._max_age:
            raise _fail(
                f"signature expiry is more than {self._max_age}s ahead", reasons.EXPIRY_TOO_FAR
            )
        digest = request_digest(
            deployment_id=self._deployment_id,
            method=method,
            body=body,
            nonce=signature.nonce,
            expiry=signature.expiry,
        )
        recovered = recover_signer(digest, signature.signature)
        if recovered != signature.signer.lower():
            raise _fail("signature does not match the signer", reasons.SIGNATURE_INVALID)
        if not await self._nonces.claim(recovered, signature.nonce, signature.expiry):
            raise _fail("nonce already used", reasons.NONCE_REPLAYED)
        return recovered

"""The authenticated caller of the current RPC, as servicers see it.

The server's :class:`~openledger_kit.auth.interceptor.AuthInterceptor` binds a :class:`Principal`
in a context variable before the handler runs; a servicer reads it with
:func:`current_principal`. Each RPC runs in its own task, so the binding is private to it.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass
from enum import Enum

from eth_utils.address import to_checksum_address

from openledger_kit.auth import reasons
from openledger_kit.errors import Unauthenticated
from openledger_kit.values import Caller


class PrincipalKind(Enum):
    """How the caller authenticated."""

    ANONYMOUS = "anonymous"
    """Nothing checked: a PUBLIC method, or no auth interceptor installed."""
    USER = "user"
    """A request signature by ``address``."""
    SERVICE = "service"
    """The shared service token: another OpenLedger service."""


@dataclass(frozen=True)
class Principal:
    """Who is calling. ``address`` (lowercase ``0x`` hex) is set for users only."""

    kind: PrincipalKind
    address: str | None = None
    admin: bool = False

    def require_address(self) -> str:
        """The signer's address; raises ``Unauthenticated`` for a caller that did not sign."""
        if self.address is None:
            raise Unauthenticated(
                "this operation needs a signed request",
                reason=reasons.CREDENTIALS_MISSING,
                domain=reasons.DOMAIN,
            )
        return self.address


ANONYMOUS = Principal(PrincipalKind.ANONYMOUS)
SERVICE = Principal(PrincipalKind.SERVICE)

_current: contextvars.ContextVar[Principal] = contextvars.ContextVar(
    "openledger_principal", default=ANONYMOUS
)


def current_principal() -> Principal:
    """The caller of the RPC being handled (:data:`ANONYMOUS` when nothing authenticated it)."""
    return _current.get()


def bind_principal(principal: Principal) -> contextvars.Token[Principal]:
    """Make ``principal`` the current one; pass the token to :func:`unbind_principal` after."""
    return _current.set(principal)


def unbind_principal(token: contextvars.Token[Principal]) -> None:
    """Undo :func:`bind_principal`."""
    _current.reset(token)


def current_caller() -> Caller:
    """The caller of the RPC being handled, as domain code takes it (address checksummed)."""
    principal = current_principal()
    address = str(to_checksum_address(principal.address)) if principal.address else None
    return Caller(
        address=address, admin=principal.admin, service=principal.kind is PrincipalKind.SERVICE
    )

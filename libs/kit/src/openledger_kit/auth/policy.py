"""Who may call which method: a per-method access level, denying by default.

Rules are keyed by the full gRPC method path (``/openledger.datanet.v1.DatanetService/GetDatanet``)
or by a whole service (``/openledger.datanet.v1.DatanetService/*``); an exact rule wins over its
service's rule. A method named by no rule needs the service token (:attr:`Access.SERVICE`), so a
method added without a rule is closed, not open. gRPC health and reflection are public unless a
rule says otherwise.

:attr:`Access.PUBLIC_OR_SIGNED` is for reads whose answer depends on who asks (a contributor may
see the content of their own pending contribution, a stranger may not): anyone may call, but
credentials, when sent, are checked as strictly as on a SIGNED method. A bad, expired or replayed
signature is rejected, never treated as anonymous, so a caller always knows whether the answer
was computed for them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from types import MappingProxyType


class Access(Enum):
    """What a caller must present."""

    PUBLIC = "public"
    """Nothing; the principal is anonymous (credentials, if sent, are ignored)."""
    PUBLIC_OR_SIGNED = "public_or_signed"
    """Nothing, or credentials that must then be valid: no credentials give the anonymous
    principal; a request signature is verified as for SIGNED and a bearer token as for SERVICE
    (whatever ``allow_service_token`` says, since the method is open anyway), and either, if
    invalid, rejects the call."""
    SIGNED = "signed"
    """A valid request signature by any address."""
    SERVICE = "service"
    """The shared service token (``authorization: Bearer``)."""
    ADMIN = "admin"
    """A valid request signature by an admin address (or the service token, if the rule allows)."""


@dataclass(frozen=True)
class Rule:
    """The access level of one method or service.

    ``allow_service_token`` lets the service token satisfy a ``SIGNED`` or ``ADMIN`` rule too, for
    methods that operators' automation (another service) calls as well as people.
    """

    access: Access
    allow_service_token: bool = False


PUBLIC_SERVICES: tuple[str, ...] = (
    "grpc.health.v1.Health",
    "grpc.reflection.v1.ServerReflection",
    "grpc.reflection.v1alpha.ServerReflection",
)
"""Infrastructure services every server exposes without credentials (probes, grpcurl)."""


def _check_key(key: str) -> None:
    service, sep, method = key.removeprefix("/").partition("/")
    if not key.startswith("/") or not sep or not service or not method or "/" in method:
        raise ValueError(f"policy key {key!r} is not '/pkg.Service/Method' or '/pkg.Service/*'")


class AuthPolicy:
    """Maps gRPC methods to :class:`Rule`\\s."""

    def __init__(
        self, rules: Mapping[str, Access | Rule], *, default: Access | Rule = Access.SERVICE
    ) -> None:
        merged: dict[str, Rule] = {f"/{name}/*": Rule(Access.PUBLIC) for name in PUBLIC_SERVICES}
        for key, rule in rules.items():
            _check_key(key)
            merged[key] = rule if isinstance(rule, Rule) else Rule(rule)
        self._rules: Mapping[str, Rule] = MappingProxyType(merged)
        self._default = default if isinstance(default, Rule) else Rule(default)

    @property
    def rules(self) -> Mapping[str, Rule]:
        """Every rule, the built-in public services included."""
        return self._rules

    def rule_for(self, method: str) -> Rule:
        """The rule for a full method path: exact, else its service's ``/*``, else the default."""
        exact = self._rules.get(method)
        if exact is not None:
            return exact
        service, _, _ = method.rpartition("/")
        return self._rules.get(f"{service}/*", self._default)

"""Per-method access levels: exact rules, service-wide rules, the default and built-ins."""

from __future__ import annotations

import pytest

from openledger_kit.auth import Access, AuthPolicy, Rule

DATANET = "/openledger.datanet.v1.DatanetService"


def test_exact_rule_wins_over_service_rule() -> None:
    policy = AuthPolicy({f"{DATANET}/*": Access.SIGNED, f"{DATANET}/GetDatanet": Access.PUBLIC})
    assert policy.rule_for(f"{DATANET}/GetDatanet") == Rule(Access.PUBLIC)
    assert policy.rule_for(f"{DATANET}/SubmitContributions") == Rule(Access.SIGNED)


def test_unlisted_method_needs_the_service_token() -> None:
    policy = AuthPolicy({f"{DATANET}/GetDatanet": Access.PUBLIC})
    assert policy.rule_for(f"{DATANET}/SlashContributor") == Rule(Access.SERVICE)
    assert policy.rule_for("/other.v1.OtherService/Anything") == Rule(Access.SERVICE)


def test_default_can_be_chosen() -> None:
    policy = AuthPolicy({}, default=Rule(Access.ADMIN, allow_service_token=True))
    assert policy.rule_for(f"{DATANET}/UpdateDatanet") == Rule(Access.ADMIN, True)


@pytest.mark.parametrize(
    "method",
    [
        "/grpc.health.v1.Health/Check",
        "/grpc.health.v1.Health/Watch",
        "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
        "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
    ],
)
def test_health_and_reflection_are_public(method: str) -> None:
    assert AuthPolicy({}).rule_for(method).access is Access.PUBLIC


def test_built_in_public_services_can_be_overridden() -> None:
    policy = AuthPolicy({"/grpc.reflection.v1.ServerReflection/*": Access.SERVICE})
    rule = policy.rule_for("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo")
    assert rule.access is Access.SERVICE


@pytest.mark.parametrize(
    "key", ["GetDatanet", "/DatanetService", f"{DATANET}/", f"{DATANET}/Get/Extra", "//Get"]
)
def test_malformed_keys_are_refused(key: str) -> None:
    with pytest.raises(ValueError):
        AuthPolicy({key: Access.PUBLIC})

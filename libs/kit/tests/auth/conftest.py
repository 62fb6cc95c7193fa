"""Fixtures for the auth tests: fresh keys and an echo server behind ``AuthInterceptor``."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from .auth_harness import EchoClient, make_interceptor, serving


@pytest.fixture
def user() -> LocalAccount:
    """A fresh key per test, so nonces and principals never collide across tests."""
    account: LocalAccount = Account.create()
    return account


@pytest.fixture
def admin() -> LocalAccount:
    """The one admin address of the ``echo`` server."""
    account: LocalAccount = Account.create()
    return account


@pytest.fixture
async def echo(admin: LocalAccount) -> AsyncIterator[EchoClient]:
    """An echo server (in-memory nonces, ``admin`` as the only admin) and a plain client."""
    async with serving(make_interceptor(admin_addresses=[admin.address])) as target:
        channel = grpc.aio.insecure_channel(target)
        try:
            yield EchoClient(channel)
        finally:
            await channel.close()

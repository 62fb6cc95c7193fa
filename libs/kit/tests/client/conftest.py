"""Fixtures for the client tests: a fresh key, a thing server and TLS material."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from .client_harness import Channels, ThingServer, serving_things
from .client_pki import Pki, make_pki


@pytest.fixture
def user() -> LocalAccount:
    """A fresh key per test."""
    account: LocalAccount = Account.create()
    return account


@pytest.fixture
async def things() -> AsyncIterator[ThingServer]:
    """A plaintext thing server on a loopback port."""
    async with serving_things() as server:
        yield server


@pytest.fixture
async def channels() -> AsyncIterator[Channels]:
    """Channels opened in one test, closed at its end."""
    opened = Channels()
    try:
        yield opened
    finally:
        for channel in opened.opened:
            await channel.close()


@pytest.fixture(scope="module")
def pki() -> Pki:
    """TLS material shared by the TLS tests of one module."""
    return make_pki()

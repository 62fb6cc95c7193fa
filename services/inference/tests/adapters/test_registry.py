"""``RegistryReader`` against the ModelRegistry deployed on the session's L2 anvil."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from eth_utils.crypto import keccak

from openledger_inference.adapters.registry import RegistryReader
from openledger_kit.errors import NotFound
from openledger_ml.lora import SavedAdapter
from services.inference.tests.support.models import tiny_model
from services.inference.tests.support.platform import AdapterShelf, Platform, unique_ref


@pytest.fixture
async def reader(platform: Platform) -> AsyncIterator[RegistryReader]:
    reader = RegistryReader(platform.l2_url, platform.manifest_path, None)
    yield reader
    await reader.close()


async def test_a_registered_adapter_reads_with_its_block(
    reader: RegistryReader,
    shelf: AdapterShelf,
    platform: Platform,
    saved_adapters: dict[str, SavedAdapter],
) -> None:
    ref = unique_ref("registered")
    descriptor = await shelf.publish(
        saved_adapters["seed0"], ref, tiny_model(), fee_per_1k_tokens=1234
    )
    registered = await reader.registered(ref)
    assert registered is not None
    assert registered.ref == ref
    assert registered.adapter_sha256 == descriptor.adapter_sha256
    assert registered.adapter_sha256 == bytes.fromhex(saved_adapters["seed0"].sha256)
    assert registered.base_model_id == keccak(text=tiny_model().id)
    assert registered.owner.lower() == platform.account.address.lower()
    assert registered.fee_per_1k_tokens == 1234
    assert 0 < registered.block_number <= await platform.l2.eth.block_number


async def test_an_unregistered_adapter_is_none(reader: RegistryReader) -> None:
    assert await reader.registered(unique_ref("never")) is None


async def test_base_model_fee(reader: RegistryReader, shelf: AdapterShelf) -> None:
    await shelf.ensure_base_model(tiny_model())
    rate = await reader.base_model_fee(tiny_model().id)
    assert rate.fee_per_1k_tokens >= 0
    assert rate.block_number > 0
    with pytest.raises(NotFound, match="not registered"):
        await reader.base_model_fee("no-such-model")


async def test_the_reader_needs_no_account(reader: RegistryReader) -> None:
    assert reader.address is None
    assert await reader.probe()

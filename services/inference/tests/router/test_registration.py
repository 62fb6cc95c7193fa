"""The signed node registration: our digest is the one ``InferencePool`` computes on chain, the
signature recovers to the provider, and changing any covered field breaks it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from eth_account import Account
from eth_utils.crypto import keccak

from openledger_inference.domain.model import EngineCapacity, EngineKind
from openledger_inference.router.registration import (
    ENGINE_NUMBERS,
    NodeRegistration,
    recover_provider,
    registration_digest,
    sign_registration,
    whole_seconds,
)
from openledger_kit.chain import DeploymentManifest
from openledger_kit.contracts.bindings.l2 import InferencePool
from services.inference.tests.support.platform import Platform

CAPACITY = EngineCapacity(
    max_concurrent_requests=8,
    max_loras=4,
    max_cpu_loras=16,
    max_lora_rank=64,
    max_context_tokens=512,
    device="NVIDIA H100 80GB HBM3",
    accelerator_count=1,
    accelerator_memory_bytes=80 * 1024**3,
)


def registration(
    provider: str, *, chain_id: int = 31337, pool: str = "0x" + "ab" * 20
) -> NodeRegistration:
    return NodeRegistration(
        provider_address=provider,
        endpoint="gpu-7.provider.example:50051",
        metadata_hash=keccak(b'{"region":"eu"}'),
        engine=EngineKind.VLLM,
        base_models=("smollm2-135m-instruct", "tiny-llama"),
        capacity=CAPACITY,
        chain_id=chain_id,
        pool_contract=pool,
        expire_time=whole_seconds(datetime.now(UTC) + timedelta(hours=1)),
    )


def test_the_signature_recovers_to_the_provider() -> None:
    account = Account.create()
    signed = sign_registration(registration(account.address), account)
    assert len(signed.signature) == 65 and signed.signature[64] in (27, 28)
    assert recover_provider(signed) == account.address


@pytest.mark.parametrize(
    "tamper",
    [
        lambda r: replace(r, endpoint="gpu-8.provider.example:50051"),
        lambda r: replace(r, metadata_hash=keccak(b"{}")),
        lambda r: replace(r, engine=EngineKind.TORCH),
        lambda r: replace(r, base_models=tuple(reversed(r.base_models))),
        lambda r: replace(r, capacity=replace(r.capacity, max_loras=5)),
        lambda r: replace(r, capacity=replace(r.capacity, device="cpu")),
        lambda r: replace(r, chain_id=r.chain_id + 1),
        lambda r: replace(r, pool_contract="0x" + "cd" * 20),
        lambda r: replace(r, expire_time=r.expire_time + timedelta(seconds=1)),
    ],
    ids=[
        "endpoint",
        "metadata_hash",
        "engine",
        "base_model_order",
        "capacity",
        "device",
        "chain_id",
        "pool_contract",
        "expire_time",
    ],
)
def test_a_changed_field_no_longer_recovers_to_the_provider(tamper) -> None:  # type: ignore[no-untyped-def]
    account = Account.create()
    signed = sign_registration(registration(account.address), account)
    assert recover_provider(tamper(signed)) != account.address


def test_a_malformed_signature_recovers_nobody() -> None:
    account = Account.create()
    signed = sign_registration(registration(account.address), account)
    assert recover_provider(replace(signed, signature=signed.signature[:64])) is None
    assert recover_provider(replace(signed, signature=signed.signature[:64] + b"\x05")) is None


def test_only_the_provider_signs_its_registration() -> None:
    with pytest.raises(ValueError):
        sign_registration(registration(Account.create().address), Account.create())


async def test_the_digest_is_the_one_inference_pool_computes(platform: Platform) -> None:
    manifest = DeploymentManifest.load(platform.manifest_path)
    pool = await InferencePool.load(manifest, platform.l2)
    account = Account.create()
    ours = sign_registration(
        registration(
            account.address, chain_id=await platform.l2.eth.chain_id, pool=str(pool.address)
        ),
        account,
    )
    capacity = ours.capacity
    data = (
        ours.provider_address,
        ours.endpoint,
        ours.metadata_hash,
        ENGINE_NUMBERS[ours.engine],
        list(ours.base_models),
        capacity.max_concurrent_requests,
        capacity.max_loras,
        capacity.max_cpu_loras,
        capacity.max_lora_rank,
        capacity.max_context_tokens,
        capacity.device,
        capacity.accelerator_count,
        capacity.accelerator_memory_bytes,
        ours.expire_seconds,
    )
    functions = pool.contract.functions
    assert bytes(await functions.nodeRegistrationDigest(data).call()) == registration_digest(ours)
    assert await functions.isValidNodeRegistration(data, ours.signature).call()

"""The pool router's membership RPCs against a real router gRPC server, the session's anvil
deployment (providers staked in ``InferencePool``) and SQLite: registration checks, heartbeats,
lease expiry, drain, ListNodes and a restart that keeps the pool."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

from openledger.inference.v1 import adapter_pb2, node_pb2
from openledger.inference.v1 import inference_pool_service_pb2 as pb
from openledger.inference.v1 import inference_pool_service_pb2_grpc as pb_grpc
from openledger_inference.config import RouterSettings
from openledger_inference.domain.model import EngineCapacity, EngineKind
from openledger_inference.router.convert import registration_to_proto
from openledger_inference.router.registration import (
    NodeRegistration,
    sign_registration,
    whole_seconds,
)
from openledger_inference.router.server import RouterServer, create_router_server
from openledger_kit.chain import DeploymentManifest, TxSender
from openledger_kit.client import NO_RETRY, connect
from openledger_kit.contracts.bindings.l2 import InferencePool
from openledger_kit.contracts.config import OPEN
from services.inference.tests.router.conftest import Provider, StakeProvider
from services.inference.tests.support.platform import Platform

MODEL = "tiny-llama"
ADMIN = Account.create()
TOKEN = "router-test-token"
CAPACITY = EngineCapacity(
    max_concurrent_requests=4,
    max_loras=2,
    max_cpu_loras=4,
    max_lora_rank=16,
    max_context_tokens=512,
    device="cpu",
)

Stub = pb_grpc.InferencePoolServiceStub


def router_settings(platform: Platform, database: Path, **overrides: Any) -> RouterSettings:
    values: dict[str, Any] = {
        "grpc_port": 0,
        "http_port": None,
        "database_url": f"sqlite:///{database}",
        "l2_rpc_url": platform.l2_url,
        "deployment_manifest": platform.manifest_path,
        "auth_nonce_store": "memory",
        "service_token": TOKEN,
        "admin_addresses": [ADMIN.address],
        # Nothing listens there: the catalogue is unreadable, so any valid base model id goes.
        "modelfactory_addr": "127.0.0.1:9",
        "heartbeat_interval_seconds": 0.2,
        "lease_seconds": 60.0,
        "removal_grace_seconds": 60.0,
        "log_json": False,
    }
    values.update(overrides)
    return RouterSettings(**values)


@pytest.fixture
async def start_router(
    platform: Platform, tmp_path: Path
) -> AsyncIterator[Callable[..., Awaitable[RouterServer]]]:
    """``await start_router(**settings)``: a started router on this test's database."""
    started: list[RouterServer] = []

    async def start(**overrides: Any) -> RouterServer:
        server = await create_router_server(
            router_settings(platform, tmp_path / "router.db", **overrides)
        )
        await server.start()
        await server.wait_ready()
        started.append(server)
        return server

    yield start
    for server in started:
        await server.stop(0)


class Client:
    """Stubs on one router: signed by an account, or with the service token."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._channels: list[grpc.aio.Channel] = []

    def signed(self, account: LocalAccount) -> Stub:
        return self._stub(signer=account, deployment_id="openledger-local")

    def service(self) -> Stub:
        return self._stub(token=TOKEN)

    def anonymous(self) -> Stub:
        return self._stub()

    def _stub(self, **credentials: Any) -> Stub:
        channel = connect(f"127.0.0.1:{self.port}", retry=NO_RETRY, **credentials)
        self._channels.append(channel)
        return Stub(channel)  # type: ignore[no-untyped-call]

    async def close(self) -> None:
        for channel in self._channels:
            await channel.close()


@pytest.fixture
async def clients() -> AsyncIterator[Callable[[RouterServer], Client]]:
    made: list[Client] = []

    def make(server: RouterServer) -> Client:
        client = Client(server.port)
        made.append(client)
        return client

    yield make
    for client in made:
        await client.close()


async def signed_registration(
    platform: Platform,
    provider: LocalAccount,
    *,
    endpoint: str | None = None,
    sign_as: LocalAccount | None = None,
    **changes: Any,
) -> node_pb2.NodeRegistration:
    manifest = DeploymentManifest.load(platform.manifest_path)
    registration = NodeRegistration(
        provider_address=str(provider.address),
        endpoint=endpoint or f"node-{uuid.uuid4().hex[:8]}.test:50051",
        metadata_hash=keccak(b"{}"),
        engine=EngineKind.TORCH,
        base_models=(MODEL,),
        capacity=CAPACITY,
        chain_id=manifest.chains["l2"].chain_id,
        pool_contract=str(manifest.entry("l2", "InferencePool").address),
        expire_time=whole_seconds(datetime.now(UTC) + timedelta(hours=1)),
    )
    registration = replace(registration, **changes)
    signer = sign_as or provider
    signed = sign_registration(replace(registration, provider_address=signer.address), signer)
    return registration_to_proto(replace(signed, provider_address=registration.provider_address))


async def register(stub: Stub, registration: node_pb2.NodeRegistration) -> node_pb2.Node:
    response = await stub.RegisterNode(pb.RegisterNodeRequest(registration=registration))
    node: node_pb2.Node = response.node
    return node


async def heartbeat(
    stub: Stub,
    name: str,
    *,
    healthy: bool = True,
    adapters: Sequence[tuple[str, adapter_pb2.AdapterTier]] = (),
) -> pb.HeartbeatResponse:
    load = node_pb2.NodeLoad(
        adapters=[adapter_pb2.AdapterResidency(adapter=a, tier=t) for a, t in adapters]
    )
    response: pb.HeartbeatResponse = await stub.Heartbeat(
        pb.HeartbeatRequest(
            name=name,
            capacity=node_pb2.NodeCapacity(
                max_concurrent_requests=4,
                max_loras=2,
                max_cpu_loras=4,
                max_lora_rank=16,
                max_context_tokens=512,
                device="cpu",
            ),
            load=load,
            healthy=healthy,
        )
    )
    return response


async def eventually_state(stub: Stub, name: str, state: int) -> node_pb2.Node:
    """Poll GetNode until the node is in ``state`` (the sweep runs in the background)."""
    for _ in range(300):
        node: node_pb2.Node = (await stub.GetNode(pb.GetNodeRequest(name=name))).node
        if node.state == state:
            return node
        await asyncio.sleep(0.05)
    raise AssertionError(f"{name} stayed {node_pb2.NodeState.Name(node.state)}")


def code_of(raised: pytest.ExceptionInfo[grpc.aio.AioRpcError]) -> grpc.StatusCode:
    return raised.value.code()


# ------------------------------------------------------------------ registration


async def test_a_staked_provider_registers_and_its_first_heartbeat_activates_the_node(
    platform: Platform, stake_provider: StakeProvider, start_router: Any, clients: Any
) -> None:
    provider: Provider = await stake_provider(stake=2 * OPEN)
    router = await start_router()
    stub = clients(router).signed(provider.account)
    registration = await signed_registration(platform, provider.account)

    response = (
        await clients(router)
        .anonymous()
        .RegisterNode(pb.RegisterNodeRequest(registration=registration))
    )
    node = response.node
    assert node.name.startswith("nodes/") and uuid.UUID(node.name[6:]).version == 7
    assert node.state == node_pb2.NODE_STATE_REGISTERED
    assert node.stake == str(2 * OPEN)
    assert node.registration == registration
    assert response.heartbeat_interval.ToTimedelta() == timedelta(seconds=0.2)
    assert response.lease_duration.ToTimedelta() == timedelta(seconds=60)

    beat = await heartbeat(stub, node.name, adapters=[("legal-qa@1", adapter_pb2.ADAPTER_TIER_GPU)])
    assert beat.state == node_pb2.NODE_STATE_ACTIVE and not beat.drain
    active = (await stub.GetNode(pb.GetNodeRequest(name=node.name))).node
    assert active.state == node_pb2.NODE_STATE_ACTIVE and active.state_message == ""
    assert active.HasField("last_heartbeat_time")
    routable = router.pool.routable(MODEL)
    assert [n.name for n in routable] == [node.name]
    assert routable[0].adapters == {"legal-qa@1": 1}

    # Registering again from the same provider and endpoint is the same node.
    again = await register(
        stub, await signed_registration(platform, provider.account, endpoint=registration.endpoint)
    )
    assert again.name == node.name and again.state == node_pb2.NODE_STATE_ACTIVE


async def test_a_signature_over_other_fields_is_permission_denied(
    platform: Platform, stake_provider: StakeProvider, start_router: Any, clients: Any
) -> None:
    provider = await stake_provider()
    router = await start_router()
    stub = clients(router).signed(provider.account)
    tampered = await signed_registration(platform, provider.account)
    tampered.capacity.max_concurrent_requests = 64
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await register(stub, tampered)
    assert code_of(raised) == grpc.StatusCode.PERMISSION_DENIED

    # Signed by somebody else on the provider's behalf.
    forged = await signed_registration(platform, provider.account, sign_as=Account.create())
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await register(stub, forged)
    assert code_of(raised) == grpc.StatusCode.PERMISSION_DENIED

    # A valid registration sent under another address's request signature.
    valid = await signed_registration(platform, provider.account)
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await register(clients(router).signed(Account.create()), valid)
    assert code_of(raised) == grpc.StatusCode.PERMISSION_DENIED


async def test_a_provider_without_enough_stake_is_refused(
    platform: Platform, stake_provider: StakeProvider, start_router: Any, clients: Any
) -> None:
    router = await start_router()
    stub = clients(router).anonymous()
    for provider in (
        await stake_provider(stake=0),
        await stake_provider(stake=OPEN // 2, register=False),
        await stake_provider(stake=2 * OPEN, register=False),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await register(stub, await signed_registration(platform, provider.account))
        assert code_of(raised) == grpc.StatusCode.FAILED_PRECONDITION


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"chain_id": 1}, "registration.chain_id"),
        ({"pool_contract": "0x" + "12" * 20}, "registration.pool_contract"),
        ({"endpoint": "no-port"}, "registration.endpoint"),
        ({"metadata_hash": b"\x01" * 31}, "registration.metadata_hash"),
        ({"base_models": ()}, "registration.base_models"),
        ({"base_models": ("Not_A_Model",)}, "registration.base_models[0]"),
        ({"capacity": replace(CAPACITY, max_concurrent_requests=0)}, "max_concurrent_requests"),
        ({"expire_time": whole_seconds(datetime.now(UTC) - timedelta(minutes=1))}, "expire_time"),
        ({"expire_time": whole_seconds(datetime.now(UTC) + timedelta(hours=25))}, "expire_time"),
    ],
    ids=[
        "chain_id",
        "pool_contract",
        "endpoint",
        "metadata_hash",
        "no_base_model",
        "bad_base_model",
        "zero_capacity",
        "expired",
        "too_far_ahead",
    ],
)
async def test_malformed_or_foreign_registrations_are_invalid_arguments(
    platform: Platform,
    stake_provider: StakeProvider,
    start_router: Any,
    clients: Any,
    changes: dict[str, Any],
    field: str,
) -> None:
    provider = await stake_provider()
    router = await start_router()
    registration = await signed_registration(platform, provider.account, **changes)
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await register(clients(router).anonymous(), registration)
    assert code_of(raised) == grpc.StatusCode.INVALID_ARGUMENT
    assert field in (raised.value.details() or "")


async def test_another_providers_live_endpoint_is_already_taken(
    platform: Platform, stake_provider: StakeProvider, start_router: Any, clients: Any
) -> None:
    first, second = await stake_provider(), await stake_provider()
    router = await start_router()
    stub = clients(router).anonymous()
    taken = await signed_registration(platform, first.account)
    await register(stub, taken)
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await register(
            stub, await signed_registration(platform, second.account, endpoint=taken.endpoint)
        )
    assert code_of(raised) == grpc.StatusCode.ALREADY_EXISTS


# ------------------------------------------------------------------ heartbeats and leases


async def test_heartbeats_are_the_providers_and_never_above_the_registered_capacity(
    platform: Platform, stake_provider: StakeProvider, start_router: Any, clients: Any
) -> None:
    provider = await stake_provider()
    router = await start_router()
    stub = clients(router).signed(provider.account)
    node = await register(stub, await signed_registration(platform, provider.account))

    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await heartbeat(clients(router).signed(Account.create()), node.name)
    assert code_of(raised) == grpc.StatusCode.PERMISSION_DENIED

    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.Heartbeat(
            pb.HeartbeatRequest(
                name=node.name,
                capacity=node_pb2.NodeCapacity(max_concurrent_requests=5, device="cpu"),
                healthy=True,
            )
        )
    assert code_of(raised) == grpc.StatusCode.INVALID_ARGUMENT
    assert "capacity.max_concurrent_requests" in (raised.value.details() or "")

    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await heartbeat(stub, f"nodes/{uuid.UUID(int=(7 << 76) | (2 << 62))}")
    assert code_of(raised) == grpc.StatusCode.NOT_FOUND

    unhealthy = await heartbeat(stub, node.name, healthy=False)
    assert unhealthy.state == node_pb2.NODE_STATE_UNHEALTHY
    assert (await heartbeat(stub, node.name)).state == node_pb2.NODE_STATE_ACTIVE


@pytest.mark.slow
async def test_missed_heartbeats_make_a_node_unhealthy_then_removed(
    platform: Platform, stake_provider: StakeProvider, start_router: Any, clients: Any
) -> None:
    provider = await stake_provider()
    router = await start_router(lease_seconds=0.5, removal_grace_seconds=1.0)
    stub = clients(router).signed(provider.account)
    registration = await signed_registration(platform, provider.account)
    node = await register(stub, registration)
    await heartbeat(stub, node.name)

    unhealthy = await eventually_state(stub, node.name, node_pb2.NODE_STATE_UNHEALTHY)
    assert "heartbeat" in unhealthy.state_message
    assert router.pool.routable(MODEL) == []
    await eventually_state(stub, node.name, node_pb2.NODE_STATE_REMOVED)

    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await heartbeat(stub, node.name)
    assert code_of(raised) == grpc.StatusCode.FAILED_PRECONDITION
    # A removed node comes back only as a new node.
    again = await register(stub, registration)
    assert again.name != node.name and again.state == node_pb2.NODE_STATE_REGISTERED


async def test_a_node_that_failed_a_request_is_unrouted_until_its_next_healthy_heartbeat(
    platform: Platform, stake_provider: StakeProvider, start_router: Any, clients: Any
) -> None:
    provider = await stake_provider()
    router = await start_router()
    stub = clients(router).signed(provider.account)
    node = await register(stub, await signed_registration(platform, provider.account))
    await heartbeat(stub, node.name)

    router.pool.node_failed(node.name, "connection refused")
    assert router.pool.routable(MODEL) == []
    failed = (await stub.GetNode(pb.GetNodeRequest(name=node.name))).node
    assert failed.state == node_pb2.NODE_STATE_UNHEALTHY
    assert "failed a request" in failed.state_message
    await heartbeat(stub, node.name)
    assert [n.name for n in router.pool.routable(MODEL)] == [node.name]


# ------------------------------------------------------------------ drain


async def test_drain_by_the_provider_or_an_admin_and_deregistration(
    platform: Platform, stake_provider: StakeProvider, start_router: Any, clients: Any
) -> None:
    provider = await stake_provider()
    router = await start_router()
    client = clients(router)
    stub = client.signed(provider.account)
    node = await register(stub, await signed_registration(platform, provider.account))
    await heartbeat(stub, node.name)

    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await client.signed(Account.create()).Drain(pb.DrainRequest(name=node.name))
    assert code_of(raised) == grpc.StatusCode.PERMISSION_DENIED

    drained = (await stub.Drain(pb.DrainRequest(name=node.name, reason="maintenance"))).node
    assert drained.state == node_pb2.NODE_STATE_DRAINING
    assert drained.state_message == "maintenance"
    assert router.pool.routable(MODEL) == []
    beat = await heartbeat(stub, node.name)
    assert beat.state == node_pb2.NODE_STATE_DRAINING and beat.drain
    # Idempotent.
    again = await stub.Drain(pb.DrainRequest(name=node.name))
    assert again.node.state == node_pb2.NODE_STATE_DRAINING

    # Deregistering waits for the requests the router has in flight on the node.
    router.pool.request_started(node.name)
    admin = client.signed(ADMIN)
    waiting = (await admin.Drain(pb.DrainRequest(name=node.name, deregister=True))).node
    assert waiting.state == node_pb2.NODE_STATE_DRAINING
    router.pool.request_finished(node.name)
    await eventually_state(stub, node.name, node_pb2.NODE_STATE_REMOVED)
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.Drain(pb.DrainRequest(name=node.name))
    assert code_of(raised) == grpc.StatusCode.FAILED_PRECONDITION


async def test_a_drained_node_returns_only_by_registering_again(
    platform: Platform, stake_provider: StakeProvider, start_router: Any, clients: Any
) -> None:
    provider = await stake_provider()
    router = await start_router()
    stub = clients(router).signed(provider.account)
    registration = await signed_registration(platform, provider.account)
    node = await register(stub, registration)
    await stub.Drain(pb.DrainRequest(name=node.name))
    back = await register(stub, registration)
    assert back.name == node.name and back.state == node_pb2.NODE_STATE_REGISTERED
    assert (await heartbeat(stub, node.name)).state == node_pb2.NODE_STATE_ACTIVE


# ------------------------------------------------------------------ ListNodes


async def test_list_nodes_filters_and_pages(
    platform: Platform, stake_provider: StakeProvider, start_router: Any, clients: Any
) -> None:
    first, second = await stake_provider(), await stake_provider()
    router = await start_router()
    client = clients(router)
    a = client.signed(first.account)
    b = client.signed(second.account)
    gpu = await register(a, await signed_registration(platform, first.account))
    disk = await register(a, await signed_registration(platform, first.account))
    other = await register(
        b, await signed_registration(platform, second.account, base_models=("other-model",))
    )
    await heartbeat(a, gpu.name, adapters=[("legal-qa@1", adapter_pb2.ADAPTER_TIER_GPU)])
    await heartbeat(a, disk.name, adapters=[("legal-qa@1", adapter_pb2.ADAPTER_TIER_DISK)])
    await b.Drain(pb.DrainRequest(name=other.name))
    service = client.service()

    async def names(**filters: Any) -> list[str]:
        response = await service.ListNodes(pb.ListNodesRequest(**filters))
        return [node.name for node in response.nodes]

    ours = {gpu.name, disk.name, other.name}
    assert {n for n in await names(page_size=500) if n in ours} == ours
    assert gpu.name in await names(adapter="legal-qa@1")
    assert set(await names(adapter="legal-qa@1")) >= {gpu.name, disk.name}
    tiered = await names(adapter="legal-qa@1", adapter_tier=adapter_pb2.ADAPTER_TIER_CPU)
    assert gpu.name in tiered and disk.name not in tiered
    assert await names(provider_address=second.address.lower()) == [other.name]
    assert await names(base_model="other-model", states=[node_pb2.NODE_STATE_DRAINING]) == [
        other.name
    ]
    assert other.name not in await names(states=[node_pb2.NODE_STATE_ACTIVE], page_size=500)

    mine = {"provider_address": first.address}
    page = await service.ListNodes(pb.ListNodesRequest(page_size=1, **mine))
    assert page.total_size == 2 and page.next_page_token
    rest = await service.ListNodes(
        pb.ListNodesRequest(page_size=1, page_token=page.next_page_token, **mine)
    )
    assert [n.name for n in [*page.nodes, *rest.nodes]] == sorted([gpu.name, disk.name])
    assert rest.next_page_token == ""

    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await service.ListNodes(
            pb.ListNodesRequest(page_size=1, page_token=page.next_page_token, base_model=MODEL)
        )
    assert code_of(raised) == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await service.ListNodes(pb.ListNodesRequest(adapter_tier=adapter_pb2.ADAPTER_TIER_GPU))
    assert code_of(raised) == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await client.anonymous().ListNodes(pb.ListNodesRequest())
    assert code_of(raised) == grpc.StatusCode.UNAUTHENTICATED


# ------------------------------------------------------------------ restart and stake


async def test_a_restarted_router_keeps_its_nodes(
    platform: Platform,
    stake_provider: StakeProvider,
    start_router: Any,
    clients: Any,
) -> None:
    provider = await stake_provider()
    router = await start_router()
    stub = clients(router).signed(provider.account)
    node = await register(stub, await signed_registration(platform, provider.account))
    await heartbeat(stub, node.name, adapters=[("legal-qa@1", adapter_pb2.ADAPTER_TIER_CPU)])
    await router.stop(0)

    restarted = await start_router()
    stub = clients(restarted).signed(provider.account)
    kept = (await stub.GetNode(pb.GetNodeRequest(name=node.name))).node
    assert kept.state == node_pb2.NODE_STATE_ACTIVE
    assert kept.registration.signature == node.registration.signature
    assert [(r.adapter, r.tier) for r in kept.load.adapters] == [
        ("legal-qa@1", adapter_pb2.ADAPTER_TIER_CPU)
    ]
    assert (await heartbeat(stub, node.name)).state == node_pb2.NODE_STATE_ACTIVE


async def test_a_provider_whose_stake_is_gone_loses_its_nodes(
    platform: Platform, stake_provider: StakeProvider, start_router: Any, clients: Any
) -> None:
    provider = await stake_provider()
    router = await start_router()
    stub = clients(router).signed(provider.account)
    node = await register(stub, await signed_registration(platform, provider.account))
    await heartbeat(stub, node.name)

    pool = await InferencePool.load(
        DeploymentManifest.load(platform.manifest_path),
        platform.l2,
        sender=TxSender(platform.l2, provider.account),
    )
    await pool.request_exit()
    await router.pool.check_stakes()
    drained = (await stub.GetNode(pb.GetNodeRequest(name=node.name))).node
    assert drained.state == node_pb2.NODE_STATE_DRAINING
    assert drained.state_message == "stake below minimum"

"""Fixtures of the router tests (pool membership and routing): the contract deployment on the
session's anvils, and providers staked and registered in its ``InferencePool``."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import torch
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

from openledger_inference.config import NodeSettings, RouterSettings
from openledger_inference.domain.model import AdapterDescriptor
from openledger_inference.engine.torch_engine import TorchEngine
from openledger_inference.node_server import NodeServer, create_node_server
from openledger_inference.router.model import RoutableNode
from openledger_inference.router.server import RouterServer, create_router_server
from openledger_kit.chain import DeploymentManifest, ServiceAccount, TxSender
from openledger_kit.contracts.bindings.l2 import InferencePool
from openledger_kit.contracts.config import OPEN
from openledger_kit.contracts.testing import fresh_account
from openledger_kit.store import open_store
from openledger_kit.testing.processes import RedisProcess
from openledger_kit.values import Caller, ObjectRef
from openledger_modelfactory.config import Settings as ModelFactorySettings
from openledger_modelfactory.server import create_modelfactory_server
from services.inference.tests.support.adapters import make_adapter
from services.inference.tests.support.models import TINY_MODEL_ID, tiny_model
from services.inference.tests.support.platform import (
    AdapterShelf,
    Platform,
    contract_artifacts,
    platform,
    unique_ref,
)
from services.modelfactory.tests.domain_samples import adapter as modelfactory_adapter

__all__ = [
    "Provider",
    "RunningPool",
    "contract_artifacts",
    "platform",
    "running_pool",
    "stake_provider",
]


@dataclass(frozen=True)
class Provider:
    """A GPU provider account: staked (and, unless asked otherwise, registered) on the pool."""

    account: ServiceAccount
    key_file: Path
    """The account's hex key, as ``OL_INFERENCE_PROVIDER_KEY_FILE`` names it."""

    @property
    def address(self) -> str:
        return str(self.account.address)


StakeProvider = Callable[..., Awaitable[Provider]]


@pytest.fixture
def stake_provider(platform: Platform, tmp_path: Path) -> StakeProvider:
    """``await stake_provider(stake=2 * OPEN, register=True)``: a fresh provider account with
    that stake in ``InferencePool`` (0: none), registered as an active provider when
    ``register`` (needs at least the minimum stake)."""

    async def make(*, stake: int = 2 * OPEN, register: bool = True) -> Provider:
        account = await fresh_account(platform.l1, platform.l2)
        if stake:
            pool = await InferencePool.load(
                DeploymentManifest.load(platform.manifest_path),
                platform.l2,
                sender=TxSender(platform.l2, account),
            )
            await pool.stake(stake)
            if register:
                await pool.register(keccak(b"{}"))
        key_file = tmp_path / f"provider-{account.address}.key"
        key_file.write_text("0x" + bytes(account.key).hex())
        key_file.chmod(0o600)
        return Provider(account, key_file)

    return make


# ---- A running pool for the routing, forwarding, failover and OpenAI tests (H7) -------------
# A real ModelFactory API server (two adapters stored in its database, their files in the
# shared object store, their hashes on ModelRegistry), a real router (gRPC + OpenAI HTTP API)
# and real nodes (torch engine, tiny Llama) that register and heartbeat like providers do.

POOL_DEPLOYMENT_ID = "openledger-test-inference-pool"
POOL_SERVICE_TOKEN = "inference-pool-test-token"
POOL_ADAPTER_FEE_PER_1K = 3_000_000_000_000
TINY_CATALOGUE = f"""
models:
  - id: {TINY_MODEL_ID}
    source: packaged
    location: tiny-llama
    license: Apache-2.0
    max_lora_rank: 32
    default_target_modules: [q_proj, v_proj]
"""


@dataclass
class RunningPool:
    router: RouterServer
    modelfactory_addr: str
    adapters: list[AdapterDescriptor]
    redis_url: str
    state: Path
    platform: Platform
    stake_provider: StakeProvider
    user: LocalAccount
    nodes: list[NodeServer] = field(default_factory=list)

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.router.port}"

    @property
    def http_port(self) -> int:
        assert self.router.http_port is not None
        return self.router.http_port

    def routable(self) -> list[RoutableNode]:
        return self.router.pool.routable(TINY_MODEL_ID)

    async def start_node(self, label: str) -> NodeServer:
        """A fresh node in the pool, returned once the router routes to it."""
        provider = await self.stake_provider()
        state = self.state / f"node-{label}-{uuid.uuid4().hex[:6]}"
        settings = NodeSettings(
            grpc_port=0,
            redis_url=self.redis_url,
            database_url=f"sqlite:///{state / 'node.db'}",
            object_store_url=str(self.state / "objects"),
            l2_rpc_url=self.platform.l2_url,
            deployment_manifest=self.platform.manifest_path,
            service_token=POOL_SERVICE_TOKEN,
            deployment_id=POOL_DEPLOYMENT_ID,
            auth_nonce_store="memory",
            base_model=TINY_MODEL_ID,
            adapter_cache_dir=state / "adapters",
            modelfactory_addr=self.modelfactory_addr,
            prefetch=False,
            router_addr=self.target,
            provider_key_file=provider.key_file,
            shutdown_grace_seconds=1.0,
            log_json=False,
        )
        engine = TorchEngine(tiny_model(), max_concurrent_requests=4, max_loras=2, max_cpu_loras=2)
        server = await create_node_server(settings, engine=engine)
        self.nodes.append(server)
        await server.start()
        await server.wait_ready()
        endpoint = f"127.0.0.1:{server.port}"
        for _ in range(500):
            if any(node.endpoint == endpoint for node in self.routable()):
                break
            await asyncio.sleep(0.02)
        else:
            raise AssertionError(f"node {label} never became ACTIVE in the router")
        return server

    def node_named(self, name: str) -> NodeServer:
        endpoint = next(node.endpoint for node in self.routable() if node.name == name)
        return next(node for node in self.nodes if f"127.0.0.1:{node.port}" == endpoint)

    async def stop_nodes(self) -> None:
        """Stop every node and take it out of the router (a stopped node's lease would keep it
        ACTIVE for the next test)."""
        nodes, self.nodes = self.nodes, []
        endpoints = {f"127.0.0.1:{node.port}" for node in nodes}
        for node in nodes:
            await node.stop(0.5)
        for routable in self.routable():
            if routable.endpoint in endpoints:
                await self.router.pool.drain(
                    routable.name, deregister=True, reason="test over", caller=Caller(admin=True)
                )


@pytest.fixture(scope="module")
async def running_pool(
    platform: Platform,
    redis_server: RedisProcess,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[RunningPool]:
    torch.set_num_threads(1)
    state = tmp_path_factory.mktemp("inference-pool")
    model = tiny_model()

    catalogue = state / "catalogue.yaml"
    # Only the tiny Llama: the packaged catalogue would build every model it lists.
    catalogue.write_text(TINY_CATALOGUE)
    mf_settings = ModelFactorySettings(
        grpc_port=0,
        catalogue_file=catalogue,
        role="api",
        redis_url=redis_server.url,
        database_url=f"sqlite:///{state / 'modelfactory.db'}",
        object_store_url=str(state / "objects"),
        l2_rpc_url=platform.l2_url,
        deployment_manifest=platform.manifest_path,
        model_cache_dir=state / "models",
        work_dir=state / "work",
        auth_nonce_store="memory",
        log_json=False,
    )
    modelfactory = await create_modelfactory_server(mf_settings)
    await modelfactory.start()
    await modelfactory.wait_ready()

    store = open_store(state / "objects")
    shelf = AdapterShelf(platform, store)
    descriptors = []
    for seed in (21, 22):
        saved = make_adapter(model.path, state / f"adapter-{seed}", seed=seed)
        descriptor = await shelf.publish(
            saved, unique_ref("pool"), model, fee_per_1k_tokens=POOL_ADAPTER_FEE_PER_1K
        )
        # ModelFactory lists and describes it as if its runner had trained it.
        modelfactory.repository.create_adapter(
            modelfactory_adapter(
                adapter_id=descriptor.ref.adapter_id,
                version=descriptor.ref.version,
                base_model=model.id,
                base_model_revision=model.revision,
                prompt_template="",
                adapter_sha256=descriptor.adapter_sha256,
                adapter_model=_object_ref(descriptor.adapter_sha256, saved.model_file),
                adapter_config=_object_ref(descriptor.adapter_config_sha256, saved.config_file),
                owner=descriptor.owner_address,
                fee_per_1k_tokens=POOL_ADAPTER_FEE_PER_1K,
            )
        )
        descriptors.append(descriptor)
    await shelf.close()

    router_settings = RouterSettings(
        grpc_port=0,
        http_port=0,
        redis_url=redis_server.url,
        database_url=f"sqlite:///{state / 'router.db'}",
        l2_rpc_url=platform.l2_url,
        deployment_manifest=platform.manifest_path,
        service_token=POOL_SERVICE_TOKEN,
        deployment_id=POOL_DEPLOYMENT_ID,
        auth_nonce_store="memory",
        modelfactory_addr=f"127.0.0.1:{modelfactory.port}",
        heartbeat_interval_seconds=0.2,
        # Long enough that a stopped node stays ACTIVE: the failover tests meet a dead node.
        lease_seconds=60.0,
        openai_default_payer=Account.create().address,
        log_json=False,
    )
    router = await create_router_server(router_settings)
    await router.start()
    await router.wait_ready()

    pool = RunningPool(
        router=router,
        modelfactory_addr=f"127.0.0.1:{modelfactory.port}",
        adapters=descriptors,
        redis_url=redis_server.url,
        state=state,
        platform=platform,
        stake_provider=await _module_stake_provider(platform, state),
        user=Account.create(),
    )
    yield pool
    await pool.stop_nodes()
    await router.stop(0.5)
    await modelfactory.stop(0.5)


async def _module_stake_provider(platform: Platform, state: Path) -> StakeProvider:
    """``stake_provider`` for module-scoped fixtures (the fixture itself is per test)."""
    keys = state / "providers"
    keys.mkdir(exist_ok=True)

    async def make(*, stake: int = 2 * OPEN, register: bool = True) -> Provider:
        account = await fresh_account(platform.l1, platform.l2)
        pool = await InferencePool.load(
            DeploymentManifest.load(platform.manifest_path),
            platform.l2,
            sender=TxSender(platform.l2, account),
        )
        await pool.stake(stake)
        if register:
            await pool.register(keccak(b"{}"))
        key_file = keys / f"provider-{account.address}.key"
        key_file.write_text("0x" + bytes(account.key).hex())
        key_file.chmod(0o600)
        return Provider(account, key_file)

    return make


def _object_ref(sha256: bytes, path: Path) -> ObjectRef:
    return ObjectRef(
        uri=f"sha256:{sha256.hex()}",
        sha256=sha256,
        size_bytes=path.stat().st_size,
        media_type="application/octet-stream",
    )

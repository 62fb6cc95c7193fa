"""Inference's part in ``openledger up``: the router, the provider's staking task and the node
in the plan after their dependencies; the launcher's mapping of the platform's variables and
the shared service token; and the staking task against the session's contract deployment
(idempotent, as the L2 keeps its state across runs)."""

from __future__ import annotations

from pathlib import Path

from eth_utils.address import is_address

from openledger_inference.localnet import (
    NODE,
    NODE_ADDR_ENV,
    OPENAI_URL_ENV,
    PROVIDER,
    ROUTER,
    ROUTER_ADDR_ENV,
    STATE_DIR_ENV,
    map_environment,
    stake_provider,
)
from openledger_kit.chain import DeploymentManifest, TxSender
from openledger_kit.contracts.bindings.l2 import InferencePool
from openledger_kit.contracts.testing import fresh_account
from openledger_kit.localnet.checks import GrpcHealth
from openledger_kit.localnet.components import build_plan
from openledger_kit.localnet.rundir import RunDir
from openledger_kit.localnet.spec import LocalnetContext
from services.inference.tests.support.platform import Platform


def test_the_plan_starts_the_pool_after_modelfactory(tmp_path: Path) -> None:
    plan = build_plan(LocalnetContext(RunDir(tmp_path)))
    names = [spec.name for spec in plan]
    specs = {spec.name: spec for spec in plan}
    for name in (ROUTER, PROVIDER, NODE):
        assert names.index(name) > max(names.index(d) for d in specs[name].depends_on)
    router, provider, node = specs[ROUTER], specs[PROVIDER], specs[NODE]
    assert {"modelfactory", "datanet", "contracts"} <= set(router.depends_on)
    assert provider.oneshot and set(provider.depends_on) == {"l2", "contracts"}
    assert {ROUTER, PROVIDER, "modelfactory"} <= set(node.depends_on)

    assert isinstance(router.ready, GrpcHealth) and isinstance(node.ready, GrpcHealth)
    router_port = router.env["OL_INFERENCE_ROUTER_GRPC_PORT"]
    assert router.ready.port == int(router_port)
    assert router.exports[ROUTER_ADDR_ENV].endswith(f":{router_port}")
    http_port = router.env["OL_INFERENCE_ROUTER_HTTP_PORT"]
    assert router.exports[OPENAI_URL_ENV].endswith(f":{http_port}/v1")
    assert is_address(router.env["OL_INFERENCE_ROUTER_OPENAI_DEFAULT_PAYER"])
    assert node.env["OL_INFERENCE_ROUTER_ADDR"] == router.exports[ROUTER_ADDR_ENV]
    assert node.env["OL_INFERENCE_BASE_MODEL"] == "smollm2-135m-instruct"
    assert node.env["OL_INFERENCE_ENGINE"] == "torch"
    assert node.ready.port == int(node.env["OL_INFERENCE_GRPC_PORT"])
    assert node.exports[NODE_ADDR_ENV].endswith(node.env["OL_INFERENCE_GRPC_PORT"])
    # The node finds the base model where ModelFactory built it, adapters where it stored them.
    models = specs["modelfactory"].env["OL_MODELFACTORY_MODEL_CACHE_DIR"]
    assert node.env["OL_INFERENCE_MODEL_CACHE_DIR"] == models
    objects = specs["modelfactory"].env["OL_MODELFACTORY_OBJECT_STORE_URL"]
    assert node.env["OL_INFERENCE_OBJECT_STORE_URL"] == objects
    assert node.env["OL_INFERENCE_DATABASE_URL"].startswith(f"sqlite:///{tmp_path}")


def test_the_launcher_maps_platform_variables_and_shares_one_token(tmp_path: Path) -> None:
    platform = {
        "OL_REDIS_URL": "redis://127.0.0.1:1/0",
        "OL_L2_RPC_URL": "http://127.0.0.1:2",
        "OL_DEPLOYMENT_MANIFEST": "/somewhere/deployments.json",
        "OL_MODELFACTORY_ADDR": "127.0.0.1:3",
        STATE_DIR_ENV: str(tmp_path),
    }
    router = {**platform, "OL_INFERENCE_ROUTER_L2_RPC_URL": "http://127.0.0.1:4"}
    map_environment(router, "router")
    assert router["OL_INFERENCE_ROUTER_REDIS_URL"] == "redis://127.0.0.1:1/0"
    assert router["OL_INFERENCE_ROUTER_L2_RPC_URL"] == "http://127.0.0.1:4"
    assert router["OL_INFERENCE_ROUTER_MODELFACTORY_ADDR"] == "127.0.0.1:3"
    assert router["OL_INFERENCE_ROUTER_DEPLOYMENT_MANIFEST"] == "/somewhere/deployments.json"

    node = dict(platform)
    map_environment(node, "node")
    assert node["OL_INFERENCE_REDIS_URL"] == "redis://127.0.0.1:1/0"
    assert node["OL_INFERENCE_MODELFACTORY_ADDR"] == "127.0.0.1:3"
    assert node["OL_INFERENCE_PROVIDER_KEY_FILE"] == str(tmp_path / "provider.key")
    token = node["OL_INFERENCE_SERVICE_TOKEN"]
    assert len(token) >= 32 and token == router["OL_INFERENCE_ROUTER_SERVICE_TOKEN"]
    assert (tmp_path / "service.token").stat().st_mode & 0o077 == 0


async def test_staking_the_provider_is_idempotent(platform: Platform, tmp_path: Path) -> None:
    account = await fresh_account(platform.l1, platform.l2)
    key_file = tmp_path / "provider.key"
    key_file.write_text("0x" + bytes(account.key).hex())
    pool = await InferencePool.load(
        DeploymentManifest.load(platform.manifest_path),
        platform.l2,
        sender=TxSender(platform.l2, account),
    )
    assert not await pool.is_active(account.address)

    done = await stake_provider(platform.l2_url, platform.manifest_path, key_file)
    assert "staked and registered" in done
    assert await pool.is_active(account.address)
    assert await pool.stake_of(account.address) == await pool.min_stake()

    again = await stake_provider(platform.l2_url, platform.manifest_path, key_file)
    assert "already active" in again
    assert await pool.stake_of(account.address) == await pool.min_stake()

"""Inference in ``openledger up``: the pool router, a provider staked in ``InferencePool``, and
one CPU node serving the packaged ``smollm2-135m-instruct`` with the torch engine, joined to the
router.

Three ``ProcessSpec``s, started after ModelFactory (which builds the base model into
``.run/models/``, where the node finds it) and the datanet:

- ``inference-router``: the router's gRPC and its OpenAI-compatible HTTP API (which bills
  keyless local clients to anvil's development account 6);
- ``inference-provider``: a one-shot task that stakes ``InferencePool.minStake`` from anvil's
  development key 7 and registers the provider on chain (skipped when it is already active:
  the L2 keeps its state across runs), because the router admits only staked, active
  providers' nodes;
- ``inference``: the node, signing its pool registration and heartbeats with that key.

The launcher (``python -m openledger_inference.localnet router|node|stake``) maps the
platform's unprefixed variables onto ``OL_INFERENCE_*`` / ``OL_INFERENCE_ROUTER_*`` (a variable
already set wins) and gives the router and the node one shared service token (the router
calls nodes with it), kept in ``.run/inference/service.token``.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import sys
from collections.abc import Mapping, MutableMapping, Sequence
from pathlib import Path

from eth_account import Account
from eth_utils.crypto import keccak

from openledger_kit.contracts.bindings.l2 import InferencePool
from openledger_kit.contracts.gateway import ContractGateway
from openledger_kit.localnet.checks import GrpcHealth
from openledger_kit.localnet.components import L2_RPC_URL, REDIS_URL
from openledger_kit.localnet.processes import ANVIL_DEV_KEYS
from openledger_kit.localnet.spec import LocalnetContext, ProcessSpec

NODE = "inference"
ROUTER = "inference-router"
PROVIDER = "inference-provider"
STATE = "inference"
"""The state directory (``.run/inference/``) the three share."""

NODE_ADDR_ENV = "OL_INFERENCE_ADDR"
ROUTER_ADDR_ENV = "OL_INFERENCE_ROUTER_ADDR"
OPENAI_URL_ENV = "OL_INFERENCE_OPENAI_URL"
MANIFEST_ENV = "OL_DEPLOYMENT_MANIFEST"
MODELFACTORY_ADDR_ENV = "OL_MODELFACTORY_ADDR"
STATE_DIR_ENV = "OL_INFERENCE_STATE_DIR"

BASE_MODEL = "smollm2-135m-instruct"
PROVIDER_KEY_INDEX = 7
"""Anvil's development key the local provider stakes with (0 is the deployer the services use,
1-5 the demo's people)."""
OPENAI_PAYER_KEY_INDEX = 6
"""The account the local OpenAI-compatible API bills: with no keys file, any API key works."""
NODE_METADATA = b"{}"
"""The local node publishes no metadata document; its keccak is what it registers."""

NODE_PREFIX = "OL_INFERENCE_"
ROUTER_PREFIX = "OL_INFERENCE_ROUTER_"
PLATFORM_VARIABLES: Mapping[str, str] = {
    REDIS_URL: "REDIS_URL",
    L2_RPC_URL: "L2_RPC_URL",
    MANIFEST_ENV: "DEPLOYMENT_MANIFEST",
    MODELFACTORY_ADDR_ENV: "MODELFACTORY_ADDR",
}
"""Platform variable -> the setting (without prefix) it fills, for the node and the router."""


def _depends(*extra: str) -> tuple[str, ...]:
    return ("redis", "l2", "contracts", "datanet", "modelfactory", *extra)


def router_component(ctx: LocalnetContext) -> ProcessSpec:
    """The pool router: gRPC and the OpenAI-compatible HTTP API on free ports."""
    port = ctx.port(ROUTER)
    http_port = ctx.port(f"{ROUTER}-http")
    state = ctx.run_dir.state_dir(STATE)
    return ProcessSpec(
        name=ROUTER,
        command=[sys.executable, "-m", "openledger_inference.localnet", "router"],
        env={
            "OL_INFERENCE_ROUTER_GRPC_HOST": ctx.host,
            "OL_INFERENCE_ROUTER_GRPC_PORT": str(port),
            "OL_INFERENCE_ROUTER_METRICS_PORT": str(ctx.port(f"{ROUTER}-metrics")),
            "OL_INFERENCE_ROUTER_HTTP_HOST": ctx.host,
            "OL_INFERENCE_ROUTER_HTTP_PORT": str(http_port),
            "OL_INFERENCE_ROUTER_DATABASE_URL": f"sqlite:///{state / 'router.db'}",
            "OL_INFERENCE_ROUTER_BUS_CONSUMER_NAME": "inference-router-local-0",
            "OL_INFERENCE_ROUTER_AUTH_NONCE_STORE": "memory",
            "OL_INFERENCE_ROUTER_OPENAI_DEFAULT_PAYER": Account.from_key(
                ANVIL_DEV_KEYS[OPENAI_PAYER_KEY_INDEX]
            ).address,
            STATE_DIR_ENV: str(state),
        },
        ready=GrpcHealth(host=ctx.host, port=port),
        depends_on=_depends(),
        exports={
            ROUTER_ADDR_ENV: f"{ctx.host}:{port}",
            OPENAI_URL_ENV: f"http://{ctx.host}:{http_port}/v1",
        },
        ready_timeout=120,
        description="inference pool router: staked nodes, routing, OpenAI-compatible HTTP API",
    )


def provider_component(ctx: LocalnetContext) -> ProcessSpec:
    """The one-shot task that stakes and registers the local provider on ``InferencePool``."""
    state = ctx.run_dir.state_dir(STATE)
    return ProcessSpec(
        name=PROVIDER,
        command=[sys.executable, "-m", "openledger_inference.localnet", "stake"],
        env={STATE_DIR_ENV: str(state)},
        depends_on=("l2", "contracts"),
        oneshot=True,
        ready_timeout=120,
        description=f"stakes anvil key {PROVIDER_KEY_INDEX} in InferencePool as the provider",
    )


def node_component(ctx: LocalnetContext) -> ProcessSpec:
    """The CPU node: the torch engine on the packaged SmolLM2, in the router's pool."""
    port = ctx.port(NODE)
    state = ctx.run_dir.state_dir(STATE)
    return ProcessSpec(
        name=NODE,
        command=[sys.executable, "-m", "openledger_inference.localnet", "node"],
        env={
            "OL_INFERENCE_GRPC_HOST": ctx.host,
            "OL_INFERENCE_GRPC_PORT": str(port),
            "OL_INFERENCE_METRICS_PORT": str(ctx.port(f"{NODE}-metrics")),
            "OL_INFERENCE_DATABASE_URL": f"sqlite:///{state / 'node.db'}",
            "OL_INFERENCE_OBJECT_STORE_URL": str(ctx.run_dir.path / "objects"),
            "OL_INFERENCE_MODEL_CACHE_DIR": str(ctx.run_dir.path / "models"),
            "OL_INFERENCE_ADAPTER_CACHE_DIR": str(state / "adapters"),
            "OL_INFERENCE_BASE_MODEL": BASE_MODEL,
            "OL_INFERENCE_ENGINE": "torch",
            "OL_INFERENCE_DEVICE": "cpu",
            # Two cores: a small batch keeps each step short enough to stream smoothly.
            "OL_INFERENCE_MAX_CONCURRENT_REQUESTS": "4",
            "OL_INFERENCE_ROUTER_ADDR": f"{ctx.host}:{ctx.port(ROUTER)}",
            "OL_INFERENCE_PROVIDER_KEY_FILE": str(provider_key_file(state)),
            "OL_INFERENCE_BUS_CONSUMER_NAME": "inference-local-0",
            "OL_INFERENCE_AUTH_NONCE_STORE": "memory",
            STATE_DIR_ENV: str(state),
        },
        ready=GrpcHealth(host=ctx.host, port=port),
        depends_on=_depends(ROUTER, PROVIDER),
        exports={NODE_ADDR_ENV: f"{ctx.host}:{port}"},
        # Loading SmolLM2 (built by ModelFactory already) takes seconds; a first build ~30 s.
        ready_timeout=300,
        description=f"inference node: torch engine on {BASE_MODEL}, LoRA adapters, in the pool",
    )


# ------------------------------------------------------------------ launcher


def provider_key_file(state: Path) -> Path:
    return state / "provider.key"


def _write_secret(path: Path, text: str) -> None:
    """Create ``path`` readable by its owner only, unless it exists (then it is kept)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "w") as handle:
        handle.write(text + "\n")


def shared_service_token(state: Path) -> str:
    """The token the router presents to nodes, made once per run directory."""
    path = state / "service.token"
    _write_secret(path, secrets.token_urlsafe(32))
    return path.read_text().strip()


def map_environment(env: MutableMapping[str, str], role: str) -> None:
    """Fill the role's settings from the platform's variables and the shared state (see the
    module docstring)."""
    prefix = ROUTER_PREFIX if role == "router" else NODE_PREFIX
    for platform, setting in PLATFORM_VARIABLES.items():
        if platform in env:
            env.setdefault(prefix + setting, env[platform])
    state = Path(env.get(STATE_DIR_ENV, f".run/{STATE}"))
    if prefix + "SERVICE_TOKEN" not in env:
        env[prefix + "SERVICE_TOKEN"] = shared_service_token(state)
    if role == "node" and NODE_PREFIX + "PROVIDER_KEY_FILE" not in env:
        env[NODE_PREFIX + "PROVIDER_KEY_FILE"] = str(provider_key_file(state))


async def stake_provider(rpc_url: str, manifest: Path, key_file: Path) -> str:
    """Stake ``minStake`` (less what is staked already) and register the key's account on
    ``InferencePool``, unless it is active; return what was done."""

    class Pool(ContractGateway[InferencePool]):
        BINDING = InferencePool

    gateway = Pool.from_key_file(rpc_url, manifest, key_file)
    try:
        pool = await gateway.bound()
        provider = gateway.address or ""
        if await pool.is_active(provider):
            return f"provider {provider} is already active in InferencePool"
        missing = await pool.min_stake() - await pool.stake_of(provider)
        if missing > 0:
            await pool.stake(missing)
        await pool.register(keccak(NODE_METADATA))
        return f"provider {provider} staked and registered in InferencePool"
    finally:
        await gateway.close()


def stake(env: Mapping[str, str]) -> None:
    state = Path(env.get(STATE_DIR_ENV, f".run/{STATE}"))
    key_file = provider_key_file(state)
    _write_secret(key_file, ANVIL_DEV_KEYS[PROVIDER_KEY_INDEX])
    rpc_url = env.get(L2_RPC_URL, "http://127.0.0.1:9545")
    manifest = Path(env.get(MANIFEST_ENV, ".run/deployments.json"))
    print(asyncio.run(stake_provider(rpc_url, manifest, key_file)))


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the local processes: ``router``, ``node`` or ``stake``."""
    args = list(sys.argv[1:] if argv is None else argv)
    role = args[0] if args else ""
    if role == "stake":
        stake(os.environ)
        return
    if role not in ("router", "node"):
        raise SystemExit("usage: python -m openledger_inference.localnet router|node|stake")
    map_environment(os.environ, role)
    from openledger_inference.__main__ import main as service_main

    service_main([role])


if __name__ == "__main__":
    main()

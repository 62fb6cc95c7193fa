"""The platform's parts: the built-in infrastructure (Redis, L1, L2) and the services that
register a component in the ``openledger.localnet`` entry-point group.

A service adds itself with a few lines in its package::

    # openledger_datanet/localnet.py
    def component(ctx: LocalnetContext) -> ProcessSpec:
        port = ctx.port("datanet")
        return ProcessSpec(
            name="datanet",
            command=[sys.executable, "-m", "openledger_datanet"],
            env={"OL_DATANET_GRPC_PORT": str(port)},   # OL_REDIS_URL etc. arrive as exports
            ready=GrpcHealth(port=port),
            depends_on=["redis", "l2"],
            exports={"OL_DATANET_ADDR": f"127.0.0.1:{port}"},
        )

    # pyproject.toml
    [project.entry-points."openledger.localnet"]
    datanet = "openledger_datanet.localnet:component"
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence

from openledger_kit.localnet.checks import EthChainId, RedisPing
from openledger_kit.localnet.plugins import PluginError, load_plugins
from openledger_kit.localnet.processes import L1_CHAIN_ID, L2_CHAIN_ID, AnvilSpec, redis_command
from openledger_kit.localnet.spec import Component, LocalnetContext, ProcessSpec, order_specs

COMPONENTS_GROUP = "openledger.localnet"

# Variables every process receives and `.run/env` exports.
REDIS_URL = "OL_REDIS_URL"
L1_RPC_URL = "OL_L1_RPC_URL"
L1_CHAIN_ID_VAR = "OL_L1_CHAIN_ID"
L2_RPC_URL = "OL_L2_RPC_URL"
L2_CHAIN_ID_VAR = "OL_L2_CHAIN_ID"


def redis(ctx: LocalnetContext) -> ProcessSpec:
    """``redis-server`` with its append-only file under ``.run/redis/``."""
    port = ctx.port("redis")
    check = RedisPing(host=ctx.host, port=port)
    return ProcessSpec(
        name="redis",
        command=redis_command(port, ctx.run_dir.state_dir("redis"), host=ctx.host),
        ready=check,
        exports={REDIS_URL: check.url},
        console=False,
        description="event bus (Redis Streams), append-only file in .run/redis/",
    )


def l1(ctx: LocalnetContext) -> ProcessSpec:
    """The L1: an anvil that mines each transaction, its chain kept in ``.run/l1/state.json``."""
    anvil = AnvilSpec(
        port=ctx.port("l1"),
        chain_id=L1_CHAIN_ID,
        # anvil dumps --state on SIGTERM/SIGINT and loads it on start, but silently skips the
        # dump when the directory is missing: state_dir() creates it.
        state_file=ctx.run_dir.state_dir("l1") / "state.json",
        host=ctx.host,
    )
    return ProcessSpec(
        name="l1",
        command=anvil.command(),
        ready=EthChainId(host=ctx.host, url=anvil.url, chain_id=L1_CHAIN_ID),
        exports={L1_RPC_URL: anvil.url, L1_CHAIN_ID_VAR: str(L1_CHAIN_ID)},
        console=False,
        description=f"L1 anvil, chain {L1_CHAIN_ID}, mines each transaction",
    )


def l2(ctx: LocalnetContext) -> ProcessSpec:
    """The L2: an anvil with ``--optimism`` (OP deposit transactions, OPEN as native gas).

    DESIGN has the sequencer drive the L2 engine (``--no-mining`` + ``evm_mine``). No sequencer
    is part of the platform yet, while the registries already take L2 writes, so until it is
    the engine mines each transaction itself; the sequencer's component turns ``no_mining`` on.
    """
    anvil = AnvilSpec(
        port=ctx.port("l2"),
        chain_id=L2_CHAIN_ID,
        state_file=ctx.run_dir.state_dir("l2") / "state.json",
        no_mining=False,
        optimism=True,
        host=ctx.host,
    )
    return ProcessSpec(
        name="l2",
        command=anvil.command(),
        ready=EthChainId(host=ctx.host, url=anvil.url, chain_id=L2_CHAIN_ID),
        exports={L2_RPC_URL: anvil.url, L2_CHAIN_ID_VAR: str(L2_CHAIN_ID)},
        console=False,
        description=f"L2 anvil, chain {L2_CHAIN_ID}, --optimism, mines each transaction",
    )


def contracts(ctx: LocalnetContext) -> ProcessSpec:
    """A one-shot task that deploys the contracts to both chains (or reuses the deployment
    anvil kept in its state) and exports the manifest's path as ``OL_DEPLOYMENT_MANIFEST``. The
    manifest sits where ``ServiceSettings.deployment_manifest`` looks by default."""
    manifest = ctx.run_dir.path / "deployments.json"
    return ProcessSpec(
        name="contracts",
        command=[
            sys.executable,
            "-m",
            "openledger_kit.cli",
            "contracts",
            "deploy",
            "--build",
            "--manifest",
            str(manifest),
        ],  # fmt: skip
        depends_on=("l1", "l2"),
        oneshot=True,
        ready_timeout=180,
        description="deploys the L1 and L2 contracts; exports OL_DEPLOYMENT_MANIFEST",
    )


INFRASTRUCTURE: tuple[Component, ...] = (redis, l1, l2)
"""The built-in components, started first."""

PLATFORM: tuple[Component, ...] = (*INFRASTRUCTURE, contracts)
"""What ``openledger up`` starts before the registered services: the infrastructure and the
contracts deployed on it."""


def registered_components() -> list[tuple[str, Component]]:
    """Components from the ``openledger.localnet`` entry points, by entry-point name."""
    found: list[tuple[str, Component]] = []
    for plugin in load_plugins(COMPONENTS_GROUP):
        if not callable(plugin.value):
            raise PluginError(
                f"entry point {plugin.name!r} of {COMPONENTS_GROUP} ({plugin.target}) "
                "is not a callable taking a LocalnetContext"
            )
        found.append((plugin.name, plugin.value))
    return found


def build_plan(
    ctx: LocalnetContext, components: Sequence[Component] | None = None
) -> list[ProcessSpec]:
    """Specs of ``components`` (default: the platform, then every registered component), in
    start order."""
    if components is None:
        components = [*PLATFORM, *(c for _, c in registered_components())]
    specs: list[ProcessSpec] = []
    for component in components:
        built = component(ctx)
        specs += [built] if isinstance(built, ProcessSpec) else list(_as_specs(built))
    return order_specs(specs)


def _as_specs(built: Iterable[ProcessSpec]) -> Iterable[ProcessSpec]:
    for spec in built:
        if not isinstance(spec, ProcessSpec):
            raise PluginError(f"a component returned {type(spec).__name__}, not a ProcessSpec")
        yield spec

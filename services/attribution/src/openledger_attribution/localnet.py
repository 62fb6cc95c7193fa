"""Attribution in ``openledger up``: the API and a fleet of two workers.

- ``attribution``: the gRPC API (role ``api``); it also migrates the shared SQLite database
  before any worker opens it.
- ``attribution-worker-1``, ``attribution-worker-2``: role ``worker``, one consumer group on the
  completion, snapshot and adapter streams and the settlement loop each, sharing the database
  (SQLite in WAL mode) and the object store. Two, so that the local platform runs the fleet as
  a cluster does: entries are shared out, a killed worker's entries are reclaimed by the other,
  and settlements are leased so that each is sent once.

The launcher (``python -m openledger_attribution.localnet``) maps the platform's unprefixed
variables onto ``OL_ATTRIBUTION_*`` (a variable already set wins) and hands the service the
local chain's first development key, which holds ``ATTRIBUTION_ROLE`` in a local deployment
and pays settled fees from its balance (see ``adapters.chain``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, MutableMapping
from pathlib import Path

from openledger_kit.localnet.checks import GrpcHealth
from openledger_kit.localnet.components import L2_RPC_URL, REDIS_URL
from openledger_kit.localnet.processes import ANVIL_DEV_KEYS
from openledger_kit.localnet.spec import LocalnetContext, ProcessSpec

NAME = "attribution"
WORKERS = 2
ADDR_ENV = "OL_ATTRIBUTION_ADDR"
MANIFEST_ENV = "OL_DEPLOYMENT_MANIFEST"
STATE_DIR_ENV = "OL_ATTRIBUTION_STATE_DIR"

ENV_MAPPING: Mapping[str, str] = {
    REDIS_URL: "OL_ATTRIBUTION_REDIS_URL",
    L2_RPC_URL: "OL_ATTRIBUTION_L2_RPC_URL",
    MANIFEST_ENV: "OL_ATTRIBUTION_DEPLOYMENT_MANIFEST",
}
"""Platform variable -> the attribution setting it fills."""


def _env(ctx: LocalnetContext, name: str, role: str) -> dict[str, str]:
    state = ctx.run_dir.state_dir(NAME)
    return {
        "OL_ATTRIBUTION_ROLE": role,
        "OL_ATTRIBUTION_WORKER_NAME": f"{name}-local",
        "OL_ATTRIBUTION_GRPC_HOST": ctx.host,
        "OL_ATTRIBUTION_GRPC_PORT": str(ctx.port(name)),
        "OL_ATTRIBUTION_METRICS_PORT": str(ctx.port(f"{name}-metrics")),
        "OL_ATTRIBUTION_DATABASE_URL": f"sqlite:///{state / 'attribution.db'}",
        "OL_ATTRIBUTION_OBJECT_STORE_URL": str(ctx.run_dir.path / "objects"),
        "OL_ATTRIBUTION_MODEL_CACHE_DIR": str(ctx.run_dir.path / "models"),
        "OL_ATTRIBUTION_INDEX_CACHE_DIR": str(state / "indexes"),
        "OL_ATTRIBUTION_GRADIENT_CACHE_DIR": str(state / f"{name}-adapters"),
        "OL_ATTRIBUTION_AUTH_NONCE_STORE": "memory",
        STATE_DIR_ENV: str(state),
    }


def api_component(ctx: LocalnetContext) -> ProcessSpec:
    """The API process."""
    return ProcessSpec(
        name=NAME,
        command=[sys.executable, "-m", "openledger_attribution.localnet"],
        env=_env(ctx, NAME, "api"),
        ready=GrpcHealth(host=ctx.host, port=ctx.port(NAME)),
        depends_on=("redis", "l2", "contracts"),
        exports={ADDR_ENV: f"{ctx.host}:{ctx.port(NAME)}"},
        ready_timeout=120,
        description="attribution API: attributions, explanations, ad-hoc scoring, rewards",
    )


def _worker(ctx: LocalnetContext, number: int) -> ProcessSpec:
    name = f"{NAME}-worker-{number}"
    return ProcessSpec(
        name=name,
        command=[sys.executable, "-m", "openledger_attribution.localnet"],
        env=_env(ctx, name, "worker"),
        ready=GrpcHealth(host=ctx.host, port=ctx.port(name)),
        # ModelFactory builds the base models into .run/models/ that the workers load.
        depends_on=("redis", "l2", "contracts", "modelfactory", NAME),
        ready_timeout=300,
        description=f"attribution worker {number} of {WORKERS}: scores completions, settles "
        "rewards on AttributionRewards",
    )


def worker_1(ctx: LocalnetContext) -> ProcessSpec:
    return _worker(ctx, 1)


def worker_2(ctx: LocalnetContext) -> ProcessSpec:
    return _worker(ctx, 2)


def map_environment(env: MutableMapping[str, str]) -> None:
    """Fill the ``OL_ATTRIBUTION_*`` settings from the platform's variables and point the
    service at a development key file when none is configured."""
    for platform, setting in ENV_MAPPING.items():
        if platform in env and setting not in env:
            env[setting] = env[platform]
    if "OL_ATTRIBUTION_ACCOUNT_KEY_FILE" not in env:
        state = Path(env.get(STATE_DIR_ENV, ".run/attribution"))
        state.mkdir(parents=True, exist_ok=True)
        key_file = state / "settler.key"
        if not key_file.exists():
            key_file.write_text(ANVIL_DEV_KEYS[0] + "\n")
            key_file.chmod(0o600)
        env["OL_ATTRIBUTION_ACCOUNT_KEY_FILE"] = str(key_file)


def main() -> None:
    """Entry point of the local processes."""
    map_environment(os.environ)
    from openledger_attribution.__main__ import main as service_main

    service_main(sys.argv[1:])


if __name__ == "__main__":
    main()

"""ModelFactory in ``openledger up``: a local Ray head and the service, with their
``ProcessSpec``s and the launcher the service runs through.

The Ray head (``ray start --head --block``) is a process of its own, so training drivers
connect to one long-lived cluster instead of each starting Ray (~4 s) and so the supervisor
stops every Ray process with it. The service runs the API and the job runner in one process;
the launcher (``python -m openledger_modelfactory.localnet``) maps the platform's unprefixed
variables onto ``OL_MODELFACTORY_*`` (a variable already set wins) and hands the service the
local chain's first development key (the deployer, which holds ModelRegistry's REGISTRAR and
CATALOGUE roles in a local deployment) unless a key file is configured.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Mapping, MutableMapping
from pathlib import Path

from openledger_kit.localnet.checks import GrpcHealth, TcpOpen
from openledger_kit.localnet.components import L2_RPC_URL, REDIS_URL
from openledger_kit.localnet.processes import ANVIL_DEV_KEYS
from openledger_kit.localnet.spec import LocalnetContext, ProcessSpec

NAME = "modelfactory"
RAY = "ray"
ADDR_ENV = "OL_MODELFACTORY_ADDR"
RAY_ADDRESS_ENV = "OL_RAY_ADDRESS"
MANIFEST_ENV = "OL_DEPLOYMENT_MANIFEST"
DATANET_ADDR_ENV = "OL_DATANET_ADDR"

ENV_MAPPING: Mapping[str, str] = {
    REDIS_URL: "OL_MODELFACTORY_REDIS_URL",
    L2_RPC_URL: "OL_MODELFACTORY_L2_RPC_URL",
    MANIFEST_ENV: "OL_MODELFACTORY_DEPLOYMENT_MANIFEST",
    DATANET_ADDR_ENV: "OL_MODELFACTORY_DATANET_ADDR",
    RAY_ADDRESS_ENV: "OL_MODELFACTORY_RAY_ADDRESS",
}
"""Platform variable -> the modelfactory setting it fills."""

RAY_CPUS = 4
"""Logical CPUs the local head offers. More than a laptop's cores on purpose: training workers
are mostly waiting on each other or on the driver, and a 2-worker job must fit beside the
driver on a 2-core machine."""


def ray_component(ctx: LocalnetContext) -> ProcessSpec:
    """A local Ray head. Its session files go under a short path in the system temp dir
    (Ray's Unix sockets must stay under ~100 characters, which ``.run/`` may not)."""
    port = ctx.port(RAY)
    temp_dir = Path(tempfile.gettempdir()) / f"ol-ray-{port}"
    ray = shutil.which("ray", path=str(Path(sys.executable).parent)) or "ray"
    return ProcessSpec(
        name=RAY,
        command=[
            ray,
            "start",
            "--head",
            "--block",
            f"--port={port}",
            f"--num-cpus={RAY_CPUS}",
            "--num-gpus=0",
            "--include-dashboard=false",
            "--disable-usage-stats",
            f"--temp-dir={temp_dir}",
        ],
        # No token auth on the local head: where ~/.ray/auth_token exists Ray would otherwise
        # demand it from every driver, which the drivers are not configured to send.
        env={"RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "disabled"},
        ready=TcpOpen(host=ctx.host, port=port),
        exports={RAY_ADDRESS_ENV: f"{ctx.host}:{port}"},
        ready_timeout=120,
        description="local Ray head: the cluster ModelFactory trains on",
    )


def component(ctx: LocalnetContext) -> ProcessSpec:
    """The modelfactory process: gRPC on a free port, its state in ``.run/modelfactory/`` and
    the base models it builds in ``.run/models/`` (kept across runs by ``make clean`` only)."""
    port = ctx.port(NAME)
    metrics_port = ctx.port(f"{NAME}-metrics")
    state = ctx.run_dir.state_dir(NAME)
    return ProcessSpec(
        name=NAME,
        command=[sys.executable, "-m", "openledger_modelfactory.localnet"],
        env={
            "OL_MODELFACTORY_GRPC_HOST": ctx.host,
            "OL_MODELFACTORY_GRPC_PORT": str(port),
            "OL_MODELFACTORY_METRICS_PORT": str(metrics_port),
            "OL_MODELFACTORY_DATABASE_URL": f"sqlite:///{state / 'modelfactory.db'}",
            "OL_MODELFACTORY_OBJECT_STORE_URL": str(ctx.run_dir.path / "objects"),
            "OL_MODELFACTORY_MODEL_CACHE_DIR": str(ctx.run_dir.path / "models"),
            "OL_MODELFACTORY_CHECKPOINT_DIR": str(state / "ray"),
            "OL_MODELFACTORY_WORK_DIR": str(state / "work"),
            "OL_MODELFACTORY_STATE_DIR": str(state),
            "OL_MODELFACTORY_BUS_CONSUMER_NAME": "modelfactory-local-0",
            "OL_MODELFACTORY_AUTH_NONCE_STORE": "memory",
        },
        ready=GrpcHealth(host=ctx.host, port=port),
        depends_on=("redis", "l2", "contracts", "datanet", RAY),
        exports={ADDR_ENV: f"{ctx.host}:{port}"},
        # The first start converts SmolLM2 from its GGUF (~30 s on 2 cores).
        ready_timeout=300,
        description="modelfactory service: base models, LoRA training on Ray, adapters on L2",
    )


def map_environment(env: MutableMapping[str, str]) -> None:
    """Fill the ``OL_MODELFACTORY_*`` settings from the platform's variables and point the
    service at a development key file when none is configured."""
    for platform, setting in ENV_MAPPING.items():
        if platform in env and setting not in env:
            env[setting] = env[platform]
    if "OL_MODELFACTORY_ACCOUNT_KEY_FILE" not in env:
        state = Path(env.get("OL_MODELFACTORY_STATE_DIR", ".run/modelfactory"))
        state.mkdir(parents=True, exist_ok=True)
        key_file = state / "service.key"
        if not key_file.exists():
            key_file.write_text(ANVIL_DEV_KEYS[0] + "\n")
            key_file.chmod(0o600)
        env["OL_MODELFACTORY_ACCOUNT_KEY_FILE"] = str(key_file)


def main() -> None:
    """Entry point of the local process."""
    map_environment(os.environ)
    from openledger_modelfactory.__main__ import main as service_main

    service_main(sys.argv[1:])


if __name__ == "__main__":
    main()

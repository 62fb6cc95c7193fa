"""The datanet service in ``openledger up``: its ``ProcessSpec`` and the launcher it runs.

The supervisor exports the platform's addresses unprefixed (``OL_REDIS_URL``,
``OL_L2_RPC_URL``, and ``OL_DEPLOYMENT_MANIFEST`` from the ``contracts`` task); the launcher
(``python -m openledger_datanet.localnet``) maps them onto ``OL_DATANET_*`` (a variable
already set wins), gives the service the local chain's first development key (the deployer,
which holds the registry's REGISTRAR and CURATION roles in a local deployment) unless a key
file is configured, and runs the service with the API and the curation worker in one process.
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

NAME = "datanet"
ADDR_ENV = "OL_DATANET_ADDR"
MANIFEST_ENV = "OL_DEPLOYMENT_MANIFEST"

ENV_MAPPING: Mapping[str, str] = {
    REDIS_URL: "OL_DATANET_REDIS_URL",
    L2_RPC_URL: "OL_DATANET_L2_RPC_URL",
    MANIFEST_ENV: "OL_DATANET_DEPLOYMENT_MANIFEST",
}
"""Platform variable -> the datanet setting it fills."""


def component(ctx: LocalnetContext) -> ProcessSpec:
    """The datanet process: gRPC on a free port, its state in ``.run/datanet/``."""
    port = ctx.port(NAME)
    metrics_port = ctx.port(f"{NAME}-metrics")
    state = ctx.run_dir.state_dir(NAME)
    return ProcessSpec(
        name=NAME,
        command=[sys.executable, "-m", "openledger_datanet.localnet"],
        env={
            "OL_DATANET_GRPC_HOST": ctx.host,
            "OL_DATANET_GRPC_PORT": str(port),
            "OL_DATANET_METRICS_PORT": str(metrics_port),
            "OL_DATANET_DATABASE_URL": f"sqlite:///{state / 'datanet.db'}",
            "OL_DATANET_OBJECT_STORE_URL": str(ctx.run_dir.path / "objects"),
            "OL_DATANET_STATE_DIR": str(state),
            "OL_DATANET_BUS_CONSUMER_NAME": "datanet-local-0",
            "OL_DATANET_AUTH_NONCE_STORE": "memory",
        },
        ready=GrpcHealth(host=ctx.host, port=port),
        depends_on=("redis", "l2", "contracts"),
        exports={ADDR_ENV: f"{ctx.host}:{port}"},
        ready_timeout=180,
        description="datanet service: datanets, curation worker, snapshots anchored on L2",
    )


def map_environment(env: MutableMapping[str, str]) -> None:
    """Fill the ``OL_DATANET_*`` settings from the platform's variables (see the module
    docstring) and point the service at a development key file when none is configured."""
    for platform, setting in ENV_MAPPING.items():
        if platform in env and setting not in env:
            env[setting] = env[platform]
    if "OL_DATANET_ACCOUNT_KEY_FILE" not in env:
        state = Path(env.get("OL_DATANET_STATE_DIR", ".run/datanet"))
        state.mkdir(parents=True, exist_ok=True)
        key_file = state / "service.key"
        if not key_file.exists():
            key_file.write_text(ANVIL_DEV_KEYS[0] + "\n")
            key_file.chmod(0o600)
        env["OL_DATANET_ACCOUNT_KEY_FILE"] = str(key_file)


def main() -> None:
    """Entry point of the local process."""
    map_environment(os.environ)
    from openledger_datanet.__main__ import main as service_main

    service_main(sys.argv[1:])


if __name__ == "__main__":
    main()

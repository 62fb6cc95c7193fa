"""The datanet's part in ``openledger up``: its spec in the plan (after redis, l2 and the
contracts task, ready by gRPC health) and the launcher's mapping of the platform's variables."""

from __future__ import annotations

from pathlib import Path

from openledger_datanet.localnet import ADDR_ENV, map_environment
from openledger_kit.localnet.checks import GrpcHealth
from openledger_kit.localnet.components import build_plan
from openledger_kit.localnet.processes import ANVIL_DEV_KEYS
from openledger_kit.localnet.rundir import RunDir
from openledger_kit.localnet.spec import LocalnetContext


def test_the_plan_starts_datanet_after_its_dependencies(tmp_path: Path) -> None:
    plan = build_plan(LocalnetContext(RunDir(tmp_path)))
    names = [spec.name for spec in plan]
    datanet = plan[names.index("datanet")]
    assert set(datanet.depends_on) == {"redis", "l2", "contracts"}
    assert names.index("datanet") > max(names.index(d) for d in datanet.depends_on)
    assert isinstance(datanet.ready, GrpcHealth)
    port = datanet.env["OL_DATANET_GRPC_PORT"]
    assert datanet.ready.port == int(port)
    assert datanet.exports[ADDR_ENV].endswith(f":{port}")
    assert datanet.env["OL_DATANET_DATABASE_URL"].startswith(f"sqlite:///{tmp_path}")


def test_the_launcher_maps_platform_variables(tmp_path: Path) -> None:
    env = {
        "OL_REDIS_URL": "redis://127.0.0.1:1/0",
        "OL_L2_RPC_URL": "http://127.0.0.1:2",
        "OL_DEPLOYMENT_MANIFEST": "/somewhere/deployments.json",
        "OL_DATANET_L2_RPC_URL": "http://127.0.0.1:3",  # set explicitly: wins
        "OL_DATANET_STATE_DIR": str(tmp_path),
    }
    map_environment(env)
    assert env["OL_DATANET_REDIS_URL"] == "redis://127.0.0.1:1/0"
    assert env["OL_DATANET_L2_RPC_URL"] == "http://127.0.0.1:3"
    assert env["OL_DATANET_DEPLOYMENT_MANIFEST"] == "/somewhere/deployments.json"
    key_file = Path(env["OL_DATANET_ACCOUNT_KEY_FILE"])
    assert key_file.read_text().strip() == ANVIL_DEV_KEYS[0]
    assert key_file.stat().st_mode & 0o077 == 0

"""Process specs, their order, the run directory and the endpoints files (no processes run)."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from openledger_kit.localnet import (
    AlreadyRunning,
    Endpoints,
    InvalidPlan,
    LocalnetContext,
    NotRunning,
    ProcessRecord,
    ProcessSpec,
    RedisPing,
    RunDir,
    build_plan,
)
from openledger_kit.localnet.processes import L1_CHAIN_ID, L2_CHAIN_ID
from openledger_kit.localnet.spec import order_specs


def spec(name: str, *deps: str, **exports: str) -> ProcessSpec:
    return ProcessSpec(name=name, command=["true"], depends_on=deps, exports=exports)


def test_dependencies_start_first_and_the_given_order_is_kept_otherwise() -> None:
    ordered = order_specs(
        [spec("api", "db", "cache"), spec("db"), spec("cache"), spec("ui", "api")]
    )
    assert [s.name for s in ordered] == ["db", "cache", "api", "ui"]


@pytest.mark.parametrize(
    ("specs", "field", "words"),
    [
        ([spec("a", "missing")], "a.depends_on", "no process named 'missing'"),
        ([spec("a", "b"), spec("b", "a")], "depends_on", "cycle among a, b"),
        ([spec("a"), spec("a")], "a.name", "two processes"),
        ([spec("system")], "system.name", "not 'system'"),
        ([spec("Bad Name")], "Bad Name.name", "lowercase"),
        ([spec("a", X="1"), spec("b", X="2")], "b.exports", "X is also exported by a"),
        (
            [ProcessSpec(name="t", command=["true"], oneshot=True, ready=RedisPing(port=1))],
            "t.ready",
            "one-shot task is ready when it exits 0",
        ),
    ],
)
def test_contradictory_specs_are_refused_naming_the_field(
    specs: list[ProcessSpec], field: str, words: str
) -> None:
    with pytest.raises(InvalidPlan) as caught:
        order_specs(specs)
    assert caught.value.field == field
    assert words in caught.value.message


def test_context_gives_one_distinct_free_port_per_key(run_dir: RunDir) -> None:
    ctx = LocalnetContext(run_dir)
    first = ctx.port("sequencer")
    ports = {ctx.port(f"svc{i}") for i in range(20)}
    assert ctx.port("sequencer") == first
    assert len(ports) == 20 and first not in ports


def test_infrastructure_plan_keeps_state_in_the_run_dir(run_dir: RunDir) -> None:
    plan = {s.name: s for s in build_plan(LocalnetContext(run_dir))}

    # The platform's own processes start in dependency order (installed components without
    # dependencies, such as a Ray head, may start beside them).
    platform = ["redis", "l1", "l2", "contracts"]
    assert [name for name in plan if name in platform] == platform
    redis_cmd = list(plan["redis"].command)
    assert redis_cmd[redis_cmd.index("--dir") + 1] == str(run_dir.path / "redis")
    assert redis_cmd[redis_cmd.index("--appendonly") + 1] == "yes"
    l1, l2 = list(plan["l1"].command), list(plan["l2"].command)
    assert l1[l1.index("--state") + 1] == str(run_dir.path / "l1" / "state.json")
    assert l2[l2.index("--state") + 1] == str(run_dir.path / "l2" / "state.json")
    # anvil silently skips the state dump when the directory is missing.
    assert (run_dir.path / "l1").is_dir() and (run_dir.path / "l2").is_dir()
    assert l1[l1.index("--chain-id") + 1] == str(L1_CHAIN_ID) and "--no-mining" not in l1
    assert l2[l2.index("--chain-id") + 1] == str(L2_CHAIN_ID)
    assert "--no-mining" not in l2 and "--optimism" in l2
    assert set(plan["redis"].exports) == {"OL_REDIS_URL"}
    assert set(plan["l1"].exports) == {"OL_L1_RPC_URL", "OL_L1_CHAIN_ID"}
    assert set(plan["l2"].exports) == {"OL_L2_RPC_URL", "OL_L2_CHAIN_ID"}
    # The contracts: a one-shot deploy on both chains, its manifest in the run dir.
    deploy = plan["contracts"]
    assert deploy.oneshot and tuple(deploy.depends_on) == ("l1", "l2")
    assert list(deploy.command)[-5:] == [
        "contracts", "deploy", "--build", "--manifest", str(run_dir.path / "deployments.json")
    ]  # fmt: skip


def test_endpoints_round_trip_and_env_file_sources_in_bash(run_dir: RunDir) -> None:
    run_dir.prepare()
    endpoints = Endpoints(
        run_dir=run_dir.path,
        supervisor_pid=os.getpid(),
        started_at=datetime.now(UTC),
        env={"OL_REDIS_URL": "redis://127.0.0.1:1/0", "OL_ODD": "it's $HOME; `x`"},
        processes=[
            ProcessRecord(
                name="redis",
                pid=1,
                command=["redis-server"],
                log=run_dir.log_file("redis"),
                check=RedisPing(port=1),
                exports={"OL_REDIS_URL": "redis://127.0.0.1:1/0"},
            )
        ],
    )
    endpoints.write(run_dir)

    assert Endpoints.load(run_dir) == endpoints
    assert isinstance(Endpoints.load(run_dir).process("redis").check, RedisPing)
    shell = subprocess.run(
        ["bash", "-c", f'source {run_dir.env_file} && printf "%s|%s" "$OL_REDIS_URL" "$OL_ODD"'],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": os.environ["PATH"]},
    )
    assert shell.stdout == "redis://127.0.0.1:1/0|it's $HOME; `x`"


def test_loading_endpoints_of_a_stopped_platform_says_not_running(run_dir: RunDir) -> None:
    with pytest.raises(NotRunning, match="endpoints.json does not exist"):
        Endpoints.load(run_dir)


def test_run_dir_lock_admits_one_supervisor_and_names_the_holder(run_dir: RunDir) -> None:
    assert run_dir.supervisor_pid() is None
    with run_dir.lock():
        assert run_dir.supervisor_pid() == os.getpid()
        with pytest.raises(AlreadyRunning) as caught, run_dir.lock():
            pass
        assert caught.value.pid == os.getpid()
    assert run_dir.supervisor_pid() is None


def test_run_dir_resolves_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OL_RUN_DIR", str(tmp_path / "elsewhere"))
    assert RunDir.resolve().path == tmp_path / "elsewhere"
    assert RunDir.resolve(tmp_path / "given").path == tmp_path / "given"
    monkeypatch.delenv("OL_RUN_DIR")
    assert RunDir.resolve().path.name == ".run"

"""The real ``openledger`` command as a user runs it: ``up`` until Ctrl-C, ``up --detach`` and
``down``, ``status`` and ``demo``, each with its own run directory."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import redis
from web3 import Web3

pytestmark = pytest.mark.slow

L1_CHAIN_ID, L2_CHAIN_ID = 900, 901
READY_SECONDS = 300


def openledger(*args: str | Path) -> list[str]:
    """The installed console script (beside this Python), with ``args``."""
    script = Path(sys.executable).with_name("openledger")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "openledger_kit.cli"]
    return command + [str(arg) for arg in args]


def processes_mentioning(text: str) -> list[str]:
    """Live processes whose command line contains ``text`` (anvil's has its state path)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            line = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in line and int(cmdline.parent.name) != os.getpid():
            found.append(f"{cmdline.parent.name} {line}")
    return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_for_endpoints(run_dir: Path, proc: subprocess.Popen[bytes], log: Path) -> Any:
    # Every service's processes start: on 2 busy cores that takes minutes (models load, the
    # base model is converted on a fresh run directory).
    deadline = time.monotonic() + READY_SECONDS
    while not (run_dir / "endpoints.json").exists():
        assert proc.poll() is None, f"openledger up exited early:\n{log.read_text()}"
        assert time.monotonic() < deadline, f"not ready in {READY_SECONDS} s:\n{log.read_text()}"
        time.sleep(0.1)
    return json.loads((run_dir / "endpoints.json").read_text())


def test_up_serves_until_sigint_then_exits_0_and_stops_everything(tmp_path: Path) -> None:
    run_dir, log = tmp_path / "run", tmp_path / "up.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            openledger("up", "--run-dir", run_dir), stdout=out, stderr=subprocess.STDOUT
        )
    try:
        endpoints = wait_for_endpoints(run_dir, proc, log)
        env = endpoints["env"]
        assert redis.Redis.from_url(env["OL_REDIS_URL"]).ping() is True
        assert Web3(Web3.HTTPProvider(env["OL_L1_RPC_URL"])).eth.chain_id == L1_CHAIN_ID
        assert Web3(Web3.HTTPProvider(env["OL_L2_RPC_URL"])).eth.chain_id == L2_CHAIN_ID
        status = subprocess.run(
            openledger("status", "--run-dir", run_dir), capture_output=True, text=True
        )
        assert status.returncode == 0, status.stdout
        pids = {p["name"]: p["pid"] for p in endpoints["processes"] if not p.get("oneshot")}
        # Services that register components later join these three.
        assert {"redis", "l1", "l2"} <= set(pids) and all(map(alive, pids.values()))

        proc.send_signal(signal.SIGINT)
        returncode = proc.wait(timeout=30)
    finally:
        if proc.poll() is None:  # a failed assertion above: still stop what it started
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)

    output = log.read_text()
    assert returncode == 0, output
    ready = f"all {len(endpoints['processes'])} processes ready"  # one-shot tasks count too
    assert "SIGINT received" in output and ready in output
    assert [name for name, pid in pids.items() if alive(pid)] == []
    assert processes_mentioning(str(run_dir)) == []
    assert not (run_dir / "endpoints.json").exists()
    assert (run_dir / "logs" / "redis.log").stat().st_size > 0


def test_up_detach_status_and_down(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    env = {**os.environ, "OL_RUN_DIR": str(run_dir)}
    try:
        started = subprocess.run(
            openledger("up", "--detach"),
            capture_output=True,
            text=True,
            env=env,
            timeout=READY_SECONDS,
        )
        assert started.returncode == 0, started.stdout + started.stderr
        assert "OL_L2_RPC_URL=http://127.0.0.1:" in started.stdout
        running = subprocess.run(openledger("status"), capture_output=True, text=True, env=env)
        assert running.returncode == 0, running.stdout
        rows = [line.split()[:2] for line in running.stdout.splitlines()[1:]]
        assert rows[:3] == [["redis", "ok"], ["l1", "ok"], ["l2", "ok"]]
    finally:
        stopped = subprocess.run(openledger("down"), capture_output=True, text=True, env=env)
    assert stopped.returncode == 0 and "stopped the platform" in stopped.stdout
    after = subprocess.run(openledger("status"), capture_output=True, text=True, env=env)
    assert after.returncode == 1 and "no platform is running" in after.stdout
    assert processes_mentioning(str(run_dir)) == []


def test_demo_runs_to_completion_and_names_redis_and_both_chains(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    demo = subprocess.run(
        openledger("demo", "--run-dir", run_dir), capture_output=True, text=True, timeout=900
    )
    assert demo.returncode == 0, demo.stdout + demo.stderr
    out = demo.stdout
    assert "Redis  redis://127.0.0.1:" in out and "PING -> PONG" in out
    assert re.search(rf"L1 +http://127\.0\.0\.1:\d+ +chain id {L1_CHAIN_ID}, block \d+", out)
    assert re.search(rf"L2 +http://127\.0\.0\.1:\d+ +chain id {L2_CHAIN_ID}, block \d+", out)
    assert re.search(r"demo finished: (\d+) of \1 step\(s\) passed", out)
    assert processes_mentioning(str(run_dir)) == []
    assert not (run_dir / "endpoints.json").exists()

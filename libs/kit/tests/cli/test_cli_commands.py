"""``openledger version`` and ``openledger status`` (against the session's Redis and anvils)."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from openledger_kit import __version__
from openledger_kit.cli import create_app
from openledger_kit.localnet import (
    Endpoints,
    EthChainId,
    ProcessRecord,
    RedisPing,
    RunDir,
    TcpOpen,
)
from openledger_kit.localnet.processes import free_port
from openledger_kit.testing.processes import AnvilProcess, RedisProcess

runner = CliRunner()


def test_version_lists_the_installed_openledger_packages() -> None:
    result = runner.invoke(create_app(), ["version"])
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == f"openledger {__version__}"
    assert f"openledger-kit {__version__}" in result.stdout


def test_help_lists_the_built_in_commands() -> None:
    result = runner.invoke(create_app(), ["--help"])
    assert result.exit_code == 0
    for command in ("up", "down", "status", "demo", "version"):
        assert f" {command} " in result.stdout


def test_status_without_a_platform_says_so_and_fails(tmp_path: Path) -> None:
    result = runner.invoke(create_app(), ["status", "--run-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert f"no platform is running in {tmp_path}" in result.stdout


def _write_endpoints(run_dir: RunDir, records: list[ProcessRecord]) -> None:
    run_dir.prepare()
    Endpoints(
        run_dir=run_dir.path,
        supervisor_pid=os.getpid(),
        started_at=datetime.now(UTC),
        env={},
        processes=records,
    ).write(run_dir)


def _record(name: str, pid: int, check: RedisPing | EthChainId | TcpOpen) -> ProcessRecord:
    return ProcessRecord(name=name, pid=pid, command=[name], log=Path(f"{name}.log"), check=check)


def test_status_checks_each_endpoint_live(
    tmp_path: Path, redis_server: RedisProcess, anvil_l1: AnvilProcess, anvil_l2: AnvilProcess
) -> None:
    run_dir = RunDir(tmp_path / "run")
    records = [
        _record("redis", redis_server.proc.pid, RedisPing(port=redis_server.port)),
        _record("l1", anvil_l1.proc.pid, EthChainId(url=anvil_l1.url, chain_id=anvil_l1.chain_id)),
        _record("l2", anvil_l2.proc.pid, EthChainId(url=anvil_l2.url, chain_id=anvil_l2.chain_id)),
    ]
    _write_endpoints(run_dir, records)

    result = runner.invoke(create_app(), ["status", "--run-dir", str(run_dir.path)])

    assert result.exit_code == 0, result.stdout
    lines = result.stdout.splitlines()
    assert f"supervisor pid {os.getpid()}" in lines[0]
    assert lines[1].split()[:2] == ["redis", "ok"] and "PONG" in lines[1]
    assert lines[2].split()[:2] == ["l1", "ok"] and f"chain id {anvil_l1.chain_id}" in lines[2]
    assert lines[3].split()[:2] == ["l2", "ok"] and f"chain id {anvil_l2.chain_id}" in lines[3]


def test_status_reports_a_dead_process_and_fails(
    tmp_path: Path, redis_server: RedisProcess
) -> None:
    finished = subprocess.Popen(["true"])
    finished.wait()
    run_dir = RunDir(tmp_path / "run")
    _write_endpoints(
        run_dir,
        [
            _record("redis", redis_server.proc.pid, RedisPing(port=redis_server.port)),
            _record("gone", finished.pid, TcpOpen(port=free_port())),
        ],
    )

    result = runner.invoke(create_app(), ["status"], env={"OL_RUN_DIR": str(run_dir.path)})

    assert result.exit_code == 1
    gone = next(line for line in result.stdout.splitlines() if "gone" in line.split()[:1])
    assert gone.split()[1] == "DOWN" and f"pid {finished.pid} (gone)" in gone
    assert "not accepting connections" in gone

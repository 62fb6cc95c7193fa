"""``openledger status`` on a platform with a one-shot task that has completed."""

from __future__ import annotations

import io
from pathlib import Path

from typer.testing import CliRunner

from openledger_kit.cli import create_app
from openledger_kit.localnet import Endpoints, ProcessSpec, RunDir, Supervisor

runner = CliRunner()


def test_status_shows_a_completed_task_as_done_not_down(tmp_path: Path) -> None:
    run_dir = RunDir(tmp_path / "run")
    plan = [
        ProcessSpec(name="server", command=["sleep", "600"]),
        ProcessSpec(name="migrate", command=["sh", "-c", "exit 0"], oneshot=True),
        ProcessSpec(name="api", command=["sleep", "600"], depends_on=["migrate"]),
    ]
    sup = Supervisor(plan, run_dir, console=io.StringIO())
    results: list[tuple[int, str]] = []

    def on_ready(endpoints: Endpoints) -> None:
        result = runner.invoke(create_app(), ["status", "--run-dir", str(run_dir.path)])
        results.append((result.exit_code, result.stdout))
        sup.stop()

    sup.run(on_ready)

    exit_code, stdout = results[0]
    assert exit_code == 0, stdout
    rows = {line.split()[0]: line.split() for line in stdout.splitlines()[1:]}
    assert rows["migrate"][:3] == ["migrate", "done", "exit"] and rows["migrate"][3] == "0"
    assert "one-shot task completed" in " ".join(rows["migrate"])
    assert rows["server"][:2] == ["server", "ok"] and rows["api"][:2] == ["api", "ok"]

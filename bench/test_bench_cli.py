"""``python -m bench bus --quick`` against the session Redis: a table, then the JSON line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from openledger_kit.testing.processes import RedisProcess

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_bus_bench_quick_ends_with_its_json_summary(redis_server: RedisProcess) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench", "bus", "--quick"],
        cwd=REPO_ROOT,
        env={**os.environ, "OL_BENCH_REDIS_URL": redis_server.url},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )

    lines = result.stdout.strip().splitlines()
    summary = json.loads(lines[-1])
    assert summary["bench"] == "bus" and summary["unit"] == "events/s"
    assert summary["value"] > 0 and summary["baseline"] > 0
    assert summary["ratio"] == pytest.approx(summary["value"] / summary["baseline"], rel=1e-2)
    assert summary["events"] == 20_000
    assert summary["redis_source"] == "OL_BENCH_REDIS_URL"
    assert any(line.startswith("bus") and "end to end" in line for line in lines[:-1])

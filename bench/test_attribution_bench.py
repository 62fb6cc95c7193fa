"""``python -m bench attribution --quick``: a table, then the JSON line with the agreed keys."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_attribution_bench_quick_ends_with_its_json_summary() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench", "attribution", "--quick"],
        cwd=REPO_ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=240,
        check=True,
    )

    lines = result.stdout.strip().splitlines()
    summary = json.loads(lines[-1])
    assert summary["bench"] == "attribution" and summary["unit"] == "tokens/s"
    assert summary["value"] > 0 and summary["baseline"] > 0
    assert summary["ratio"] == pytest.approx(summary["value"] / summary["baseline"], rel=1e-2)
    assert summary["build_tokens"] == 1_000_000
    for size in ("1m", "10m"):
        assert 0 < summary[f"query_p50_us_{size}"] <= summary[f"query_p99_us_{size}"]
    assert any(line.startswith("attribution") and "index build" in line for line in lines[:-1])
    assert summary["gradient_examples"] == 10_000
    assert summary["gradient_completions_per_s"] > 0 and summary["gradient_dot_baseline_per_s"] > 0

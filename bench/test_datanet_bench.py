"""``python -m bench datanet --quick``: a table, then the JSON line with the agreed keys."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_datanet_bench_quick_ends_with_its_json_summary() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench", "datanet", "--quick"],
        cwd=REPO_ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=240,
        check=True,
    )

    lines = result.stdout.strip().splitlines()
    summary = json.loads(lines[-1])
    assert summary["bench"] == "datanet" and summary["unit"] == "contributions/s"
    assert summary["value"] > 0 and summary["baseline"] > 0
    assert summary["ratio"] == pytest.approx(summary["value"] / summary["baseline"], rel=1e-2)
    assert summary["path"] in ("service", "in-process")
    # The quick corpus plants 200 near duplicates; the pipeline must find them and only them.
    assert summary["near_dup_precision"] >= 0.95 and summary["near_dup_recall"] >= 0.9
    assert summary["in_process_near_dup_recall"] >= 0.9
    assert summary["contributions"] >= 1_900
    assert any(line.startswith("datanet") and "curated" in line for line in lines[:-1])

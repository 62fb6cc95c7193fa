"""What every benchmark's smoke test checks: ``python -m bench NAME --quick`` prints a table,
then as its last line the JSON summary with the agreed keys."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def run_quick(name: str, *, timeout: float = 240) -> tuple[list[str], dict[str, Any]]:
    """Run the quick benchmark ``name``; its table lines and its JSON summary, whose
    ``bench``, ``value``, ``baseline`` and ``ratio`` are checked here."""
    result = subprocess.run(
        [sys.executable, "-m", "bench", name, "--quick"],
        cwd=REPO_ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    )
    lines = result.stdout.strip().splitlines()
    summary: dict[str, Any] = json.loads(lines[-1])
    assert summary["bench"] == name
    assert summary["value"] > 0 and summary["baseline"] > 0
    assert summary["ratio"] == pytest.approx(summary["value"] / summary["baseline"], rel=1e-2)
    return lines[:-1], summary

"""``python -m bench datanet --quick``: a table, then the JSON line with the agreed keys."""

from __future__ import annotations

import pytest

from bench.quick import run_quick


@pytest.mark.slow
def test_datanet_bench_quick_ends_with_its_json_summary() -> None:
    table, summary = run_quick("datanet")
    assert summary["unit"] == "contributions/s"
    assert summary["path"] in ("service", "in-process")
    # The quick corpus plants 200 near duplicates; the pipeline must find them and only them.
    assert summary["near_dup_precision"] >= 0.95 and summary["near_dup_recall"] >= 0.9
    assert summary["in_process_near_dup_recall"] >= 0.9
    assert summary["contributions"] >= 1_900
    assert any(line.startswith("datanet") and "curated" in line for line in table)

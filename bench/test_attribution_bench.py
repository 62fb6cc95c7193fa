"""``python -m bench attribution --quick``: a table, then the JSON line with the agreed keys."""

from __future__ import annotations

import pytest

from bench.quick import run_quick


@pytest.mark.slow
def test_attribution_bench_quick_ends_with_its_json_summary() -> None:
    table, summary = run_quick("attribution")
    assert summary["unit"] == "tokens/s"
    assert summary["build_tokens"] == 1_000_000
    for size in ("1m", "10m"):
        assert 0 < summary[f"query_p50_us_{size}"] <= summary[f"query_p99_us_{size}"]
    assert any(line.startswith("attribution") and "index build" in line for line in table)
    assert summary["gradient_examples"] == 10_000
    assert summary["gradient_completions_per_s"] > 0 and summary["gradient_dot_baseline_per_s"] > 0

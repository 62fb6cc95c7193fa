"""``python -m bench attribution --quick``: a table, then the JSON line with the agreed keys."""

from __future__ import annotations

import pytest

from bench.attribution_fleet import QUICK_COMPLETIONS
from bench.inference import chain_available
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
    if chain_available():
        assert summary["fleet_completions"] == QUICK_COMPLETIONS
        assert summary["fleet_completions_per_s_1"] > 0 and summary["fleet_completions_per_s_2"] > 0
        assert summary["fleet_scaling"] == pytest.approx(
            summary["fleet_completions_per_s_2"] / summary["fleet_completions_per_s_1"], rel=1e-2
        )
        assert summary["fleet_method"] == "COMBINED"
        assert sum(summary["fleet_shares_2"]) == QUICK_COMPLETIONS
        assert any(line.startswith("attribution") and "worker fleet" in line for line in table)

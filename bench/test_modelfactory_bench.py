"""``python -m bench modelfactory --quick``: a table, then the JSON line with the agreed keys;
and the two paths it compares are given the same steps and tokens."""

from __future__ import annotations

import pytest

from bench import modelfactory
from bench.quick import run_quick
from openledger_ml.models import load_tokenizer
from openledger_modelfactory.training.data import prepare, steps_per_epoch


def test_both_paths_take_the_same_steps_over_every_record() -> None:
    scale = modelfactory.QUICK
    model = modelfactory.bench_model(scale)
    ray_spec = modelfactory.bench_spec(
        model, scale, workers=modelfactory.WORKERS, batch_size=scale.batch_size
    )
    plain_spec = modelfactory.bench_spec(
        model, scale, workers=1, batch_size=modelfactory.WORKERS * scale.batch_size
    )
    records = modelfactory.snapshot_records(scale.records)
    assert records == modelfactory.snapshot_records(scale.records)  # seeded, so comparable

    data = prepare(records, ray_spec.config, load_tokenizer(model))
    assert data.train_examples == scale.records and data.eval_examples == 0
    assert data.skipped_examples == 0 and data.truncated_examples == 0
    ray_steps = steps_per_epoch(data.train_examples, scale.batch_size, 1, modelfactory.WORKERS)
    plain_steps = steps_per_epoch(data.train_examples, plain_spec.config.batch_size, 1, 1)
    # No rank pads its shard or gets a short last batch: both paths see the same examples.
    assert ray_steps == plain_steps == scale.records // (modelfactory.WORKERS * scale.batch_size)
    assert scale.records % (modelfactory.WORKERS * scale.batch_size) == 0
    assert modelfactory.FULL.records % (modelfactory.WORKERS * scale.batch_size) == 0
    assert ray_spec.config.attribution.enabled and ray_spec.job_id != plain_spec.job_id


@pytest.mark.slow
def test_modelfactory_bench_quick_ends_with_its_json_summary() -> None:
    table, summary = run_quick("modelfactory", timeout=300)
    assert summary["unit"] == "tokens/s"
    assert summary["feature_overhead"] > 0 and summary["feature_overhead_plain"] > 0
    scale = modelfactory.QUICK
    global_batch = modelfactory.WORKERS * scale.batch_size
    assert summary["examples"] == scale.records
    assert summary["steps"] == scale.epochs * scale.records // global_batch
    assert summary["global_batch"] == global_batch and summary["workers"] == modelfactory.WORKERS
    assert summary["projection_dim"] == scale.projection_dim
    # Every epoch trains on every token of the snapshot's examples once.
    assert summary["tokens"] > scale.epochs * scale.records
    assert summary["ray_wall_seconds"] > summary["ray_train_seconds"] > 0
    # The last progress report (at the last step) always reaches the run channel.
    assert summary["progress_reports"] >= 1
    assert any(line.startswith("modelfactory") and "Ray" in line for line in table)

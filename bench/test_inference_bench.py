"""``python -m bench inference --quick``: a table, then the JSON line with the agreed keys; and
the bench's adapters and prompts are what it says they are."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from bench import inference
from bench.quick import run_quick
from openledger_inference.domain.model import AdapterRef


def test_adapters_are_distinct_rank_8_safetensors_and_prompts_cycle_their_lengths(
    tmp_path: Path,
) -> None:
    torch.set_num_threads(1)
    model = inference.served_model("tiny")
    directories = inference.write_adapters(model, tmp_path, [1, 2, 3])

    files = [sorted(p.name for p in d.iterdir()) for d in directories]
    assert files == [["adapter_config.json", "adapter_model.safetensors"]] * 3
    configs = [json.loads((d / "adapter_config.json").read_text()) for d in directories]
    assert {c["r"] for c in configs} == {inference.LORA_RANK}
    assert all(sorted(c["target_modules"]) == ["q_proj", "v_proj"] for c in configs)
    hashes = {
        inference.descriptor(model, AdapterRef(f"bench-t-{i}", 1), d).adapter_sha256
        for i, d in enumerate(directories)
    }
    assert len(hashes) == 3  # each seed draws its own weights

    scale = inference.QUICK
    prompts = inference.bench_prompts(model, scale)
    assert prompts == inference.bench_prompts(model, scale)  # seeded, so both runs compare
    lengths = [len(p) for p in prompts]
    assert len(prompts) == scale.requests
    assert lengths[: len(scale.prompt_lengths)] == list(scale.prompt_lengths)
    assert all(token < model.vocab_size for p in prompts for token in p)


@pytest.mark.slow
def test_inference_bench_quick_ends_with_its_json_summary() -> None:
    table, summary = run_quick("inference")
    assert summary["unit"] == "tokens/s"
    # Mixing adapters in a batch must not change what the adapter-0 rows generate.
    assert summary["mixed_rows_match_single"] is True
    scale = inference.QUICK
    assert summary["requests"] == scale.requests and summary["adapters"] == inference.ADAPTERS
    assert 0 < summary["mixed_output_tokens"] <= scale.requests * scale.max_tokens
    if inference.chain_available():
        assert summary["cold_loads"] == scale.cold_loads
        assert 0 < summary["cold_load_p50_ms"] <= summary["cold_load_p95_ms"]
        assert 0 < summary["promote_p50_ms"] <= summary["promote_p95_ms"]
    if not torch.cuda.is_available():
        assert summary["vllm"] == "skipped: no GPU"
    assert any(line.startswith("inference") and "mixed" in line for line in table)

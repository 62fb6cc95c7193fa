"""Preparing a snapshot's records: skips, truncation, the train/eval split, the file format."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
import torch

from openledger_ml.models.loading import load_tokenizer
from openledger_ml.templates import IGNORE_INDEX
from openledger_ml.testing import tiny_llama_path
from openledger_modelfactory.domain.ports import SnapshotRecordData
from openledger_modelfactory.training.data import PreparedData, prepare, total_steps
from openledger_modelfactory.training.events import NO_USABLE_EXAMPLES, RunError
from services.modelfactory.tests.training import support


@pytest.fixture(scope="module")
def tokenizer() -> Any:
    return load_tokenizer(tiny_llama_path())


def _record(index: int, content: dict[str, Any]) -> SnapshotRecordData:
    return SnapshotRecordData(
        index=index, record_id=f"rec-{index}", contributor="0x" + "1" * 40, content=content
    )


def test_skips_records_without_slots_and_without_loss_tokens(tokenizer: Any) -> None:
    config = support.config(max_seq_length=16, eval_fraction=0.0)
    records = [
        _record(0, {"prompt": "Colour?", "text": " Red."}),
        _record(1, {"prompt": "no text field"}),  # required slot missing
        _record(2, {"prompt": "x " * 40, "text": " Lost."}),  # the prompt fills every token
        _record(3, {"prompt": "Colour?", "text": " Blue and green and " * 10}),  # cut, kept
        _record(4, {"prompt": "Colour?", "text": 7}),  # wrong type
    ]
    data = prepare(records, config, tokenizer)
    assert data.skipped_examples == 3
    assert data.truncated_examples == 2
    assert data.snapshot_indexes.tolist() == [0, 3]
    assert data.train_rows.tolist() == [0, 1]
    ids, labels = data.example(1)
    assert len(ids) == len(labels) == 16
    assert (labels != IGNORE_INDEX).any()


def test_split_depends_on_seed_and_record_id_only(tokenizer: Any) -> None:
    records = support.records(60)
    config = support.config(eval_fraction=0.3)
    data = prepare(records, config, tokenizer)
    evals = {int(data.snapshot_indexes[r]) for r in data.eval_rows}
    assert 0 < len(evals) < 60
    assert data.train_examples + data.eval_examples == 60

    shuffled = records[:]
    random.Random(1).shuffle(shuffled)
    again = prepare(shuffled, config, tokenizer)
    assert {int(again.snapshot_indexes[r]) for r in again.eval_rows} == evals

    other_seed = prepare(records, support.config(eval_fraction=0.3, seed=8), tokenizer)
    assert {int(other_seed.snapshot_indexes[r]) for r in other_seed.eval_rows} != evals


def test_keeps_snapshot_order(tokenizer: Any) -> None:
    data = prepare(support.records(20), support.config(), tokenizer)
    assert data.snapshot_indexes.tolist() == list(range(20))
    rows = torch.cat([data.train_rows, data.eval_rows]).sort().values
    assert rows.tolist() == list(range(20))


def test_safetensors_round_trip(tokenizer: Any, tmp_path: Path) -> None:
    data = prepare(support.records(25), support.config(), tokenizer)
    data.save(tmp_path / "data.safetensors")
    loaded = PreparedData.load(tmp_path / "data.safetensors")
    for name in ("tokens", "labels", "offsets", "snapshot_indexes", "train_rows", "eval_rows"):
        assert torch.equal(getattr(loaded, name), getattr(data, name)), name
    assert (loaded.skipped_examples, loaded.truncated_examples) == (
        data.skipped_examples,
        data.truncated_examples,
    )
    assert loaded.tokens.dtype == torch.int32 and loaded.snapshot_indexes.dtype == torch.int64


def test_nothing_usable_is_a_run_error(tokenizer: Any) -> None:
    records = [_record(i, {"prompt": "only a prompt"}) for i in range(5)]
    with pytest.raises(RunError) as caught:
        prepare(records, support.config(), tokenizer)
    assert caught.value.reason == NO_USABLE_EXAMPLES
    assert not caught.value.retryable


def test_total_steps() -> None:
    # 10 examples on 2 workers: 5 each, batches of 2 -> 3 batches, accumulation 2 -> 2 steps.
    common = {"batch_size": 2, "gradient_accumulation_steps": 2, "num_workers": 2}
    assert total_steps(10, epochs=3, max_steps=0, **common) == 6
    assert total_steps(10, epochs=3, max_steps=4, **common) == 4
    assert total_steps(10, epochs=1, max_steps=100, **common) == 2
    assert total_steps(1, epochs=1, max_steps=0, **common) == 1

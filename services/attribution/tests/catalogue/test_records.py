from __future__ import annotations

import dataclasses

import pytest

from openledger_attribution.adapters.records import SNAPSHOT_CORRUPT, read_records, record_text
from openledger_kit.errors import FailedPrecondition
from services.attribution.tests.support.planted import PlantedPlatform


def test_record_text_is_the_string_values_in_canonical_key_order() -> None:
    content = {
        "output": "b",
        "instruction": "a",
        "meta": {"z": "last", "n": 3, "ok": True, "none": None, "a": ["x", {"k": "y"}]},
    }
    # Keys sorted at every depth: instruction, meta (a, n, none, ok, z), output.
    assert record_text(content) == "a\nx\ny\nlast\nb"
    assert record_text({}) == ""


@pytest.mark.slow
def test_records_are_read_in_snapshot_order(planted: PlantedPlatform) -> None:
    entries = list(read_records(planted.store, planted.snapshot))
    assert [e.index for e in entries] == list(range(len(planted.records)))
    for entry, record in zip(entries, planted.records, strict=True):
        assert entry.record_id == record.record_id
        assert entry.contributor == record.contributor
        assert entry.content == record.content
        assert entry.content_hash == record.content_hash


@pytest.mark.slow
def test_a_record_count_that_differs_is_refused(planted: PlantedPlatform) -> None:
    claimed = dataclasses.replace(planted.snapshot, record_count=planted.snapshot.record_count + 1)
    with pytest.raises(FailedPrecondition) as caught:
        list(read_records(planted.store, claimed))
    assert caught.value.reason == SNAPSHOT_CORRUPT

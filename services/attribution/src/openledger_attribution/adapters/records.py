"""A snapshot's records, read from its JSON Lines file in the object store.

The file is the datanet's (``openledger_datanet.adapters.snapshot_files``): line ``i`` is the
canonical JSON of ``{"index", "record_id", "contributor", "content", "content_hash",
"curated_content_hash", "signature", "leaf_hash"}``, hashes as 0x-prefixed hex. Reading
streams: one line at a time, whatever the snapshot's size.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from openledger_attribution.domain.model import SnapshotInfo
from openledger_kit.errors import FailedPrecondition
from openledger_kit.store import Digest, ObjectStore

SNAPSHOT_CORRUPT = "SNAPSHOT_RECORDS_INVALID"
_DOMAIN = "openledger.attribution"


@dataclass(frozen=True)
class SnapshotEntry:
    """Record ``index`` of a snapshot, as attribution needs it."""

    index: int
    record_id: str
    contributor: str
    """EIP-55 address."""
    content: Mapping[str, Any]
    """The curated content (what was trained on and is indexed)."""
    content_hash: bytes
    """keccak256 of the content as its contributor signed it."""


def read_records(store: ObjectStore, snapshot: SnapshotInfo) -> Iterator[SnapshotEntry]:
    """The snapshot's records in order. ``FailedPrecondition(SNAPSHOT_RECORDS_INVALID)`` when a
    line is not a record, is out of order, or the count differs from ``record_count``:
    attribution must never pair a document with the wrong record."""
    count = 0
    with store.open(Digest(snapshot.jsonl_digest), verify=True) as lines:
        for line in lines:
            entry = _entry(snapshot, count, line)
            count += 1
            yield entry
    if count != snapshot.record_count:
        raise _invalid(snapshot, f"holds {count} records, the snapshot has {snapshot.record_count}")


def record_text(content: Mapping[str, Any]) -> str:
    """The text of a record as the span index sees it: every string value of ``content``,
    depth-first, object keys in sorted (canonical JSON) order and array items in order,
    joined by ``"\\n"``. Keys, numbers, booleans and nulls are not text. So
    ``{"output": "b", "instruction": "a"}`` reads ``"a\\nb"``."""
    return "\n".join(_strings(content))


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for key in sorted(value):
            yield from _strings(value[key])
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _entry(snapshot: SnapshotInfo, expected: int, line: bytes) -> SnapshotEntry:
    try:
        data = json.loads(line)
        entry = SnapshotEntry(
            index=int(data["index"]),
            record_id=str(data["record_id"]),
            contributor=str(data["contributor"]),
            content=data["content"],
            content_hash=bytes.fromhex(str(data["content_hash"]).removeprefix("0x")),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise _invalid(snapshot, f"line {expected + 1} is not a record ({exc})") from exc
    if entry.index != expected:
        raise _invalid(snapshot, f"line {expected + 1} holds record {entry.index}")
    if not isinstance(entry.content, Mapping):
        raise _invalid(snapshot, f"record {expected}'s content is not a JSON object")
    return entry


def _invalid(snapshot: SnapshotInfo, message: str) -> FailedPrecondition:
    return FailedPrecondition(
        f"snapshot {snapshot.name}: records file {snapshot.jsonl_digest}: {message}",
        reason=SNAPSHOT_CORRUPT,
        domain=_DOMAIN,
    )

"""Dead-letter entries: the original entry's fields plus why and when it was given up on.

A dead-letter entry on ``<key>:dlq`` keeps every field of the original entry unchanged (so it
can be re-driven by XADDing those fields back) and adds ``dlq_*`` fields: the original entry
id, the group and consumer that gave up, the delivery count and the last error.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from redis.typing import EncodableT, FieldT


def dead_letter_fields(
    original: Mapping[bytes, bytes] | None,
    *,
    origin_id: str,
    group: str,
    consumer: str,
    deliveries: int,
    error: str,
) -> dict[FieldT, EncodableT]:
    """The fields of the dead-letter entry for ``original``."""
    fields: dict[FieldT, EncodableT] = {}
    for name, value in (original or {}).items():
        fields[name] = value
    fields.update(
        {
            b"dlq_origin_id": origin_id,
            b"dlq_group": group,
            b"dlq_consumer": consumer,
            b"dlq_deliveries": deliveries,
            b"dlq_error": error[:4096],
            b"dlq_time_ms": time.time_ns() // 1_000_000,
        }
    )
    return fields

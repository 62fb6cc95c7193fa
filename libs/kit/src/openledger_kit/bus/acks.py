"""Acknowledging entries: XACK together with the done marks, and dead letters with theirs.

Both are atomic. A handled entry's done mark and its XACK go in one Lua call, so an entry is
never acknowledged without its event id being recorded (nor the reverse). A dead letter's XADD
and the XACK of the original go in one MULTI, so an entry is neither lost nor dead-lettered
twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

from redis.asyncio import Redis

from openledger_kit.bus.deadletter import dead_letter_fields
from openledger_kit.bus.streams import Stream

# Ids come newline-joined in one argument each: entry ids are Redis's "ms-seq" and event ids
# never contain a newline (envelope.valid_event_id). redis-py packs arguments one by one in
# Python; at several arguments per event that costs more than handling the event does.
_ACK_LUA = r"""
local function split(s)
  local parts = {}
  for part in string.gmatch(s, "[^\n]+") do parts[#parts + 1] = part end
  return parts
end
local step = 1000  -- unpack() is bounded by the Lua C stack
local events = split(ARGV[4])
for i = 1, #events, step do
  local args = {}
  for j = i, math.min(i + step - 1, #events) do
    args[#args + 1] = ARGV[2]
    args[#args + 1] = events[j]
  end
  redis.call('ZADD', KEYS[2], unpack(args))
end
local ids = split(ARGV[3])
local acked = 0
for i = 1, #ids, step do
  acked = acked + redis.call('XACK', KEYS[1], ARGV[1], unpack(ids, i, math.min(i + step - 1, #ids)))
end
return acked
"""


class DeadLetter(NamedTuple):
    """An entry to move to the dead-letter stream."""

    entry_id: bytes
    fields: Mapping[bytes, bytes] | None
    deliveries: int
    error: str


class Acknowledger:
    """Acknowledges entries of one stream for one group."""

    def __init__(
        self, redis: Redis, stream: Stream, group: str, *, done_key: str, dead_letter_maxlen: int
    ) -> None:
        self._redis = redis
        self._stream = stream
        self._group = group
        self._done_key = done_key
        self._dead_letter_maxlen = dead_letter_maxlen
        self._ack = redis.register_script(_ACK_LUA)

    async def ack(
        self, entry_ids: Sequence[bytes], done_event_ids: Sequence[str], now_ms: int
    ) -> None:
        """XACK ``entry_ids`` and mark ``done_event_ids`` done at ``now_ms``, atomically."""
        if entry_ids:
            await self._ack(
                keys=[self._stream.key, self._done_key],
                args=[self._group, now_ms, b"\n".join(entry_ids), "\n".join(done_event_ids)],
            )

    async def dead_letter(self, entries: Sequence[DeadLetter], *, consumer: str) -> None:
        """Append each entry to ``<key>:dlq`` and XACK it, in one MULTI."""
        if not entries:
            return
        pipe = self._redis.pipeline(transaction=True)
        for entry in entries:
            pipe.xadd(
                self._stream.dead_letter_key,
                dead_letter_fields(
                    entry.fields,
                    origin_id=entry.entry_id.decode(),
                    group=self._group,
                    consumer=consumer,
                    deliveries=entry.deliveries,
                    error=entry.error,
                ),
                maxlen=self._dead_letter_maxlen,
                approximate=True,
            )
        pipe.xack(self._stream.key, self._group, *(entry.entry_id for entry in entries))
        await pipe.execute()

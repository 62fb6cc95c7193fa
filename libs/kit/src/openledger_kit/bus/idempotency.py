"""The done-set: which event ids a consumer group has finished, for deduplication by event id.

One sorted set per stream and group (``<key>:done:<group>``), member = event id, score = the
time it was finished in ms. The consumer checks a whole batch before handling and records the
finished ids atomically with their XACK (``acks``); ids older than the retention are trimmed.

The crash window: a handler whose effect lives outside Redis (a database row, a chain
transaction) can commit its effect and then die before the mark and XACK. The entry is then
delivered again, and the done-set does not know it. Such handlers must still be idempotent
(an upsert, a unique key, a check of the chain). A handler whose effect is in the same Redis can
close the window: ``EventContext.mark_done(pipe)`` adds the mark to the handler's own MULTI,
or a Lua script can check ``ZSCORE <done_key> <event_id>`` and ``ZADD`` it together with the
effect, which also guards against two consumers handling the same event at once.
"""

from __future__ import annotations

from collections.abc import Sequence

from redis.asyncio import Redis

# Event ids arrive newline-joined in one argument (they never contain one, see
# ``envelope.valid_event_id``), and the reply holds only the 1-based positions of the ids
# already done: usually empty. One argument and a tiny reply instead of ZMSCORE's one argument
# and one reply element per id, which redis-py packs and parses in Python.
_SEEN_LUA = r"""
local hits = {}
local i = 0
for id in string.gmatch(ARGV[1], "[^\n]+") do
  i = i + 1
  if redis.call('ZSCORE', KEYS[1], id) then hits[#hits + 1] = i end
end
return hits
"""


class DoneSet:
    """The done-set of one stream and group."""

    def __init__(self, redis: Redis, key: str, *, retention_seconds: float) -> None:
        self.key = key
        self.retention_ms = int(retention_seconds * 1000)
        self._redis = redis
        self._seen = redis.register_script(_SEEN_LUA)

    async def seen(self, event_ids: Sequence[str]) -> set[int]:
        """Indices into ``event_ids`` of the ids already marked done."""
        if not event_ids:
            return set()
        hits: list[int] = await self._seen(keys=[self.key], args=["\n".join(event_ids)])
        return {hit - 1 for hit in hits}

    async def trim(self, now_ms: int) -> int:
        """Forget ids finished longer ago than the retention; returns how many were dropped."""
        removed: int = await self._redis.zremrangebyscore(
            self.key, "-inf", f"({now_ms - self.retention_ms}"
        )
        return removed

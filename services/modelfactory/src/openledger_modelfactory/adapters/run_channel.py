"""A job's run channel: the Redis stream through which a training run talks to the service.

The run (driver and rank 0 of the Ray workers, possibly on other machines) appends
``training.events`` messages to ``ol:modelfactory:run:{job_id}`` with the synchronous
``RunChannel``; the service's job runner reads them in order with ``AsyncRunChannel``. The
attempt counter beside the stream survives driver relaunches, so attempts are numbered across
Ray's own restarts and the job runner's relaunches alike.
"""

from __future__ import annotations

from typing import cast

import redis
import redis.asyncio as aioredis

from openledger_modelfactory.training.events import RunEvent, decode, encode

FIELD = "event"

# INCR, but never below the launch's first attempt: a relaunched driver (first_attempt = n + 1)
# continues the count whether or not the previous launch's counter is still there.
_NEXT_ATTEMPT = """
local value = redis.call('INCR', KEYS[1])
local first = tonumber(ARGV[1])
if value < first then
  redis.call('SET', KEYS[1], first)
  value = first
end
return value
"""


def stream_key(job_id: str) -> str:
    return f"ol:modelfactory:run:{job_id}"


def attempts_key(job_id: str) -> str:
    return f"ol:modelfactory:run:{job_id}:attempts"


class RunChannel:
    """The writing side, synchronous (redis-py): used by the driver and by Ray workers."""

    def __init__(self, redis_url: str) -> None:
        self._redis = redis.Redis.from_url(redis_url)
        self._next_attempt = self._redis.register_script(_NEXT_ATTEMPT)

    def publish(self, job_id: str, event: RunEvent) -> str:
        """Append ``event``; returns its stream entry id."""
        entry = self._redis.xadd(stream_key(job_id), {FIELD: encode(event)})
        return entry.decode() if isinstance(entry, bytes) else str(entry)

    def next_attempt(self, job_id: str, first_attempt: int = 1) -> int:
        """The next attempt number of the job, at least ``first_attempt`` (``RunSpec``)."""
        return int(cast(int, self._next_attempt(keys=[attempts_key(job_id)], args=[first_attempt])))

    def close(self) -> None:
        self._redis.close()


class AsyncRunChannel:
    """The reading side for the service's job runner (``domain.ports.RunChannel``)."""

    def __init__(self, redis_url: str) -> None:
        self._redis = aioredis.Redis.from_url(redis_url)

    async def read(
        self, job_id: str, after: str, *, block_ms: int = 1000
    ) -> list[tuple[str, RunEvent]]:
        """Messages after entry id ``after`` ("0" for all), waiting up to ``block_ms``.
        Messages of kinds this version does not know are skipped; when a read finds only
        those, it reads on past them, so the caller's cursor never stalls behind one."""
        while True:
            reply = cast(
                list[tuple[bytes, list[tuple[bytes, dict[bytes, bytes]]]]],
                await self._redis.xread({stream_key(job_id): after}, block=block_ms),
            )
            out: list[tuple[str, RunEvent]] = []
            for _stream, entries in reply or []:
                for entry_id, fields in entries:
                    after = entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)
                    event = decode(fields[FIELD.encode()])
                    if event is not None:
                        out.append((after, event))
            if out or not reply:
                return out

    async def delete(self, job_id: str) -> None:
        """Remove the stream and its attempt counter (the job is finished with them)."""
        await self._redis.delete(stream_key(job_id), attempts_key(job_id))

    async def close(self) -> None:
        await self._redis.aclose()

"""Sortable unique ids (UUIDv7 strings) for events, resources and batches; free of any
transport, so domain code takes its ids from here."""

from __future__ import annotations

import random
import threading
import time


class _Uuid7:
    """UUIDv7 strings (RFC 9562): 48-bit Unix ms, then a 12-bit counter, then 62 random bits.

    The counter makes ids from one process strictly increasing even within a millisecond, so
    ids sort by creation time as strings.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_ms = 0
        self._counter = 0

    def take(self, n: int) -> list[str]:
        """``n`` consecutive ids."""
        with self._lock:
            ms = time.time_ns() // 1_000_000
            if ms > self._last_ms:
                self._last_ms, self._counter = ms, -1
            stamps = []
            for _ in range(n):
                # Same millisecond (or the clock stepped back): count on from the last id.
                self._counter += 1
                if self._counter > 0xFFF:
                    self._last_ms, self._counter = self._last_ms + 1, 0
                stamps.append((self._last_ms << 16) | 0x7000 | self._counter)
        # Uniqueness, not secrecy, is what the random bits are for; random (reseeded after
        # fork) is several times cheaper than os.urandom on the publish hot path.
        getrandbits = random.getrandbits
        ids = []
        for stamp in stamps:
            h = f"{(stamp << 64) | 0x8000_0000_0000_0000 | getrandbits(62):032x}"
            ids.append(f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}")
        return ids

    def next(self) -> str:
        """One new id."""
        return self.take(1)[0]


_ids = _Uuid7()
new_id = _ids.next
"""A new sortable id (UUIDv7 string)."""
new_ids = _ids.take
"""``n`` new sortable ids, in order."""

"""64-bit time-sortable ids in Instagram's layout: ms since epoch | logical shard | sequence.

41 bits of milliseconds since SHUTTER_EPOCH, 13 bits of logical shard, 10 bits of sequence.
A row's shard is its owner's shard, so one user's data can live on one physical database.
"""

from __future__ import annotations

import itertools
import os
import random
import threading
import time
from datetime import datetime

EPOCH_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z
SHARD_BITS = 13
SEQUENCE_BITS = 10
SHARD_COUNT = 1 << SHARD_BITS
_SEQUENCE_MASK = (1 << SEQUENCE_BITS) - 1
_TIME_SHIFT = SHARD_BITS + SEQUENCE_BITS


def compose(ms: int, shard: int, sequence: int) -> int:
    return ((ms - EPOCH_MS) << _TIME_SHIFT) | (shard << SEQUENCE_BITS) | (sequence & _SEQUENCE_MASK)


def shard_of(entity_id: int) -> int:
    return (entity_id >> SEQUENCE_BITS) & (SHARD_COUNT - 1)


def timestamp_ms_of(entity_id: int) -> int:
    return (entity_id >> _TIME_SHIFT) + EPOCH_MS


def lowest_id_at(moment: datetime) -> int:
    """The smallest id that could have been made at `moment` (for time-range queries)."""
    return compose(int(moment.timestamp() * 1000), 0, 0)


class IdGenerator:
    """Makes ids in one process.

    The sequence starts at a random point per process and wraps, so two processes would
    have to make an id for the same shard in the same millisecond at the same sequence
    value to collide; within a process, the lock and the monotonic clock make ids unique
    and increasing.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_ms = 0
        self._used_this_ms = 0
        self._sequence = itertools.count(random.randrange(1 << SEQUENCE_BITS) ^ os.getpid())

    def next_id(self, shard: int) -> int:
        with self._lock:
            ms = int(time.time() * 1000)
            if ms <= self._last_ms:
                ms = self._last_ms
                self._used_this_ms += 1
                if self._used_this_ms > _SEQUENCE_MASK:  # sequence space spent: borrow the next ms
                    ms += 1
                    self._used_this_ms = 0
            else:
                self._used_this_ms = 0
            self._last_ms = ms
            return compose(ms, shard % SHARD_COUNT, next(self._sequence))

    def new_shard(self) -> int:
        """Shard for a new account (uniform; a home region would pick a range instead)."""
        return random.randrange(SHARD_COUNT)


ids = IdGenerator()


MAX_ID = (1 << 63) - 1


def parse_id(raw: object) -> int | None:
    """An id as clients send it (string or number), or None if it cannot name a row."""
    text = str(raw).strip()
    if not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if value <= MAX_ID else None

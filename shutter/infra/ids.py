"""64-bit time-sortable ids in Instagram's layout: ms since epoch | logical shard | sequence.

41 bits of milliseconds since SHUTTER_EPOCH, 13 bits of logical shard, 10 bits of sequence.
A row's shard is its owner's shard, so one user's data can live on one physical database.
"""

from __future__ import annotations

import itertools
import os
import random
import re
import threading
import time
from datetime import datetime

from starlette.convertors import Convertor, register_url_convertor

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
"""The largest id: ids are positive signed 64-bit integers (PostgreSQL's and SQLite's)."""


def _decimals_up_to(limit: int) -> str:
    """A regex of the ASCII decimal numbers from 0 to `limit` (leading zeros allowed):
    any shorter number, or one of the same length that is not greater, digit by digit."""
    digits = str(limit)
    same_length = [
        f"{digits[:i]}[0-{int(d) - 1}][0-9]{{{len(digits) - i - 1}}}"
        for i, d in enumerate(digits)
        if d != "0"
    ]
    return f"0*(?:[0-9]{{1,{len(digits) - 1}}}|{'|'.join([*same_length, digits])})"


ID_PATTERN = _decimals_up_to(MAX_ID)
"""An id as text: ASCII digits naming 0..MAX_ID. No sign, space, fraction, exponent or
other script's digits (`int()` takes '²' and '١'), and nothing a database column cannot
hold, so an id that passes reaches SQL safely on SQLite and PostgreSQL alike."""

_ID = re.compile(ID_PATTERN)
_DIGITS = re.compile(r"[0-9]+")


def parse_id(raw: object) -> int | None:
    """An id as clients send it (ASCII digits, or a JSON integer), or None if it cannot
    name a row: malformed or out of 0..MAX_ID. The one parser of ids in requests."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if 0 <= raw <= MAX_ID else None
    if isinstance(raw, str) and _ID.fullmatch(raw):
        return _int(raw)
    return None


def parse_cursor(raw: object) -> int | None:
    """A pagination bound (max_id, since_id, min_id): an id, except that a number past
    MAX_ID is read as MAX_ID, which bounds the same rows; None if it is not a number."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return min(raw, MAX_ID) if raw >= 0 else None
    if not (isinstance(raw, str) and _DIGITS.fullmatch(raw)):
        return None
    # Length first: int() of thousands of digits costs, and refuses past 4,300 of them.
    return MAX_ID if len(raw.lstrip("0")) > len(str(MAX_ID)) else min(_int(raw), MAX_ID)


def _int(digits: str) -> int:
    """ASCII digits of at most 19 significant ones (any number of leading zeros)."""
    return int(digits.lstrip("0") or "0")


class IdConvertor(Convertor[int]):
    """Path parameter `{name:id}`: only text `parse_id` accepts matches, so a path with
    a malformed or out-of-range id matches no route and is a 404, as an unknown id is."""

    regex = ID_PATTERN

    def convert(self, value: str) -> int:
        return _int(value)

    def to_string(self, value: int) -> str:
        return str(value)


# Registered where the ids are defined: every route module imports this one (through
# shutter.infra.params) before it declares a `{name:id}` path.
register_url_convertor("id", IdConvertor())

"""A per-process copy of a small table that every request reads (the instance rules,
the custom emojis): read once, kept for a while, forgotten when this process changes
the table, kept while the database is unreachable.

Reading it again must never wait for a database connection while many requests wait
for it: they hold their own request's connection, and once the pool is spent the one
read they all wait for could never get one (the pool's timeout, 30 s of 503s, was the
result). So a copy that has merely aged is still handed out while one background read
replaces it; only a copy that is known to be wrong (forgotten after a change here) or
missing (a new process) is waited for, by one read that all callers share.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.infra.context import AppContext
from shutter.infra.health import is_unavailable

T = TypeVar("T")
log = structlog.get_logger("shutter.infra")


class ProcessCopy(Generic[T]):
    """`load` read at most every `seconds`, shared by this process's requests."""

    def __init__(
        self, load: Callable[[AsyncSession], Awaitable[T]], *, seconds: float, empty: T
    ) -> None:
        self._load = load
        self._seconds = seconds
        self._empty = empty
        self._value: T | None = None
        self._read_at = 0.0
        self._wrong = True  # nothing read yet
        self._reading: asyncio.Task[T] | None = None

    async def current(self, ctx: AppContext) -> T:
        if self._value is not None and not self._wrong:
            if time.monotonic() - self._read_at >= self._seconds:
                self._read(ctx)  # aged: replaced in the background, handed out meanwhile
            return self._value
        return await asyncio.shield(self._read(ctx))

    def forget(self) -> None:
        """Called after this process committed a change: the copy is wrong now."""
        self._wrong = True
        self._reading = None  # a read begun before the commit may not see the change

    def _read(self, ctx: AppContext) -> asyncio.Task[T]:
        if self._reading is None or self._reading.done():
            task = asyncio.get_running_loop().create_task(self._read_now(ctx))
            task.add_done_callback(_report_failure)  # a background read has no awaiter
            self._reading = task
        return self._reading

    async def _read_now(self, ctx: AppContext) -> T:
        started = self._reading
        try:
            async with ctx.db.read() as session:
                value = await self._load(session)
        except Exception as exc:
            if not is_unavailable(exc):
                raise
            # The last copy read (none if never read); read again on the next call.
            return self._value if self._value is not None else self._empty
        if self._reading is started:  # not forgotten meanwhile
            self._value, self._read_at, self._wrong = value, time.monotonic(), False
        return value


def _report_failure(task: asyncio.Task[T]) -> None:
    if not task.cancelled() and (exc := task.exception()) is not None:
        log.error("process_copy_read_failed", error=repr(exc))

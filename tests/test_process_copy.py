"""A per-process copy of a small table (infra/process_copy.py: the rules, the emojis)
never makes requests wait on a read that needs a connection they may all be holding."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncSession

from shutter.infra.context import AppContext
from shutter.infra.process_copy import ProcessCopy


class Counting:
    def __init__(self) -> None:
        self.reads = 0
        self.gate = asyncio.Event()
        self.gate.set()

    async def load(self, session: AsyncSession) -> int:
        self.reads += 1
        await self.gate.wait()
        return self.reads


async def test_an_aged_copy_is_handed_out_while_one_read_replaces_it(ctx: AppContext) -> None:
    table = Counting()
    copy = ProcessCopy(table.load, seconds=0.0, empty=0)
    assert await copy.current(ctx) == 1
    table.gate.clear()  # the next read hangs, as it would with the pool spent
    answers = await asyncio.wait_for(
        asyncio.gather(*(copy.current(ctx) for _ in range(50))), timeout=5
    )
    assert answers == [1] * 50
    assert table.reads == 2  # one read in the background for all fifty
    table.gate.set()
    await asyncio.sleep(0.05)
    assert await copy.current(ctx) == 2


async def test_a_forgotten_copy_is_read_again_once_for_every_caller(ctx: AppContext) -> None:
    table = Counting()
    copy = ProcessCopy(table.load, seconds=3600.0, empty=0)
    assert await copy.current(ctx) == 1
    assert await copy.current(ctx) == 1  # kept
    copy.forget()  # this process changed the table: the old copy must not be served
    answers = await asyncio.gather(*(copy.current(ctx) for _ in range(20)))
    assert answers == [2] * 20 and table.reads == 2

"""The job queue's leases: a long job keeps its lease, so no second worker takes it."""

from __future__ import annotations

import asyncio
from typing import Any

from shutter.infra.context import AppContext
from shutter.infra.jobs import JobKind, claim, enqueue, execute_all, handles

runs: list[str] = []


SLOW = JobKind("test.slow", timeout_seconds=30)


@handles(SLOW)
async def _slow(ctx: AppContext, payload: dict[str, Any]) -> None:
    runs.append(payload["name"])
    await asyncio.sleep(payload["seconds"])


async def test_a_long_job_and_its_batch_keep_their_leases(ctx: AppContext) -> None:
    runs.clear()
    lease = ctx.settings.job_lease_seconds
    ctx.settings.job_lease_seconds = 1
    try:
        async with ctx.db.write() as session:
            enqueue(session, SLOW, {"name": "first", "seconds": 2.5})
            enqueue(session, SLOW, {"name": "second", "seconds": 0})
        claimed = await claim(ctx, limit=10)
        assert len(claimed) == 2
        worker = asyncio.create_task(execute_all(ctx, claimed))
        await asyncio.sleep(1.8)  # past the original lease of both jobs
        assert await claim(ctx, limit=10) == []  # renewed: a second worker gets nothing
        await worker
    finally:
        ctx.settings.job_lease_seconds = lease
    assert runs == ["first", "second"]
    assert await claim(ctx, limit=10) == []

"""Periodic jobs: each registered kind is enqueued at most once per interval, cluster-wide.

Every job worker calls `enqueue_due` now and then (`SHUTTER_PERIODIC_CHECK_SECONDS`). A
marker row per kind in the jobs table (status `periodic`, which workers never claim;
`run_at` = when it is next due) is the lock: a worker enqueues the job only if its
conditional UPDATE moved `run_at` forward, in the same transaction as the enqueue. On
PostgreSQL a second worker's UPDATE waits for the first's row lock and then finds the
row no longer due; on SQLite writers are serialised. So however many workers run, a
period yields one job, and a crash before commit yields none (the next check tries
again). The job itself is an ordinary job: retried, timed out, logged.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import update

from shutter.infra.db import insert_ignoring_conflicts, utcnow
from shutter.infra.jobs import Job, JobKind, enqueue

if TYPE_CHECKING:
    from shutter.infra.context import AppContext
    from shutter.infra.settings import Settings

PERIODIC = "periodic"

# Marker ids sit below 2**22: ids.next_id() never makes ids that small (they start with
# the milliseconds since the epoch, shifted left by 23 bits), so no job can collide.
_MARKER_ID_SPACE = 2**22


def marker_id(kind: str) -> int:
    return 1 + zlib.crc32(kind.encode()) % (_MARKER_ID_SPACE - 1)


@dataclass(frozen=True)
class Periodic:
    kind: JobKind
    interval_seconds: Callable[[Settings], float]
    payload: dict[str, Any]


_schedule: dict[str, Periodic] = {}


def periodic(
    kind: JobKind, *, every: Callable[[Settings], float], payload: dict[str, Any] | None = None
) -> None:
    """Enqueue a job of `kind` every `every(settings)` seconds (its handler: `handles`)."""
    name = kind.name
    taken = {marker_id(other): other for other in _schedule if other != name}
    if marker_id(name) in taken:
        raise ValueError(f"periodic kinds {name!r} and {taken[marker_id(name)]!r} collide")
    _schedule[name] = Periodic(kind, every, payload or {})


async def enqueue_due(ctx: AppContext, *, now: datetime | None = None) -> list[str]:
    """Enqueue every periodic job that is due; returns the kinds this call enqueued."""
    now = now or utcnow()
    enqueued: list[str] = []
    for item in list(_schedule.values()):
        marker = marker_id(item.kind.name)
        async with ctx.db.write() as session:
            # First sight of a kind: due at once, so a fresh install runs it on start.
            await insert_ignoring_conflicts(
                session,
                Job,
                [
                    {
                        "id": marker,
                        "kind": item.kind.name,
                        "payload": {},
                        "status": PERIODIC,
                        "attempts": 0,
                        "run_at": now,
                        "created_at": now,
                    }
                ],
            )
            result = await session.execute(
                update(Job)
                .where(Job.id == marker, Job.status == PERIODIC, Job.run_at <= now)
                .values(run_at=now + timedelta(seconds=item.interval_seconds(ctx.settings)))
                .execution_options(synchronize_session=False)
            )
            if result.rowcount == 1:  # type: ignore[attr-defined]
                enqueue(session, item.kind, dict(item.payload))
                enqueued.append(item.kind.name)
    return enqueued

"""A durable job queue in the database: the outbox and the queue are one table.

A job is a row written in the same transaction as the change that causes it, so a crash
between commit and enqueue cannot lose it. Workers claim rows atomically (FOR UPDATE SKIP
LOCKED on PostgreSQL; SQLite's single writer makes the UPDATE itself atomic) under a
lease: a worker killed mid-job leaves a row whose lease runs out and is claimed again.
Delivery is therefore at-least-once and every handler must be safe to run twice.
Failures retry with exponential backoff; after `job_max_attempts` the row is kept as
`dead` with its last error, for an operator to read.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import structlog
from sqlalchemy import (
    JSON,
    BigInteger,
    Index,
    Integer,
    String,
    Text,
    delete,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from shutter.infra.db import Base, UTCDateTime, on_commit, utcnow
from shutter.infra.ids import ids

if TYPE_CHECKING:
    from shutter.infra.context import AppContext

log = structlog.get_logger("shutter.jobs")

QUEUED, RUNNING, DEAD = "queued", "running", "dead"


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_claim", "status", "run_at"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10), default=QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    run_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


Handler = Callable[["AppContext", dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class JobKind:
    """A kind of job: its name in the queue and how long one run may take.

    The service whose work it is declares it where the work is enqueued (its `service`);
    `handles` binds it to a handler in the service's `jobs.py`. Code never names a kind by
    a string, so a kind without a handler or a misspelt one is an import error, not a
    dead job.
    """

    name: str
    timeout_seconds: float = 30.0


@dataclass(frozen=True)
class _Registered:
    kind: JobKind
    handler: Handler


_registry: dict[str, _Registered] = {}
_wakeups: set[asyncio.Event] = set()


def handles(kind: JobKind) -> Callable[[Handler], Handler]:
    """Register an async handler `(ctx, payload)` for jobs of `kind`."""

    def register(handler: Handler) -> Handler:
        _registry[kind.name] = _Registered(kind, handler)
        return handler

    return register


def handler_of(kind: JobKind) -> Handler | None:
    found = _registry.get(kind.name)
    return found.handler if found else None


def _wake_local_workers() -> None:
    for event in _wakeups:
        event.set()


def enqueue(
    session: AsyncSession, kind: JobKind, payload: dict[str, Any], *, delay: float = 0
) -> None:
    """Add a job to the caller's transaction; it becomes visible to workers on commit."""
    session.add(
        Job(
            id=ids.next_id(0),
            kind=kind.name,
            payload=payload,
            run_at=utcnow() + timedelta(seconds=delay),
        )
    )
    on_commit(session, _wake_local_workers)


def backoff_seconds(attempts: int) -> float:
    return min(3600.0, 2.0**attempts) * random.uniform(0.5, 1.0)


@dataclass
class ClaimedJob:
    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    run_at: datetime


async def claim(ctx: AppContext, *, limit: int) -> list[ClaimedJob]:
    now = utcnow()
    due = (
        select(Job.id)
        .where(
            ((Job.status == QUEUED) & (Job.run_at <= now))
            | ((Job.status == RUNNING) & (Job.locked_until < now))
        )
        .order_by(Job.run_at, Job.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    lease = now + timedelta(seconds=ctx.settings.job_lease_seconds)
    async with ctx.db.write() as session:
        rows = await session.execute(
            update(Job)
            .where(Job.id.in_(due.scalar_subquery()))
            .values(status=RUNNING, attempts=Job.attempts + 1, locked_until=lease)
            .returning(Job.id, Job.kind, Job.payload, Job.attempts, Job.run_at)
            .execution_options(synchronize_session=False)
        )
        # RETURNING has no order: run the batch oldest first.
        return sorted((ClaimedJob(*row) for row in rows.all()), key=lambda j: (j.run_at, j.id))


async def _finish(ctx: AppContext, claimed: ClaimedJob, error: str | None) -> str:
    """Record the outcome, if this worker still holds the job (same attempt number)."""
    mine = (Job.id == claimed.id) & (Job.attempts == claimed.attempts)
    async with ctx.db.write() as session:
        if error is None:
            await session.execute(delete(Job).where(mine))
            return "done"
        if claimed.attempts >= ctx.settings.job_max_attempts:
            await session.execute(
                update(Job).where(mine).values(status=DEAD, locked_until=None, last_error=error)
            )
            return "dead"
        retry_at = utcnow() + timedelta(seconds=backoff_seconds(claimed.attempts))
        await session.execute(
            update(Job)
            .where(mine)
            .values(status=QUEUED, run_at=retry_at, locked_until=None, last_error=error)
        )
        return "retry"


async def execute(ctx: AppContext, claimed: ClaimedJob) -> str:
    registered = _registry.get(claimed.kind)
    waited_ms = max(0.0, (utcnow() - claimed.run_at).total_seconds() * 1000)
    started = time.perf_counter()
    error: str | None = None
    if registered is None:
        error = f"no handler for job kind {claimed.kind!r}"
    else:
        try:
            async with asyncio.timeout(registered.kind.timeout_seconds):
                await registered.handler(ctx, claimed.payload)
        except Exception as exc:  # a failing job must never take the worker down
            error = f"{type(exc).__name__}: {exc}"[:2000]
    outcome = await _finish(ctx, claimed, error)
    log.info(
        "job",
        kind=claimed.kind,
        job_id=claimed.id,
        attempt=claimed.attempts,
        wait_ms=round(waited_ms, 1),
        run_ms=round((time.perf_counter() - started) * 1000, 1),
        outcome=outcome,
        error=error,
    )
    return outcome


async def _renew_leases(ctx: AppContext, jobs: list[ClaimedJob]) -> None:
    lease = utcnow() + timedelta(seconds=ctx.settings.job_lease_seconds)
    mine = or_(*[(Job.id == job.id) & (Job.attempts == job.attempts) for job in jobs])
    async with ctx.db.write() as session:
        await session.execute(
            update(Job)
            .where(mine & (Job.status == RUNNING))
            .values(locked_until=lease)
            .execution_options(synchronize_session=False)
        )


async def execute_all(ctx: AppContext, claimed: list[ClaimedJob]) -> None:
    """Run a claimed batch in order, renewing the leases of the jobs not finished yet.

    Without renewal a long job (a video transcode), or the last jobs of a batch waiting
    behind it, would outlive their lease and be claimed by a second worker.
    """
    pending = {job.id: job for job in claimed}

    async def keep_leases() -> None:
        interval = max(0.5, ctx.settings.job_lease_seconds / 3)
        while pending:
            await asyncio.sleep(interval)
            try:
                await _renew_leases(ctx, list(pending.values()))
            except Exception:  # the lease may lapse; at-least-once handlers tolerate that
                log.warning("job_lease_renewal_failed", exc_info=True)

    renewer = asyncio.create_task(keep_leases())
    try:
        for job in claimed:
            await execute(ctx, job)
            del pending[job.id]
    finally:
        renewer.cancel()


async def run_worker(ctx: AppContext, stop: asyncio.Event, *, batch: int = 10) -> None:
    """Claim and run jobs until `stop` is set; sleeps until woken or the poll interval."""
    # Imported here: periodic enqueues through this module.
    from shutter.infra.periodic import enqueue_due

    wake = asyncio.Event()
    _wakeups.add(wake)
    next_periodic_check = 0.0
    try:
        while not stop.is_set():
            if time.monotonic() >= next_periodic_check:
                next_periodic_check = time.monotonic() + ctx.settings.periodic_check_seconds
                try:
                    await enqueue_due(ctx)
                except Exception:  # like a failed claim: the next check tries again
                    log.exception("periodic_enqueue_failed")
            try:
                claimed = await claim(ctx, limit=batch)
            except Exception:  # database briefly unreachable: keep polling
                log.exception("job_claim_failed")
                claimed = []
            await execute_all(ctx, claimed)
            if claimed:
                continue
            wake.clear()
            waiters = [asyncio.ensure_future(wake.wait()), asyncio.ensure_future(stop.wait())]
            await asyncio.wait(
                waiters, timeout=ctx.settings.job_poll_seconds, return_when=asyncio.FIRST_COMPLETED
            )
            for waiter in waiters:
                waiter.cancel()
    finally:
        _wakeups.discard(wake)


async def drain(ctx: AppContext, *, max_rounds: int = 1000) -> int:
    """Run due jobs until none are left (tests, `shutter worker --once`); returns the count."""
    done = 0
    for _ in range(max_rounds):
        claimed = await claim(ctx, limit=50)
        if not claimed:
            break
        await execute_all(ctx, claimed)
        done += len(claimed)
    return done

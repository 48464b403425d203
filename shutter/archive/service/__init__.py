"""Exports: an account's archive, requested through the API and built by a job.

A request makes an `archive_exports` row (`queued`) and enqueues the build in the same
transaction; the job (shutter/archive/jobs.py, building in `building.py`) moves it to
`running`, keeps its progress, and ends it `done` with the zip in blob storage, or
`failed` with a reason once the job system's attempts are spent (an earlier failure
puts it back to `queued`, its `error` saying why, and the job is retried). A done
archive can be downloaded by its owner until it expires; a periodic job deletes it then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.accounts import service as accounts
from shutter.archive.models import Export, Import
from shutter.infra.db import utcnow
from shutter.infra.errors import ApiError, not_found
from shutter.infra.formats import iso
from shutter.infra.ids import ids, shard_of
from shutter.infra.jobs import JobKind, enqueue

# One run may copy gigabytes of originals; the worker renews the lease meanwhile.
BUILD = JobKind("archive.build_export", timeout_seconds=3600)
SWEEP = JobKind("archive.sweep_exports", timeout_seconds=120)
REMOVE_ACCOUNT = JobKind("archive.remove_account", timeout_seconds=120)

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
ACTIVE = (QUEUED, RUNNING)

# Mastodon lets a person ask for an archive once every few days; a day here, since a
# Shutter archive is mostly the person's own photos and they may want it again soon.
EXPORT_INTERVAL = timedelta(days=1)
EXPORT_LIFETIME = timedelta(days=7)
# An export still queued or running after this long lost its job (a worker killed on its
# last attempt, a timeout): the sweep ends it as failed, so the owner may ask again.
STALE_AFTER = timedelta(hours=12)
SWEEP_INTERVAL_SECONDS = 6 * 3600.0  # an expired archive stays at most this much longer
LISTED = 20


def storage_key(export_id: int) -> str:
    """Private (not under a public prefix) and not of the media sweep's `<prefix>/<id>/…`
    shape, which it would take for an orphaned media file."""
    return f"archives/{export_id}.zip"


async def do_request_export(session: AsyncSession, *, account_id: int) -> Export:
    """Queue an archive of the account: 422 while one is being made, 429 within a day of
    the last one (a failed one does not count)."""
    # Two requests at once must not both pass the checks below.
    await accounts.lock_accounts(session, [account_id])
    mine = Export.account_id == account_id
    active = await session.scalar(select(Export.id).where(mine & Export.state.in_(ACTIVE)))
    if active is not None:
        raise ApiError(422, "An archive of this account is already being made")
    last = await session.scalar(
        select(func.max(Export.created_at)).where(mine & (Export.state == DONE))
    )
    now = utcnow()
    if last is not None and now - last < EXPORT_INTERVAL:
        ready_at = last + EXPORT_INTERVAL
        raise ApiError(
            429,
            f"You can ask for an archive once a day: the next one from {iso(ready_at)}",
            headers={"Retry-After": str(int((ready_at - now).total_seconds()) + 1)},
        )
    export = Export(
        id=ids.next_id(shard_of(account_id)),
        account_id=account_id,
        state=QUEUED,
        progress_done=0,
        progress_total=0,
        attempts=0,
        created_at=now,
    )
    session.add(export)
    await session.flush()
    enqueue(session, BUILD, {"export_id": export.id})
    return export


async def list_exports(session: AsyncSession, *, account_id: int) -> list[Export]:
    """The account's latest exports, newest first."""
    rows = await session.scalars(
        select(Export)
        .where(Export.account_id == account_id)
        .order_by(Export.id.desc())
        .limit(LISTED)
    )
    return list(rows)


async def access_export(session: AsyncSession, *, account_id: int, export_id: int) -> Export:
    """The caller's own export, or 404 (another person's is as good as absent)."""
    export = await session.get(Export, export_id)
    if export is None or export.account_id != account_id:
        raise not_found("Export")
    return export


def is_expired(export: Export, now: datetime | None = None) -> bool:
    return export.expires_at is not None and export.expires_at <= (now or utcnow())


async def access_download(session: AsyncSession, *, account_id: int, export_id: int) -> Export:
    """The caller's finished, unexpired export; 422 while not done, 410 once expired."""
    export = await access_export(session, account_id=account_id, export_id=export_id)
    if export.state != DONE:
        raise ApiError(422, f"The archive is not ready: it is {export.state}")
    if is_expired(export) or export.storage_key is None:
        raise ApiError(410, "The archive has expired: ask for a new one")
    return export


# --- the job's side ----------------------------------------------------------------------


@dataclass(frozen=True)
class ExportTicket:
    export_id: int
    account_id: int
    attempts: int


async def _locked(session: AsyncSession, export_id: int) -> Export | None:
    return await session.scalar(select(Export).where(Export.id == export_id).with_for_update())


async def do_start_export(session: AsyncSession, *, export_id: int) -> ExportTicket | None:
    """Mark the export running for one more attempt; None if it is gone or over."""
    export = await _locked(session, export_id)
    if export is None or export.state not in ACTIVE:
        return None
    export.state = RUNNING
    export.attempts += 1
    export.progress_done = 0
    await session.flush()
    return ExportTicket(export.id, export.account_id, export.attempts)


async def do_record_progress(
    session: AsyncSession, *, export_id: int, done: int, total: int
) -> None:
    await session.execute(
        update(Export)
        .where((Export.id == export_id) & (Export.state == RUNNING))
        .values(progress_done=done, progress_total=total)
    )


async def do_finish_export(session: AsyncSession, *, export_id: int, key: str, size: int) -> bool:
    """Record the stored archive; False if the export is gone (its account deleted)."""
    export = await _locked(session, export_id)
    if export is None or export.state != RUNNING:
        return False
    now = utcnow()
    export.state = DONE
    export.storage_key = key
    export.size = size
    export.progress_done = export.progress_total
    export.error = None
    export.finished_at = now
    export.expires_at = now + EXPORT_LIFETIME
    await session.flush()
    return True


async def do_fail_export(
    session: AsyncSession, *, export_id: int, reason: str, final: bool
) -> None:
    """Record a failed attempt: back to `queued` for the retry, or `failed` for good."""
    export = await _locked(session, export_id)
    if export is None or export.state not in ACTIVE:
        return
    export.error = reason[:1000]
    export.state = FAILED if final else QUEUED
    if final:
        export.finished_at = utcnow()
    await session.flush()


async def expired_exports(
    session: AsyncSession, *, now: datetime, limit: int = 100
) -> list[tuple[int, str]]:
    """(id, storage key) of archives past their expiry whose file is still stored."""
    rows = await session.execute(
        select(Export.id, Export.storage_key)
        .where(Export.storage_key.is_not(None) & (Export.expires_at <= now))
        .order_by(Export.id)
        .limit(limit)
    )
    return [(export_id, key) for export_id, key in rows.all() if key]


async def do_forget_files(session: AsyncSession, *, export_ids: list[int]) -> None:
    """The files of these exports are deleted: the rows stay, as the owner's history."""
    await session.execute(update(Export).where(Export.id.in_(export_ids)).values(storage_key=None))


async def do_end_stale_exports(session: AsyncSession, *, now: datetime) -> int:
    result = await session.execute(
        update(Export)
        .where(Export.state.in_(ACTIVE) & (Export.created_at < now - STALE_AFTER))
        .values(state=FAILED, error="The archive was not finished in time", finished_at=now)
        .returning(Export.id)
    )
    return len(result.all())


async def stored_archives_of(session: AsyncSession, *, account_id: int) -> list[str]:
    """The storage keys of the account's archives still stored."""
    rows = await session.scalars(
        select(Export.storage_key).where(
            (Export.account_id == account_id) & Export.storage_key.is_not(None)
        )
    )
    return [key for key in rows if key]


async def do_remove_account(session: AsyncSession, *, account_id: int) -> None:
    """A deleted account's exports and imports (its files are deleted first, by the job)."""
    await session.execute(delete(Export).where(Export.account_id == account_id))
    await session.execute(delete(Import).where(Import.account_id == account_id))

"""Removing media files: with their post or account, unattached uploads, and orphans.

Files are deleted by the `media.delete_files` job, enqueued in the transaction that
deletes the rows (an outbox), so a rolled-back delete keeps its files, a committed one
always loses them even if the store is briefly down, and no request waits on S3.
Two periodic jobs keep the store clean of anything else: `media.purge_unattached`
(uploads never attached to a post, after SHUTTER_MEDIA_UNATTACHED_HOURS) and
`media.sweep_orphans` (stored files no row refers to: a crash between writing a file
and committing its row, a replaced avatar or thumbnail). Both work in bounded slices and
enqueue their own continuation, so no run outlives its job lease. The job handlers (and
the periodic schedule) are in shutter/media/jobs.py; the work they do is here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import anyio.to_thread
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.accounts.models import Account
from shutter.infra.context import AppContext
from shutter.infra.db import utcnow
from shutter.infra.jobs import JobKind, enqueue
from shutter.media.models import Media

AVATAR_PREFIX = "a/"
_ROWS_PER_BATCH = 200
_BATCHES_PER_RUN = 10
_PAGES_PER_RUN = 10
# A shared (content-addressed) avatar written this recently may belong to an account
# whose transaction has not committed yet; the sweep removes it later if it is unused.
_AVATAR_SETTLE = timedelta(minutes=10)

# Cleanup's own work: deleting files after the commit, and two periodic sweeps.
DELETE_FILES = JobKind("media.delete_files", timeout_seconds=60)
PURGE_UNATTACHED = JobKind("media.purge_unattached", timeout_seconds=50)
SWEEP_ORPHANS = JobKind("media.sweep_orphans", timeout_seconds=50)


def keys_of(media: Media) -> list[str]:
    """Every stored key a media row refers to: its original and each variant's files."""
    found = [media.original_key] if media.original_key else []
    found.extend(_nested_keys(media.variants))
    found.extend(_nested_keys(media.meta))
    return list(dict.fromkeys(found))


def _nested_keys(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for name, item in value.items():
            if name == "key" and isinstance(item, str):
                yield item
            else:
                yield from _nested_keys(item)
    elif isinstance(value, list):
        for item in value:
            yield from _nested_keys(item)


def schedule_file_deletion(
    session: AsyncSession,
    *,
    keys: Iterable[str],
    avatars: Iterable[str] = (),
    account_id: int | None = None,
) -> None:
    """Delete files once the caller's transaction commits (never if it rolls back).

    `avatars` are shared by content: they go only if no account other than
    `account_id` uses them by then.
    """
    keys, avatars = list(dict.fromkeys(keys)), list(dict.fromkeys(avatars))
    if keys or avatars:
        enqueue(
            session,
            DELETE_FILES,
            {"keys": keys, "avatars": avatars, "account_id": account_id},
        )


async def do_delete_account_media(
    session: AsyncSession, *, ctx: AppContext, account_id: int, limit: int | None = None
) -> int:
    """Delete every media row of an account (attached or not) and, after commit, the files
    and its avatar; call it in the transaction that deletes the account. Returns the rows.

    With `limit`, at most that many rows go, and the avatar only with the last of them
    (fewer than `limit` returned): a large account is deleted in batches."""
    query = select(Media).where(Media.account_id == account_id)
    if limit is not None:
        query = query.order_by(Media.id).limit(limit)
    rows = list(await session.scalars(query))
    keys = [key for media in rows for key in keys_of(media)]
    if limit is None:
        await session.execute(delete(Media).where(Media.account_id == account_id))
    elif rows:
        await session.execute(delete(Media).where(Media.id.in_([media.id for media in rows])))
    last = limit is None or len(rows) < limit
    avatar = (
        await session.scalar(select(Account.avatar_key).where(Account.id == account_id))
        if last
        else None
    )
    schedule_file_deletion(
        session, keys=keys, avatars=[avatar] if avatar else [], account_id=account_id
    )
    return len(rows)


async def _avatars_in_use(
    session: AsyncSession, keys: list[str], *, excluding: int | None
) -> set[str]:
    query = select(Account.avatar_key).where(Account.avatar_key.in_(keys))
    if excluding is not None:
        query = query.where(Account.id != excluding)
    return {key for key in await session.scalars(query) if key}


async def delete_files(
    ctx: AppContext, *, keys: list[str], avatars: list[str], account_id: int | None
) -> None:
    """Delete stored files after the commit that dropped their rows; an avatar only once
    no other account uses it and it is old enough (else a delayed job looks again)."""
    keys = list(keys)
    if avatars:
        async with ctx.db.read() as session:
            in_use = await _avatars_in_use(session, avatars, excluding=account_id)
        settled = utcnow() - _AVATAR_SETTLE
        unsettled: list[str] = []
        for key in avatars:
            if key in in_use:
                continue
            found = await anyio.to_thread.run_sync(partial(ctx.storage.entries, key, limit=1))
            if found and found[0].key == key:
                (keys if found[0].modified < settled else unsettled).append(key)
        if unsettled:  # look again once whoever wrote it last has surely committed
            async with ctx.db.write() as session:
                enqueue(
                    session,
                    DELETE_FILES,
                    {"avatars": unsettled, "account_id": account_id},
                    delay=_AVATAR_SETTLE.total_seconds(),
                )
    if keys:
        await anyio.to_thread.run_sync(ctx.storage.delete_many, keys)


async def purge_unattached(ctx: AppContext, *, now: datetime | None = None) -> tuple[int, bool]:
    """Delete uploads older than the setting that no post took; returns (rows, finished)."""
    # Media held for a scheduled post (media/service/holds.py) wait for it, however long.
    _unattached = Media.post_id.is_(None) & Media.scheduled_status_id.is_(None)
    cutoff = (now or utcnow()) - timedelta(hours=ctx.settings.media_unattached_hours)
    purged = 0
    for _ in range(_BATCHES_PER_RUN):
        async with ctx.db.write() as session:
            rows = list(
                await session.scalars(
                    select(Media)
                    .where(_unattached, Media.created_at < cutoff)
                    .order_by(Media.id)
                    .limit(_ROWS_PER_BATCH)
                )
            )
            if not rows:
                return purged, True
            # Re-checked in the DELETE: a post may have taken one since the SELECT.
            deleted = set(
                await session.scalars(
                    delete(Media)
                    .where(Media.id.in_([m.id for m in rows]), _unattached)
                    .returning(Media.id)
                )
            )
            keys = [key for media in rows if media.id in deleted for key in keys_of(media)]
            schedule_file_deletion(session, keys=keys)
            purged += len(deleted)
        if len(rows) < _ROWS_PER_BATCH:
            return purged, True
    return purged, False


def _media_id_of(key: str) -> int | None:
    """The media id in `<prefix>/<media id>/…` keys; None for keys of another shape."""
    parts = key.split("/")
    return int(parts[1]) if len(parts) > 2 and parts[1].isdigit() else None


async def _unreferenced(ctx: AppContext, keys: list[str]) -> list[str]:
    avatars = [key for key in keys if key.startswith(AVATAR_PREFIX)]
    media_ids = {mid for key in keys if (mid := _media_id_of(key)) is not None}
    async with ctx.db.read() as session:
        referenced = await _avatars_in_use(session, avatars, excluding=None) if avatars else set()
        if media_ids:
            rows = await session.scalars(select(Media).where(Media.id.in_(media_ids)))
            referenced.update(key for media in rows for key in keys_of(media))
    return [
        key
        for key in keys
        if key not in referenced
        and (key.startswith(AVATAR_PREFIX) or _media_id_of(key) is not None)
    ]


async def sweep_orphans(
    ctx: AppContext, *, now: datetime | None = None, after: str = "", pages: int = _PAGES_PER_RUN
) -> tuple[list[str], str | None]:
    """Delete stored files older than the grace period that no row refers to.

    Lists the store in key order from `after`; returns (deleted keys, the key to resume
    after, or None when the listing is done). Keys of unknown shape are left alone.
    """
    cutoff = (now or utcnow()) - timedelta(hours=ctx.settings.media_unattached_hours)
    deleted: list[str] = []
    for _ in range(pages):
        page = await anyio.to_thread.run_sync(partial(ctx.storage.entries, after=after))
        if not page:
            return deleted, None
        old = [entry.key for entry in page if entry.modified < cutoff]
        orphans = await _unreferenced(ctx, old) if old else []
        if orphans:
            await anyio.to_thread.run_sync(ctx.storage.delete_many, orphans)
            deleted.extend(orphans)
        after = page[-1].key
    return deleted, after

"""The rules of the processing states (part of the media service; the jobs call these).

processing → ready (variants stored) or → failed (with a reason; the private original
and any variant files are deleted). Every step tolerates a row that is gone or has moved
on, because the jobs that drive it are at-least-once and may run twice or late.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.infra.context import AppContext
from shutter.infra.db import on_commit
from shutter.infra.jobs import enqueue
from shutter.media import service
from shutter.media.models import Media
from shutter.media.pipeline import Built
from shutter.media.service import FAILED, PROCESSING, READY, _apply, _delete_files


@dataclass(frozen=True)
class Ticket:
    """What a processing run needs, read in one short transaction."""

    media_id: int
    original_key: str
    kind: str
    focus: tuple[float, float]
    attempts: int


async def _locked(session: AsyncSession, media_id: int) -> Media | None:
    found: Media | None = await session.scalar(
        select(Media).where(Media.id == media_id).with_for_update()
    )
    return found


async def do_claim_processing(session: AsyncSession, *, media_id: int) -> Ticket | None:
    """Count a processing attempt; None when the row is gone or no longer processing."""
    media = await _locked(session, media_id)
    if media is None or media.status != PROCESSING or not media.original_key:
        return None
    media.attempts = (media.attempts or 0) + 1
    await session.flush()
    return Ticket(
        media.id, media.original_key, media.kind, (media.focus_x, media.focus_y), media.attempts
    )


async def do_finish_processing(
    session: AsyncSession, *, ctx: AppContext, ticket: Ticket, built: Built
) -> None:
    """Make the media ready with its variants; if it moved on meanwhile, drop the files."""
    media = await _locked(session, ticket.media_id)
    keys = [variant["key"] for variant in built.variants.values()]
    if media is None or media.status != PROCESSING:
        # Deleted or failed while we worked: nothing may keep our files alive.
        in_use = set() if media is None else {v["key"] for v in (media.variants or {}).values()}
        stale = [key for key in keys if key not in in_use]
        on_commit(session, lambda: _delete_files(ctx.storage, stale))
        return
    _apply(media, built)
    if (media.focus_x, media.focus_y) != ticket.focus:
        enqueue(session, service.THUMBNAIL, {"media_id": media.id})
    await session.flush()


async def do_fail_processing(
    session: AsyncSession, *, ctx: AppContext, media_id: int, reason: str
) -> None:
    """End processing in `failed` with a reason; the original and any files are deleted."""
    media = await _locked(session, media_id)
    if media is None or media.status != PROCESSING:
        return
    keys = [v["key"] for v in (media.variants or {}).values()]
    if media.original_key:
        keys.append(media.original_key)
    media.status = FAILED
    media.error = reason
    media.original_key = None
    media.variants = {}
    await session.flush()
    on_commit(session, lambda: _delete_files(ctx.storage, keys))


async def do_replace_thumbnail(
    session: AsyncSession,
    *,
    ctx: AppContext,
    media_id: int,
    focus: tuple[float, float],
    thumb: dict[str, Any],
) -> None:
    """Swap in a thumbnail cropped for `focus`, unless the focus changed again since."""
    media = await _locked(session, media_id)
    current = dict(media.variants or {}) if media is not None else {}
    old = current.get("thumb", {}).get("key")
    if media is None or media.status != READY or (media.focus_x, media.focus_y) != focus:
        if thumb["key"] not in {v["key"] for v in current.values()}:
            on_commit(session, lambda: _delete_files(ctx.storage, [thumb["key"]]))
        return
    current["thumb"] = thumb
    media.variants = current
    await session.flush()
    if old and old != thumb["key"]:
        on_commit(session, lambda: _delete_files(ctx.storage, [old]))

"""Media jobs: process an upload into its variants; re-crop a thumbnail for a new focus.

Both read what they need in a short transaction, work outside any transaction (in a
worker thread, bounded per process), then record the outcome in another short one, so
no database connection is held for the seconds a transcode takes.
"""

from __future__ import annotations

from typing import Any

import anyio.to_thread
import structlog

from shutter.infra.context import AppContext
from shutter.infra.jobs import handles
from shutter.media import pipeline, processing, service
from shutter.media.codecs.sniff import MediaRejected
from shutter.media.models import Media
from shutter.media.service import READY, in_worker_thread

log = structlog.get_logger("shutter.media")


async def _fail(ctx: AppContext, media_id: int, reason: str) -> None:
    async with ctx.db.write() as session:
        await processing.do_fail_processing(session, ctx=ctx, media_id=media_id, reason=reason)
    log.info("media_failed", media_id=media_id, reason=reason)


@handles(service.PROCESS)
async def process_media(ctx: AppContext, payload: dict[str, Any]) -> None:
    """Make the variants of an uploaded file; a bad file ends `failed` at once, any other
    error is retried and ends `failed` on the last attempt."""
    media_id = int(payload["media_id"])
    max_attempts = ctx.settings.job_max_attempts
    async with ctx.db.write() as session:
        ticket = await processing.do_claim_processing(session, media_id=media_id)
    if ticket is None:
        return
    if ticket.attempts > max_attempts:  # a worker died on the last attempt
        await _fail(ctx, media_id, f"processing did not finish in {max_attempts} attempts")
        return
    settings = ctx.settings
    try:
        original = await anyio.to_thread.run_sync(lambda: ctx.storage.get(ticket.original_key))
        built = await in_worker_thread(
            settings,
            lambda: pipeline.build(
                ctx.storage,
                settings,
                media_id=media_id,
                original=original,
                kind=ticket.kind,
                focus=ticket.focus,
            ),
        )
    except MediaRejected as exc:
        await _fail(ctx, media_id, str(exc))
        return
    except Exception as exc:
        if ticket.attempts >= max_attempts:
            await _fail(ctx, media_id, f"processing failed: {type(exc).__name__}")
            return
        raise
    async with ctx.db.write() as session:
        await processing.do_finish_processing(session, ctx=ctx, ticket=ticket, built=built)


@handles(service.THUMBNAIL)
async def recrop_thumbnail(ctx: AppContext, payload: dict[str, Any]) -> None:
    """Re-crop the square thumbnail around the media's current focal point."""
    media_id = int(payload["media_id"])
    async with ctx.db.read() as session:
        media = await session.get(Media, media_id)
        if media is None or media.status != READY:
            return  # processing will crop for the focus it finds; gone is gone
        focus = (media.focus_x, media.focus_y)
        variants = dict(media.variants or {})
    thumb = await in_worker_thread(
        ctx.settings,
        lambda: pipeline.rebuild_thumbnail(
            ctx.storage, media_id=media_id, variants=variants, focus=focus
        ),
    )
    if thumb is None:
        return
    async with ctx.db.write() as session:
        await processing.do_replace_thumbnail(
            session, ctx=ctx, media_id=media_id, focus=focus, thumb=thumb
        )

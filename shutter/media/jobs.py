"""Media jobs: process an upload into its variants; re-crop a thumbnail for a new focus;
delete files, purge unattached uploads, sweep orphans (shutter/media/service/cleanup.py).

Processing and re-cropping read what they need in a short transaction, work outside any
transaction (in a worker thread, bounded per process), then record the outcome in another
short one, so no database connection is held for the seconds a transcode takes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import anyio.to_thread
import structlog

from shutter.infra.context import AppContext
from shutter.infra.db import utcnow
from shutter.infra.jobs import enqueue, handles
from shutter.infra.periodic import periodic
from shutter.media import pipeline, service
from shutter.media.codecs.sniff import MediaRejected
from shutter.media.models import Media
from shutter.media.service import READY, cleanup, in_worker_thread, processing

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


@handles(cleanup.DELETE_FILES)
async def delete_files(ctx: AppContext, payload: dict[str, Any]) -> None:
    await cleanup.delete_files(
        ctx,
        keys=list(payload.get("keys") or []),
        avatars=list(payload.get("avatars") or []),
        account_id=payload.get("account_id"),
    )


@handles(cleanup.PURGE_UNATTACHED)
async def purge_unattached(ctx: AppContext, payload: dict[str, Any]) -> None:
    purged, finished = await cleanup.purge_unattached(ctx)
    if not finished:  # the rest is the next run's, so no run outlives its lease
        async with ctx.db.write() as session:
            enqueue(session, cleanup.PURGE_UNATTACHED, {})
    log.info("media_purged", rows=purged, finished=finished)


@handles(cleanup.SWEEP_ORPHANS)
async def sweep_orphans(ctx: AppContext, payload: dict[str, Any]) -> None:
    now = datetime.fromisoformat(payload["now"]) if payload.get("now") else utcnow()
    deleted, resume = await cleanup.sweep_orphans(ctx, now=now, after=payload.get("after", ""))
    if resume is not None:
        async with ctx.db.write() as session:
            enqueue(session, cleanup.SWEEP_ORPHANS, {"after": resume, "now": now.isoformat()})
    log.info("media_swept", deleted=len(deleted), resume_after=resume)


periodic(cleanup.PURGE_UNATTACHED, every=lambda settings: settings.media_purge_interval_seconds)
periodic(cleanup.SWEEP_ORPHANS, every=lambda settings: settings.media_sweep_interval_seconds)

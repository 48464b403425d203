"""Deleting an upload its owner no longer wants (Mastodon 4.4's
`DELETE /api/v1/media/:id`): only one that no post uses (or a scheduled post holds)."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.infra.errors import ApiError, not_found
from shutter.media.models import Media
from shutter.media.service.cleanup import keys_of, schedule_file_deletion


async def do_delete_upload(session: AsyncSession, *, account_id: int, media_id: int) -> None:
    """Delete the row now and its files after the commit; 404 for another's media, 422
    (Mastodon's) for media a post uses."""
    media = await session.get(Media, media_id)
    if media is None or media.account_id != account_id:
        raise not_found("Media")
    if media.post_id is not None or media.scheduled_status_id is not None:
        raise ApiError(422, "Media attachment is currently used by a status")
    keys = keys_of(media)
    # A processing job that finds the row gone does nothing (jobs tolerate missing rows).
    await session.execute(delete(Media).where(Media.id == media.id))
    schedule_file_deletion(session, keys=keys)

"""Media held for a scheduled post (posts/service/scheduled.py): attached to no post yet,
kept from other posts and from the purge of unattached uploads until the scheduled post
is published (`do_attach` takes them over) or cancelled (released: unattached uploads
again, purged in their time unless posted)."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.media.models import Media


async def do_hold(session: AsyncSession, *, media: list[Media], scheduled_status_id: int) -> None:
    """Hold media (from `access_attachable_media`) for a scheduled post, in this order."""
    for position, item in enumerate(media):
        item.scheduled_status_id = scheduled_status_id
        item.position = position
    await session.flush()


async def do_release(session: AsyncSession, *, scheduled_status_id: int) -> None:
    """Let go of the media a scheduled post held (cancelled, or not publishable)."""
    await session.execute(
        update(Media)
        .where(Media.scheduled_status_id == scheduled_status_id, Media.post_id.is_(None))
        .values(scheduled_status_id=None)
        .execution_options(synchronize_session=False)
    )


async def held_media(
    session: AsyncSession, scheduled_status_ids: list[int]
) -> dict[int, list[Media]]:
    """The media each scheduled post holds, in their order, in one query."""
    held: dict[int, list[Media]] = {sid: [] for sid in scheduled_status_ids}
    if not scheduled_status_ids:
        return held
    rows = await session.scalars(
        select(Media)
        .where(Media.scheduled_status_id.in_(scheduled_status_ids), Media.post_id.is_(None))
        .order_by(Media.scheduled_status_id, Media.position, Media.id)
    )
    for media in rows:
        assert media.scheduled_status_id is not None
        held[media.scheduled_status_id].append(media)
    return held

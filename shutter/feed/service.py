"""Home feeds: fan-out on write into a capped store, read with one batched hydration."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.feed.models import FeedEntry
from shutter.infra.jobs import enqueue

BACKFILL_POSTS = 40


def enqueue_backfill(session: AsyncSession, *, account_id: int, author_id: int) -> None:
    """After a follow: merge the author's recent posts into the follower's feed (a job)."""
    enqueue(session, "feed.backfill", {"account_id": account_id, "author_id": author_id})


async def remove_author_from_feed(
    session: AsyncSession, *, account_id: int, author_id: int
) -> None:
    """After an unfollow (or a removed follower): take the author's posts out of the feed."""
    await session.execute(
        delete(FeedEntry).where(
            (FeedEntry.account_id == account_id) & (FeedEntry.author_id == author_id)
        )
    )

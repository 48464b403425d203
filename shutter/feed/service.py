"""Home feeds: fan-out on write into a capped store, read as a page of post ids.

The store is the `feed_entries` table (one row per post per follower). A new post goes
into its author's own feed in the posting transaction, so the author sees it at once,
and to the followers' feeds by `feed.fanout` jobs in batches. Unfollow and delete take
entries out; a follow back-fills the author's recent posts.
"""

from __future__ import annotations

import random

from sqlalchemy import Select, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.feed.models import FeedEntry
from shutter.infra.db import insert_ignoring_conflicts
from shutter.infra.jobs import enqueue

BACKFILL_POSTS = 40
# Trimming a feed to its cap scans it, so it is done on a sample of writes: each feed is
# trimmed about once per this many posts it receives, overshooting the cap by as much.
TRIM_EVERY = 20


async def do_distribute(session: AsyncSession, *, post_id: int, author_id: int) -> None:
    """Put a new post in its author's feed now and enqueue the fan-out to followers."""
    await insert_ignoring_conflicts(
        session,
        FeedEntry.__table__,
        [{"account_id": author_id, "post_id": post_id, "author_id": author_id}],
    )
    enqueue(session, "feed.fanout", {"post_id": post_id, "author_id": author_id, "after": 0})


async def do_insert(
    session: AsyncSession, *, post_ids_by_author: dict[int, list[int]], account_ids: list[int]
) -> None:
    """Insert posts into the feeds of `account_ids` (already present entries are kept)."""
    rows = [
        {"account_id": account_id, "post_id": post_id, "author_id": author_id}
        for account_id in account_ids
        for author_id, post_ids in post_ids_by_author.items()
        for post_id in post_ids
    ]
    await insert_ignoring_conflicts(session, FeedEntry.__table__, rows)


async def trim_feeds(session: AsyncSession, *, account_ids: list[int], cap: int) -> None:
    """Drop the entries past the newest `cap` of each feed."""
    for account_id in account_ids:
        boundary = await session.scalar(
            select(FeedEntry.post_id)
            .where(FeedEntry.account_id == account_id)
            .order_by(FeedEntry.post_id.desc())
            .offset(cap - 1)
            .limit(1)
        )
        if boundary is not None:
            await session.execute(
                delete(FeedEntry).where(
                    (FeedEntry.account_id == account_id) & (FeedEntry.post_id < boundary)
                )
            )


def sample_for_trim(account_ids: list[int]) -> list[int]:
    return [a for a in account_ids if random.randrange(TRIM_EVERY) == 0]


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


async def do_remove_post(session: AsyncSession, *, post_id: int) -> None:
    """A deleted post leaves every feed."""
    await session.execute(delete(FeedEntry).where(FeedEntry.post_id == post_id))


def home_query(*, account_id: int) -> Select[int]:
    """The post ids of a home feed (an index range scan once paginated)."""
    return select(FeedEntry.post_id).where(FeedEntry.account_id == account_id)

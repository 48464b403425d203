"""Where home feeds are kept: the `feed_entries` table (embedded) or Redis (scaled).

A store holds, per account, the ids of the posts fan-out put there, newest first and
capped. It knows nothing of who follows whom: the feed service decides what goes in
and merges, at read time, what never goes in (the reader's own posts, the posts of
accounts with very many followers). Both stores answer the same questions:

- `add`: posts into the feeds of many accounts (a fan-out batch, a back-fill);
- `remove_author` / `remove_post`: entries out (unfollow, block, delete);
- `page`: a window of post ids under the page's bounds, or None when the feed has to be
  rebuilt from the database first (a Redis store that lost it, or an inactive reader's);
- `open_rebuild` / `finish_rebuild`: that rebuild, in two steps around the database read.

A Redis store that cannot be reached raises `FeedUnavailable`; the reader then gets a
page straight from the database, and jobs retry.
"""

from __future__ import annotations

import random
from typing import Protocol

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.feed.models import FeedEntry
from shutter.infra.context import AppContext, Part
from shutter.infra.db import insert_ignoring_conflicts
from shutter.infra.pagination import PageParams, paginate
from shutter.infra.settings import Settings

# Trimming a SQL feed to its cap scans it, so it is done on a sample of writes: each feed
# is trimmed about once per this many posts it receives, overshooting the cap by as much.
TRIM_EVERY = 20

# (post id, author id) as fan-out and rebuilds hand them to a store.
Entry = tuple[int, int]


class FeedUnavailable(Exception):
    """The feed store cannot be reached now (Redis down); read from the database instead."""


class FeedStore(Protocol):
    distributed: bool

    async def add(
        self, session: AsyncSession, *, account_ids: list[int], entries: list[Entry]
    ) -> int:
        """Put `entries` in each account's feed; returns how many feeds took them."""
        ...

    async def remove_author(
        self, session: AsyncSession, *, account_id: int, author_id: int
    ) -> None: ...

    async def remove_post(
        self, session: AsyncSession, *, account_ids: list[int], post_id: int, author_id: int
    ) -> None: ...

    async def page(
        self, session: AsyncSession, *, account_id: int, page: PageParams, count: int
    ) -> list[int] | None: ...

    async def drop(self, session: AsyncSession, *, account_id: int, limit: int) -> int:
        """Remove up to `limit` entries of a deleted account's feed; how many went."""
        ...

    async def open_rebuild(self, *, account_id: int) -> None: ...

    async def finish_rebuild(self, *, account_id: int, entries: list[Entry]) -> None: ...

    async def close(self) -> None: ...


class SqlFeedStore:
    """Feeds as rows of `feed_entries`, written in the caller's transaction; never lost."""

    distributed = False

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    async def add(
        self, session: AsyncSession, *, account_ids: list[int], entries: list[Entry]
    ) -> int:
        rows = [
            {"account_id": account_id, "post_id": post_id, "author_id": author_id}
            for account_id in account_ids
            for post_id, author_id in entries
        ]
        await insert_ignoring_conflicts(session, FeedEntry.__table__, rows)
        sample = [a for a in account_ids if random.randrange(TRIM_EVERY) == 0]
        await trim_feeds(session, account_ids=sample, cap=self._settings.feed_max_entries)
        return len(account_ids)

    async def remove_author(
        self, session: AsyncSession, *, account_id: int, author_id: int
    ) -> None:
        await session.execute(
            delete(FeedEntry).where(
                (FeedEntry.account_id == account_id) & (FeedEntry.author_id == author_id)
            )
        )

    async def remove_post(
        self, session: AsyncSession, *, account_ids: list[int], post_id: int, author_id: int
    ) -> None:
        await session.execute(delete(FeedEntry).where(FeedEntry.post_id == post_id))

    async def page(
        self, session: AsyncSession, *, account_id: int, page: PageParams, count: int
    ) -> list[int] | None:
        query = select(FeedEntry.post_id).where(FeedEntry.account_id == account_id)
        window = page.model_copy(update={"limit": count})
        return list(await session.scalars(paginate(query, FeedEntry.post_id, window)))

    async def drop(self, session: AsyncSession, *, account_id: int, limit: int) -> int:
        post_ids = list(
            await session.scalars(
                select(FeedEntry.post_id).where(FeedEntry.account_id == account_id).limit(limit)
            )
        )
        if post_ids:
            await session.execute(
                delete(FeedEntry).where(
                    (FeedEntry.account_id == account_id) & FeedEntry.post_id.in_(post_ids)
                )
            )
        return len(post_ids)

    async def open_rebuild(self, *, account_id: int) -> None:
        raise AssertionError("a SQL feed is never lost, so never rebuilt")

    async def finish_rebuild(self, *, account_id: int, entries: list[Entry]) -> None:
        raise AssertionError("a SQL feed is never lost, so never rebuilt")

    async def close(self) -> None:
        return None


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


FEED_STORE: Part[FeedStore] = Part("feed store")


def feed_store(ctx: AppContext) -> FeedStore:
    """This process's feed store (provided by shutter/assembly.py)."""
    return ctx.part(FEED_STORE)


def create_feed_store(settings: Settings) -> FeedStore:
    """The Redis store when SHUTTER_REDIS_URL is set, the table otherwise."""
    if settings.feed_redis_url or settings.redis_url:
        from shutter.feed.redis_store import RedisFeedStore

        return RedisFeedStore(settings)
    return SqlFeedStore(settings)

"""Home feeds: fan-out on write into a capped store, merged with pulled posts when read.

The store (shutter/feed/store.py) is the `feed_entries` table embedded, Redis sorted
sets scaled. A new post reaches its author's followers' feeds through `feed.fanout`
jobs in batches, unless the author has more than `fanout_follower_threshold` followers:
such posts are never written to feeds but merged in when a feed is read (hybrid
fan-out), as are the reader's own posts. Unfollow, block and delete take entries out
(jobs for the Redis store); reads also filter by the live graph, so an entry a job has
not removed yet never shows.

A Redis feed that is missing (never built, expired after `feed_inactive_days` unread,
lost with a flushed Redis) is rebuilt from the database before the page is served; a
Redis that cannot be reached makes the page come from the database alone. Reading and
rebuilding live in shutter/feed/home.py.
"""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.feed.models import FeedEntry
from shutter.feed.store import Entry, FeedStore
from shutter.graph import service as graph
from shutter.infra.jobs import JobKind, enqueue
from shutter.posts.service import tag_follows

BACKFILL_POSTS = 40

# The work the feed gives its workers (handled in shutter/feed/jobs.py).
FANOUT = JobKind("feed.fanout", timeout_seconds=60)
# A public post to the followers of its tags (shutter/posts/service/tag_follows.py).
FANOUT_TAGS = JobKind("feed.fanout_tags", timeout_seconds=60)
BACKFILL = JobKind("feed.backfill", timeout_seconds=60)
UNMERGE = JobKind("feed.unmerge", timeout_seconds=30)
REMOVE_POST = JobKind("feed.remove_post", timeout_seconds=60)
# A deleted account's own feed, in batches (its posts leave others' feeds as each is deleted).
REMOVE_ACCOUNT = JobKind("feed.remove_account", timeout_seconds=60)
REMOVE_ACCOUNT_BATCH = 1000


async def do_distribute(
    session: AsyncSession, *, store: FeedStore, post_id: int, author_id: int
) -> None:
    """Enqueue the fan-out of a new post; its author sees it at once.

    The SQL store takes the post into its author's own feed in this transaction, so an
    embedded home read is one index range with nothing to merge; a distributed store
    leaves own posts to be merged when the feed is read.
    """
    if not store.distributed:
        await store.add(session, account_ids=[author_id], entries=[(post_id, author_id)])
    enqueue(session, FANOUT, {"post_id": post_id, "author_id": author_id, "after": 0})
    if await tag_follows.has_tag_followers(session, post_id=post_id):
        enqueue(session, FANOUT_TAGS, {"post_id": post_id, "author_id": author_id, "after": 0})


async def do_insert(
    session: AsyncSession,
    *,
    store: FeedStore,
    post_ids_by_author: dict[int, list[int]],
    account_ids: list[int],
) -> int:
    """Insert posts into the feeds of `account_ids` (present entries are kept; Redis
    feeds that do not exist are skipped: they are rebuilt when read); returns how many
    feeds took them."""
    entries: list[Entry] = [
        (post_id, author_id)
        for author_id, post_ids in post_ids_by_author.items()
        for post_id in post_ids
    ]
    return await store.add(session, account_ids=account_ids, entries=entries)


def enqueue_backfill(session: AsyncSession, *, account_id: int, author_id: int) -> None:
    """After a follow: merge the author's recent posts into the follower's feed (a job)."""
    enqueue(session, BACKFILL, {"account_id": account_id, "author_id": author_id})


async def remove_author_from_feed(
    session: AsyncSession, *, account_id: int, author_id: int
) -> None:
    """After an unfollow, a block or a removed follower: the author's posts leave the feed."""
    await session.execute(
        delete(FeedEntry).where(
            (FeedEntry.account_id == account_id) & (FeedEntry.author_id == author_id)
        )
    )
    # A Redis feed is cleaned by a job after the commit; reads filter by follows meanwhile.
    enqueue(session, UNMERGE, {"account_id": account_id, "author_id": author_id})


async def remove_tag_posts(session: AsyncSession, *, account_id: int, tag_id: int) -> None:
    """After a tag is unfollowed: the posts it brought leave the SQL feed, unless a followed
    author or another followed tag still justifies them (a Redis feed keeps its entries,
    which its reads filter by the same live rule, until they age out)."""
    followed = graph.followed_query(account_id=account_id)
    await session.execute(
        delete(FeedEntry).where(
            (FeedEntry.account_id == account_id)
            & tag_follows.left_by_unfollowed_tag_sql(
                FeedEntry.post_id, account_id=account_id, tag_id=tag_id
            )
            & (FeedEntry.author_id != account_id)
            & FeedEntry.author_id.not_in(followed)
        )
    )


async def do_remove_post(session: AsyncSession, *, post_id: int, author_id: int) -> None:
    """A deleted post leaves every feed."""
    await session.execute(delete(FeedEntry).where(FeedEntry.post_id == post_id))
    enqueue(session, REMOVE_POST, {"post_id": post_id, "author_id": author_id, "after": 0})

"""The home feed read: the store's window merged with pulled posts, rendered; rebuilds.

See shutter/feed/service.py for how feeds are written.
"""

from __future__ import annotations

import time
from typing import Any

import structlog
from sqlalchemy import Select, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.accounts.models import Account
from shutter.feed.models import FeedEntry
from shutter.feed.store import FeedUnavailable
from shutter.graph import service as graph
from shutter.infra.context import AppContext
from shutter.infra.pagination import PageParams, paginate
from shutter.posts.models import Post
from shutter.posts.render import page_of_statuses

log = structlog.get_logger("shutter.feed")

# A page reads this many times its size from the store: entries hidden at read time
# (muted authors, deleted posts not yet removed) then rarely leave a page short.
WINDOW_FACTOR = 2
# Authors are merged at read time above half the fan-out threshold: an account hovering
# around the threshold has every post either in the feeds or merged, never neither.
MERGE_HYSTERESIS = 2
# How long a viewer's list of merged authors is reused. Each refresh is a query over
# their follows; at a minute, one read in five of an active reader paid it.
MERGED_AUTHORS_PERIOD_SECONDS = 600
# Pulled authors are one index range each up to this many; beyond (only when the store
# is down and every followed account is pulled) one range over all of them.
MAX_UNION_PARTS = 50


async def home_page(
    session: AsyncSession, ctx: AppContext, *, viewer: Account, page: PageParams
) -> tuple[list[dict[str, Any]], list[int]]:
    """A page of the viewer's home feed, rendered; also the cursor ids for Link headers."""
    threshold = ctx.settings.fanout_follower_threshold // MERGE_HYSTERESIS
    if not ctx.feeds.distributed:
        merged = await _cached_merged_authors(session, ctx, viewer=viewer, threshold=threshold)
        if not merged:
            # The embedded profile's usual case: the feed table holds own posts too and
            # nothing is merged, so the page is one index range read with its statuses.
            query = sql_home_query(account_id=viewer.id)
            return await page_of_statuses(
                session, ctx, query, FeedEntry.post_id, page, viewer=viewer, hide_muted=True
            )
    window = page.limit * WINDOW_FACTOR
    feed_ids: list[int] = []
    pull_all = False
    try:
        found = await ctx.feeds.page(session, account_id=viewer.id, page=page, count=window)
        if found is None:
            await rebuild_feed(session, ctx, account_id=viewer.id)
            found = await ctx.feeds.page(session, account_id=viewer.id, page=page, count=window)
        feed_ids = found or []
    except FeedUnavailable:
        pull_all = True  # the store is down: every followed account's posts, from SQL
    merged = (
        await _merged_authors(session, viewer_id=viewer.id, more_followers_than=None)
        if pull_all
        else await _cached_merged_authors(session, ctx, viewer=viewer, threshold=threshold)
    )
    # A full window ends somewhere inside the feed: merged posts past that end would
    # let the next page's cursor jump over feed entries not read yet.
    edge = feed_ids[-1] if len(feed_ids) == window else None
    query = home_query(
        viewer_id=viewer.id, feed_ids=feed_ids, merged_authors=merged, page=page, edge=edge
    )
    body, cursors = await page_of_statuses(
        session, ctx, query, Post.id, page, viewer=viewer, hide_muted=True
    )
    if edge is not None and len(cursors) < page.limit:
        cursors.append(edge)  # a short page still moves past the whole window
    return body, cursors


async def _cached_merged_authors(
    session: AsyncSession, ctx: AppContext, *, viewer: Account, threshold: int
) -> list[int]:
    """`_merged_authors` through the entity cache, saving a query on most reads.

    The key carries the viewer's `updated_at` (every follow, unfollow or block moves their
    counts, so it changes) and the current period, which bounds how late an author who
    just crossed the threshold is merged; the hysteresis above covers that period (an
    author would need half the threshold in new followers within it). Mutes and blocks
    are applied again by the page query itself.
    """
    period = int(time.time() // MERGED_AUTHORS_PERIOD_SECONDS)
    key = f"merged:{viewer.id}:{viewer.updated_at.timestamp()}:{period}"
    found = await ctx.cache.get_many([key])
    if key in found:
        return list(found[key])
    merged = await _merged_authors(session, viewer_id=viewer.id, more_followers_than=threshold)
    await ctx.cache.set_many({key: merged})
    return merged


async def _merged_authors(
    session: AsyncSession, *, viewer_id: int, more_followers_than: int | None
) -> list[int]:
    """Followed accounts whose posts are pulled at read time (none hidden from the viewer)."""
    query = graph.followed_query(
        account_id=viewer_id, more_followers_than=more_followers_than, visible_only=True
    )
    return list(await session.scalars(query))


def sql_home_query(*, account_id: int) -> Select[int]:
    """The post ids of a home feed kept in the feed table (an index range once paginated)."""
    return select(FeedEntry.post_id).where(FeedEntry.account_id == account_id)


def home_query(
    *,
    viewer_id: int,
    feed_ids: list[int],
    merged_authors: list[int],
    page: PageParams,
    edge: int | None,
) -> Select[int]:
    """Post ids of the store's window merged with the pulled authors' top-level posts.

    Each pulled author is its own index range (posts by account, id), newest `limit`
    under the page's bounds, and not past the window's `edge`. Window entries count only
    while their author is still followed (or is the viewer).
    """
    pulled = [viewer_id, *merged_authors]
    parts: list[Select[int]] = []
    groups = [pulled] if len(pulled) <= MAX_UNION_PARTS else []
    for author_id in pulled if groups else []:
        parts.append(_pulled_part(Post.account_id == author_id, page, edge))
    if not groups:  # very many: one range over all of them (the store is down)
        parts.append(_pulled_part(Post.account_id.in_(pulled), page, edge))
    if feed_ids:
        followed = graph.followed_query(account_id=viewer_id)
        parts.append(
            select(Post.id).where(
                Post.id.in_(feed_ids)
                & (Post.account_id.in_(followed) | (Post.account_id == viewer_id))
            )
        )
    return select(Post.id).where(Post.id.in_(union_all(*parts)))


def _pulled_part(authors: Any, page: PageParams, edge: int | None) -> Select[int]:
    query = select(Post.id).where(authors & Post.in_reply_to_id.is_(None))
    if edge is not None:
        query = query.where(Post.id >= edge if page.min_id is None else Post.id <= edge)
    return select(paginate(query, Post.id, page).subquery().c.id)


# --- rebuilding ----------------------------------------------------------------------


async def rebuild_feed(session: AsyncSession, ctx: AppContext, *, account_id: int) -> None:
    """Fill a missing feed from the database: the newest posts of the followed accounts
    that are fanned out (the viewer's own and the merged authors' come at read time).

    The empty feed is opened first, so a fan-out that runs while the database is read
    lands in it instead of being skipped.
    """
    store = ctx.feeds
    await store.open_rebuild(account_id=account_id)
    authors = graph.followed_query(
        account_id=account_id, at_most_followers=ctx.settings.fanout_follower_threshold
    )
    rows = await session.execute(
        select(Post.id, Post.account_id)
        .where(Post.account_id.in_(authors) & Post.in_reply_to_id.is_(None))
        .order_by(Post.id.desc())
        .limit(ctx.settings.feed_max_entries)
    )
    entries = [(post_id, author_id) for post_id, author_id in rows.all()]
    await store.finish_rebuild(account_id=account_id, entries=entries)
    log.info("feed_rebuilt", account_id=account_id, entries=len(entries))

"""The home feed read: the store's window merged with pulled posts, rendered; rebuilds.

See shutter/feed/service.py for how feeds are written.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import structlog
from sqlalchemy import BindParameter, Select, bindparam, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from shutter import policies
from shutter.accounts.models import Account
from shutter.feed.exclusive import excluded_authors_query
from shutter.feed.models import FeedEntry
from shutter.feed.store import FeedUnavailable, feed_store
from shutter.graph import service as graph
from shutter.infra.context import AppContext
from shutter.infra.pagination import PageParams, PageShape, page_values, paginate_bound
from shutter.infra.prepared import Along
from shutter.posts.models import Post
from shutter.posts.render import bound_page_query, run_page, viewer_params
from shutter.posts.service import tag_follows

log = structlog.get_logger("shutter.feed")

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
    session: AsyncSession,
    ctx: AppContext,
    *,
    viewer: Account,
    page: PageParams,
    along: Along | None = None,
) -> tuple[list[dict[str, Any]], list[int]]:
    """A page of the viewer's home feed, rendered; also the cursor ids for Link headers.
    `along`: columns read in the page's statement (infra/prepared.Along)."""
    threshold = ctx.settings.fanout_follower_threshold // MERGE_HYSTERESIS
    store = feed_store(ctx)
    if not store.distributed:
        merged = await _cached_merged_authors(session, ctx, viewer=viewer, threshold=threshold)
        if not merged:
            # The embedded profile's usual case: the feed table holds own posts too and
            # nothing is merged, so the page is one index range read with its statuses.
            values = page_values(page) | viewer_params(viewer)
            statement = _sql_home_statement(PageShape.of(page))
            return await run_page(
                session,
                ctx,
                statement,
                values,
                page,
                viewer=viewer,
                filter_context="home",
                along=along,
            )
    # A page reads its own size from the store, as Mastodon's does: an entry hidden at
    # read time (a race with an unfollow, mute or delete, which remove entries) leaves the
    # page one short rather than every read paying for a wider window in PostgreSQL.
    window = page.limit
    feed_ids: list[int] = []
    pull_all = False
    try:
        found = await store.page(session, account_id=viewer.id, page=page, count=window)
        if found is None:
            await rebuild_feed(session, ctx, account_id=viewer.id)
            found = await store.page(session, account_id=viewer.id, page=page, count=window)
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
    statement, values = home_statement(
        feed_ids=feed_ids, merged_authors=merged, page=page, edge=edge
    )
    body, cursors = await run_page(
        session,
        ctx,
        statement,
        values | viewer_params(viewer),
        page,
        viewer=viewer,
        filter_context="home",
        along=along,
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


@lru_cache(maxsize=8)
def _sql_home_statement(shape: PageShape) -> Select[Any]:
    """A home feed kept in the feed table: one index range (account, post id)."""
    viewer: BindParameter[int] = bindparam("viewer")
    query = select(FeedEntry.post_id).where(
        (FeedEntry.account_id == viewer)
        & FeedEntry.author_id.not_in(excluded_authors_query(account_id=viewer))
    )
    return bound_page_query(query, FeedEntry.post_id, shape, hide_muted=True)


@dataclass(frozen=True)
class HomeShape:
    """What the home statement's structure depends on (its values are bind parameters)."""

    pulled_parts: int  # one index range per pulled author; 0: one range over them all
    with_window: bool  # entries from the store
    with_edge: bool
    page: PageShape


def home_statement(
    *, feed_ids: list[int], merged_authors: list[int], page: PageParams, edge: int | None
) -> tuple[Select[Any], dict[str, Any]]:
    """The page statement for the store's window merged with the pulled authors' posts,
    and its values (without the viewer's, see `viewer_params`).

    Pulled are the viewer (bind parameter `viewer`) and the merged authors.
    """
    pulled = len(merged_authors) + 1
    shape = HomeShape(
        pulled_parts=pulled if pulled <= MAX_UNION_PARTS else 0,
        with_window=bool(feed_ids),
        with_edge=edge is not None,
        page=PageShape.of(page),
    )
    values: dict[str, Any] = page_values(page)
    if shape.pulled_parts:
        values |= {f"author_{i}": author for i, author in enumerate(merged_authors, 1)}
    else:
        values["authors"] = merged_authors
    if feed_ids:
        values["feed_ids"] = feed_ids
    if edge is not None:
        values["edge"] = edge
    return _home_statement(shape), values


@lru_cache(maxsize=512)
def _home_statement(shape: HomeShape) -> Select[Any]:
    """Each pulled author is its own index range (posts by account, id), newest `limit`
    under the page's bounds, and not past the window's `edge`. Window entries count only
    while their author is still followed (or is the viewer), or while they carry a tag the
    viewer follows (shutter/posts/service/tag_follows.py)."""
    viewer: BindParameter[int] = bindparam("viewer")
    parts: list[Select[int]] = []
    for index in range(shape.pulled_parts):
        author = viewer if index == 0 else bindparam(f"author_{index}")
        parts.append(_pulled_part(Post.account_id == author, shape))
    if not shape.pulled_parts:  # very many: one range over all of them (the store is down)
        authors = Post.account_id.in_(bindparam("authors", expanding=True))
        parts.append(_pulled_part(authors | (Post.account_id == viewer), shape))
    if shape.with_window:
        followed = graph.followed_query(account_id=viewer)
        parts.append(
            select(Post.id).where(
                Post.id.in_(bindparam("feed_ids", expanding=True))
                & (
                    Post.account_id.in_(followed)
                    | (Post.account_id == viewer)
                    | tag_follows.carries_followed_tag_sql(viewer=viewer)
                )
            )
        )
    # Members of the viewer's exclusive lists are left out here, at read time, so a change
    # to a list shows at once, for window entries and pulled authors alike.
    query = select(Post.id).where(
        Post.id.in_(union_all(*parts))
        & Post.account_id.not_in(excluded_authors_query(account_id=viewer))
    )
    return bound_page_query(query, Post.id, shape.page, hide_muted=True)


def _pulled_part(authors: Any, shape: HomeShape) -> Select[int]:
    query = select(Post.id).where(authors & Post.in_reply_to_id.is_(None))
    if shape.with_edge:
        edge: BindParameter[int] = bindparam("edge")
        query = query.where(Post.id >= edge if not shape.page.min_id else Post.id <= edge)
    return select(paginate_bound(query, Post.id, shape.page).subquery().c.id)


# --- rebuilding ----------------------------------------------------------------------


async def rebuild_feed(session: AsyncSession, ctx: AppContext, *, account_id: int) -> None:
    """Fill a missing feed from the database: the newest posts of the followed accounts
    that are fanned out (the viewer's own and the merged authors' come at read time).

    The empty feed is opened first, so a fan-out that runs while the database is read
    lands in it instead of being skipped.
    """
    store = feed_store(ctx)
    await store.open_rebuild(account_id=account_id)
    authors = graph.followed_query(
        account_id=account_id, at_most_followers=ctx.settings.fanout_follower_threshold
    )
    rows = await session.execute(
        select(Post.id, Post.account_id)
        .where(
            Post.account_id.in_(authors)
            & Post.account_id.not_in(excluded_authors_query(account_id=account_id))
            & Post.in_reply_to_id.is_(None)
            & (Post.visibility != policies.DIRECT)
        )
        .order_by(Post.id.desc())
        .limit(ctx.settings.feed_max_entries)
    )
    entries = [(post_id, author_id) for post_id, author_id in rows.all()]
    # Posts that followed hashtags brought (the read hides blocked and muted authors).
    tagged = await session.execute(
        tag_follows.followed_tag_posts_query(
            account_id=account_id, limit=ctx.settings.feed_max_entries
        )
    )
    entries = sorted(
        set(entries) | {(post_id, author_id) for post_id, author_id in tagged.all()},
        reverse=True,
    )[: ctx.settings.feed_max_entries]
    await store.finish_rebuild(account_id=account_id, entries=entries)
    log.info("feed_rebuilt", account_id=account_id, entries=len(entries))

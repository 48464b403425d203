"""Pages of statuses rendered through the entity cache, patched for the viewer.

A page query returns, with each post id, the versions its JSON depends on (the post's
edit counter and its author's `updated_at`) and the post's live counters. Cached JSON is
found by those keys; only the misses are hydrated, in two batched queries whatever their
number. The counters (which move with every like, so they are not part of the key) and
the viewer's own flags (favourited, bookmarked, pinned, muted: one batched query) are
patched into a copy of each cached dict. The single-status path patches with the same
function.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import BindParameter, ColumnElement, Exists, Select, bindparam, exists, func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, aliased

from shutter import policies
from shutter.accounts.models import Account
from shutter.emojis.catalog import current_emojis
from shutter.filters.matching import NO_FILTERS, ViewerFilters, load_filters
from shutter.filters.models import Filter
from shutter.infra.context import AppContext
from shutter.infra.db import utcnow, writing
from shutter.infra.pagination import PageParams, PageShape, paginate, paginate_bound
from shutter.infra.prepared import Along, fetch_along, reusable
from shutter.posts.models import Bookmark, ConversationMute, Like, Pin, Post, PostEdit
from shutter.posts.schemas import HydratedPost, edit_json, status_json
from shutter.posts.service import hydrate
from shutter.posts.service.likes import ViewerFlags, viewer_flags


class PageRow(NamedTuple):
    """One row of a page query: the post, what its cache key needs, its live counters.

    A named tuple: a page makes twenty, and a frozen dataclass's __init__ cost more.
    """

    post_id: int
    version: int
    author_version: datetime
    favourites_count: int
    replies_count: int
    author_id: int
    cursor: int
    # The viewer's own flags, when the page query selected them (see with_cache_keys).
    favourited: bool | None = None
    bookmarked: bool | None = None
    pinned: bool | None = None
    muted: bool | None = None
    # Whether the viewer has filters in force (the page query asks, see _viewer_has_filters).
    has_filters: bool | None = None

    @property
    def key(self) -> str:
        return _key(self.post_id, self.version, self.author_version)


def with_cache_keys(
    query: Select[Any],
    post_id: InstrumentedAttribute[int],
    *,
    cursor: InstrumentedAttribute[int] | None = None,
    public_only: bool = False,
    with_flags: bool = False,
) -> Select[Any]:
    """Extend a query of post ids with the cache-key, counter and author columns.

    `cursor` is the column a page is ordered by when it is not the post id (a like's id);
    `public_only` keeps what is not listed publicly out (tag timelines, explore);
    `with_flags` adds whether the viewer (bind parameter `viewer`) liked, saved, pinned
    each post and muted its thread, primary-key probes per row instead of a query of
    their own.
    """
    if post_id is not Post.id:
        query = query.join(Post, Post.id == post_id)
    query = query.join(Account, Account.id == Post.account_id).where(policies.account_shown_sql())
    if public_only:
        # A silenced author stays out of public places but for its followers.
        viewer: BindParameter[Any] | None = bindparam("viewer") if with_flags else None
        query = query.where(policies.listed_publicly_sql() & policies.listed_for_sql(viewer=viewer))
    query = query.add_columns(
        Post.version,
        Account.updated_at,
        Post.favourites_count,
        Post.replies_count,
        Post.account_id,
        cursor if cursor is not None else post_id,
    )
    return query.add_columns(*_viewer_flags(), _viewer_has_filters()) if with_flags else query


# The viewer-specific parts of page queries are built once with bind parameters
# (`viewer`, `now`): building them per request cost more than running the query.


@cache
def _viewer_flags() -> tuple[Exists, Exists, ColumnElement[bool], Exists]:
    # Aliased: the favourites, bookmarks and pinned lists select from these very tables.
    like, bookmark, pin = aliased(Like), aliased(Bookmark), aliased(Pin)
    viewer: BindParameter[int] = bindparam("viewer")
    thread = func.coalesce(Post.root_id, Post.id)
    return (
        exists().where((like.account_id == viewer) & (like.post_id == Post.id)),
        exists().where((bookmark.account_id == viewer) & (bookmark.post_id == Post.id)),
        # Only an author pins, so only the author's own posts need the probe.
        (Post.account_id == viewer)
        & exists().where((pin.account_id == viewer) & (pin.post_id == Post.id)),
        exists().where(
            (ConversationMute.account_id == viewer) & (ConversationMute.post_id == thread)
        ),
    )


@cache
def _viewer_has_filters() -> Exists:
    # Uncorrelated, so both databases evaluate it once per statement: a viewer without
    # filters (most) costs no query of their own; one with them, one more (load_filters).
    viewer: BindParameter[int] = bindparam("viewer")
    now: BindParameter[datetime] = bindparam("now")
    return exists().where(
        (Filter.account_id == viewer) & (Filter.expires_at.is_(None) | (Filter.expires_at > now))
    )


async def viewer_filters(
    session: AsyncSession, viewer: Account | None, *, needed: bool = True
) -> ViewerFilters:
    """The viewer's filters in force (one query), or none for an anonymous viewer."""
    if viewer is None or not needed:
        return NO_FILTERS
    return await load_filters(session, account_id=viewer.id)


@cache
def _not_hidden(hide_muted: bool) -> ColumnElement[bool]:
    hidden = policies.hidden_authors_query(
        viewer_id=bindparam("viewer"), include_mutes=hide_muted, now=bindparam("now")
    )
    return Post.account_id.not_in(hidden)


def viewer_params(viewer: Account | None) -> dict[str, Any]:
    """Values of the bind parameters `with_flags` and the hidden-authors filter use."""
    return {"viewer": viewer.id, "now": utcnow()} if viewer is not None else {}


def page_rows(rows: list[Any]) -> list[PageRow]:
    return [PageRow(*row) for row in rows]


def _key(post_id: int, version: int, author_version: Any) -> str:
    return f"status:{post_id}:{version}:{author_version.timestamp()}"


async def page_of_statuses(
    session: AsyncSession,
    ctx: AppContext,
    query: Select[Any],
    post_id: InstrumentedAttribute[int],
    page: PageParams,
    *,
    viewer: Account | None,
    cursor: InstrumentedAttribute[int] | None = None,
    public_only: bool = False,
    hide_muted: bool = False,
    filter_context: str | None = None,
) -> tuple[list[dict[str, Any]], list[int]]:
    """One page of a query of post ids, rendered; also the cursor ids for Link headers.

    `filter_context` (home, public, account…) applies the viewer's filters of that
    context (shutter/filters/matching.py): `hide` leaves a status out, `warn` marks it.

    Only posts the viewer may see (shutter/policies.py) are in it; authors blocked
    either way never show; `hide_muted` also drops the viewer's muted accounts (feeds:
    home, hashtags, trends).
    """
    extended = with_cache_keys(
        query,
        post_id,
        cursor=cursor,
        public_only=public_only,
        with_flags=viewer is not None,
    )
    # In the page's own query: pages stay full and it costs no extra round trip. The
    # thread rule too: a saved comment leaves the list when its post is hidden.
    extended = extended.where(policies.openable_sql(signed_in=viewer is not None))
    if viewer is not None:
        extended = extended.where(_not_hidden(hide_muted))
    paged = paginate(extended, cursor if cursor is not None else post_id, page)
    values = viewer_params(viewer)
    return await run_page(
        session, ctx, paged, values, page, viewer=viewer, filter_context=filter_context
    )


def bound_page_query(
    query: Select[Any],
    post_id: InstrumentedAttribute[int],
    shape: PageShape,
    *,
    hide_muted: bool,
) -> Select[Any]:
    """`page_of_statuses`' statement for a signed-in viewer, built with bind parameters:
    cache it per shape, run it with `run_page` and `page_values(page) |
    viewer_params(viewer)` (building it per request costs more than running it). It is
    marked `reusable`: on PostgreSQL it runs on asyncpg directly (infra/prepared.py)."""
    extended = with_cache_keys(query, post_id, with_flags=True).where(
        policies.visible_sql(signed_in=True) & _not_hidden(hide_muted)
    )
    return reusable(paginate_bound(extended, post_id, shape))


async def run_page(
    session: AsyncSession,
    ctx: AppContext,
    statement: Select[Any],
    values: dict[str, Any],
    page: PageParams,
    *,
    viewer: Account | None,
    filter_context: str | None = None,
    along: Along | None = None,
) -> tuple[list[dict[str, Any]], list[int]]:
    """Run a page statement and render its rows; also the cursor ids for Link headers.
    A row a `hide` filter drops still counts for the cursors (the page moves past it).
    `along`: columns read in the same statement (infra/prepared.Along)."""
    rows = page_rows(list(await fetch_along(session, statement, values, along)))
    if page.min_id is not None:
        rows.reverse()  # fetched upwards from min_id; shown newest first
    body = await render_page(session, ctx, rows, viewer=viewer, filter_context=filter_context)
    return body, [row.cursor for row in rows]


def patch_status(
    body: dict[str, Any],
    *,
    favourites_count: int,
    replies_count: int,
    favourited: bool,
    bookmarked: bool,
    pinned: bool = False,
    muted: bool = False,
) -> dict[str, Any]:
    """A copy of a cached Status with its live counters and the viewer's flags."""
    patched = dict(body)
    patched["favourites_count"] = favourites_count
    patched["replies_count"] = replies_count
    patched["favourited"] = favourited
    patched["bookmarked"] = bookmarked
    patched["pinned"] = pinned
    patched["muted"] = muted
    return patched


async def render_page(
    session: AsyncSession,
    ctx: AppContext,
    rows: list[PageRow],
    *,
    viewer: Account | None,
    filter_context: str | None = None,
) -> list[dict[str, Any]]:
    """Statuses for page rows, in row order, patched for `viewer` (and filtered in
    `filter_context`, see `page_of_statuses`)."""
    keys = {row.post_id: row.key for row in rows}
    cached = await ctx.cache.get_many(keys.values())
    missing = [post_id for post_id, key in keys.items() if key not in cached]
    if missing:
        fresh = {}
        for item in await hydrate(session, missing):
            body = status_json(item, ctx.settings)
            key = _key(item.post.id, item.post.version, item.author.updated_at)
            fresh[key] = body
            keys[item.post.id] = key  # hydrated content wins over a racing edit
        if not writing(session):
            await ctx.cache.set_many(fresh)
        cached |= fresh
    # After the cache: which emojis a text uses is no part of its version (emojis/catalog.py).
    if emojis := await current_emojis(ctx):
        cached = {key: emojis.fill_status(body) for key, body in cached.items()}
    shown = [row for row in rows if keys[row.post_id] in cached]
    if all(row.favourited is not None for row in shown):  # the page query brought them
        flags = ViewerFlags(
            liked={row.post_id for row in shown if row.favourited},
            saved={row.post_id for row in shown if row.bookmarked},
            pinned={row.post_id for row in shown if row.pinned},
            muted={row.post_id for row in shown if row.muted},
        )
    else:
        flags = await viewer_flags(
            session, viewer_id=viewer.id if viewer else None, post_ids=[r.post_id for r in shown]
        )
    statuses = [
        patch_status(
            cached[keys[row.post_id]],
            favourites_count=row.favourites_count,
            replies_count=row.replies_count,
            favourited=row.post_id in flags.liked,
            bookmarked=row.post_id in flags.saved,
            pinned=row.post_id in flags.pinned,
            muted=row.post_id in flags.muted,
        )
        for row in shown
    ]
    if filter_context is None or viewer is None or not statuses:
        return statuses
    # The page query said whether the viewer has filters; rows from elsewhere (trends) ask.
    needed = any(row.has_filters is not False for row in shown)
    filters = await viewer_filters(session, viewer, needed=needed)
    return filters.apply(statuses, filter_context)


async def render_status(
    session: AsyncSession,
    ctx: AppContext,
    item: HydratedPost,
    *,
    viewer: Account | None,
    with_source: bool = False,
    filter_context: str | None = None,
) -> dict[str, Any]:
    """One hydrated post as the viewer sees it (the single-status routes).

    With `filter_context` (the status page: thread) it carries `filtered` for every filter
    of that context it matches, `hide` ones too: a status asked for by id is shown, and
    the client decides, as with Mastodon."""
    flags = await viewer_flags(
        session, viewer_id=viewer.id if viewer else None, post_ids=[item.post.id]
    )
    body = (
        (await current_emojis(ctx)).fill_status(status_json(item, ctx.settings, with_source=True))
        if with_source
        else (await cached_statuses(session, ctx, [item]))[0]
    )
    patched = patch_status(
        body,
        favourites_count=item.post.favourites_count,
        replies_count=item.post.replies_count,
        favourited=item.post.id in flags.liked,
        bookmarked=item.post.id in flags.saved,
        pinned=item.post.id in flags.pinned,
        muted=item.post.id in flags.muted,
    )
    if filter_context is not None and viewer is not None:
        (await viewer_filters(session, viewer)).mark(patched, filter_context)
    return patched


async def render_items(
    session: AsyncSession, ctx: AppContext, items: list[HydratedPost], *, viewer: Account | None
) -> list[dict[str, Any]]:
    """Already hydrated posts (a thread's context), patched in one flags query."""
    flags = await viewer_flags(
        session, viewer_id=viewer.id if viewer else None, post_ids=[i.post.id for i in items]
    )
    bodies = await cached_statuses(session, ctx, items)
    return [
        patch_status(
            body,
            favourites_count=item.post.favourites_count,
            replies_count=item.post.replies_count,
            favourited=item.post.id in flags.liked,
            bookmarked=item.post.id in flags.saved,
            pinned=item.post.id in flags.pinned,
            muted=item.post.id in flags.muted,
        )
        for item, body in zip(items, bodies, strict=True)
    ]


async def cached_statuses(
    session: AsyncSession, ctx: AppContext, items: list[HydratedPost]
) -> list[dict[str, Any]]:
    """Unpatched Status JSON of hydrated posts from the cache, rendering (and storing) misses.

    Nothing rendered inside a write transaction is stored: it could be rolled back, and
    its version key then reused by a later change with other content.
    """
    keys = [_key(i.post.id, i.post.version, i.author.updated_at) for i in items]
    found = await ctx.cache.get_many(keys)
    fresh = {
        key: status_json(item, ctx.settings)
        for key, item in zip(keys, items, strict=True)
        if key not in found
    }
    if fresh and not writing(session):
        await ctx.cache.set_many(fresh)
    bodies = [found.get(key) or fresh[key] for key in keys]
    return (await current_emojis(ctx)).fill_statuses(bodies)  # after the cache: emojis/catalog.py


async def render_edits(
    ctx: AppContext, item: HydratedPost, versions: list[PostEdit]
) -> list[dict[str, Any]]:
    """A post's versions as StatusEdit entities, oldest first, with the custom emojis
    their texts use (GET …/history and the post page's history)."""
    emojis = await current_emojis(ctx)
    return [emojis.fill_status(edit_json(version, item, ctx.settings)) for version in versions]

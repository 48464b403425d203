"""Pages of statuses rendered through the entity cache.

A page query returns, with each post id, the versions its JSON depends on (the post's
edit counter and its author's `updated_at`). Cached JSON is found by those keys; only
the misses are hydrated, in two batched queries whatever their number.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from shutter.accounts.models import Account
from shutter.infra.context import AppContext
from shutter.infra.pagination import PageParams, paginate
from shutter.posts.models import Post
from shutter.posts.schemas import status_json
from shutter.posts.service import hydrate


def with_cache_keys(query: Select[int], post_id: InstrumentedAttribute[int]) -> Select[Any]:
    """Extend a query of post ids with the columns the cache keys need (and live authors)."""
    if post_id is not Post.id:
        query = query.join(Post, Post.id == post_id)
    return (
        query.join(Account, Account.id == Post.account_id)
        .where(Account.suspended_at.is_(None))
        .add_columns(Post.version, Account.updated_at)
    )


def _key(post_id: int, version: int, author_version: Any) -> str:
    return f"status:{post_id}:{version}:{author_version.timestamp()}"


async def page_of_statuses(
    session: AsyncSession,
    ctx: AppContext,
    query: Select[int],
    post_id: InstrumentedAttribute[int],
    page: PageParams,
) -> tuple[list[dict[str, Any]], list[int]]:
    """One page of a query of post ids, rendered; also the page's ids for Link headers."""
    rows = list(
        (await session.execute(paginate(with_cache_keys(query, post_id), post_id, page))).all()
    )
    if page.min_id is not None:
        rows.reverse()  # fetched upwards from min_id; shown newest first
    return await render_page(session, ctx, rows), [row[0] for row in rows]


async def render_page(
    session: AsyncSession, ctx: AppContext, rows: list[Any]
) -> list[dict[str, Any]]:
    """Statuses for rows of (post id, post version, author updated_at), in row order."""
    keys = {row[0]: _key(*row) for row in rows}
    cached = ctx.cache.get_many(keys.values())
    missing = [post_id for post_id, key in keys.items() if key not in cached]
    if missing:
        fresh = {}
        for item in await hydrate(session, missing):
            body = status_json(item, ctx.settings)
            key = _key(item.post.id, item.post.version, item.author.updated_at)
            fresh[key] = body
            keys[item.post.id] = key  # hydrated content wins over a racing edit
        ctx.cache.set_many(fresh)
        cached |= fresh
    return [cached[keys[post_id]] for post_id in keys if keys[post_id] in cached]

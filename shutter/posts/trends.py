"""Explore: recent public posts ranked by engagement that fades with age.

score = (likes + 2 × comments + 1) / (age in hours + 2) ^ 1.5 (Hacker News' gravity).
The database picks the most engaged recent posts (an index-friendly top-N on the
counters); the decay is applied to those candidates here, since SQLite has no POWER.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import BigInteger, Select, bindparam, distinct, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shutter import policies
from shutter.accounts.models import Account
from shutter.infra.db import utcnow
from shutter.infra.ids import lowest_id_at, timestamp_ms_of
from shutter.media.models import Media
from shutter.posts.models import Post, PostTag, Tag
from shutter.posts.render import PageRow, page_rows, with_cache_keys

CANDIDATES = 400
GRAVITY = 1.5


def score(row: PageRow, *, now_ms: int) -> float:
    age_hours = max(0.0, (now_ms - timestamp_ms_of(row.post_id)) / 3_600_000)
    engagement = row.favourites_count + 2 * row.replies_count + 1
    return engagement / (age_hours + 2) ** GRAVITY


async def trending_rows(
    session: AsyncSession,
    *,
    window_days: int,
    offset: int,
    limit: int,
    viewer_id: int | None = None,
) -> list[PageRow]:
    """The page of trending posts at `offset` (rows ready for `render_page`).

    Without the authors the viewer blocked, is blocked by or muted.
    """
    now = utcnow()
    since = lowest_id_at(now - timedelta(days=window_days))
    # Written into the statement's text: how much of the table the window covers decides
    # the plan, and prepared statements are planned once for every value (see
    # docs/decisions/0010-read-path-callers-and-plans.md).
    lowest = bindparam("since", since, type_=BigInteger, literal_execute=True)
    query = select(Post.id).where((Post.id >= lowest) & Post.in_reply_to_id.is_(None))
    if viewer_id is not None:
        hidden = policies.hidden_authors_query(viewer_id=viewer_id, include_mutes=True)
        query = query.where(Post.account_id.not_in(hidden))
    engagement = Post.favourites_count + 2 * Post.replies_count
    rows = page_rows(
        list(
            (
                await session.execute(
                    with_cache_keys(query, Post.id, public_only=True)
                    .order_by(engagement.desc(), Post.id.desc())
                    .limit(CANDIDATES)
                )
            ).all()
        )
    )
    now_ms = int(now.timestamp() * 1000)
    rows.sort(key=lambda r: (score(r, now_ms=now_ms), r.post_id), reverse=True)
    return rows[offset : offset + limit]


async def trending_tags(
    session: AsyncSession, *, window_days: int, offset: int, limit: int
) -> tuple[list[Tag], bool]:
    """The page of tags most used in the window's public posts, and whether more follow.

    Ranked by how many accounts used a tag, then by its uses: one account posting a tag
    many times does not make it trend. Only posts of listed authors count (not silenced,
    not hidden by their state).
    """
    since = lowest_id_at(utcnow() - timedelta(days=window_days))
    lowest = bindparam("since", since, type_=BigInteger, literal_execute=True)
    accounts = func.count(distinct(Post.account_id))
    uses = func.count()
    ranked = (
        select(PostTag.tag_id)
        .join(Post, Post.id == PostTag.post_id)
        .join(Account, Account.id == Post.account_id)
        .where(
            (PostTag.post_id >= lowest)
            & Post.in_reply_to_id.is_(None)
            & policies.listed_publicly_sql()
            & policies.account_shown_sql()
            & Account.silenced_at.is_(None)
        )
        .group_by(PostTag.tag_id)
        .order_by(accounts.desc(), uses.desc(), PostTag.tag_id.desc())
        .offset(offset)
        .limit(limit + 1)
    )
    tag_ids = list(await session.scalars(ranked))
    found = {t.id: t for t in await session.scalars(select(Tag).where(Tag.id.in_(tag_ids)))}
    return [found[i] for i in tag_ids[:limit] if i in found], len(tag_ids) > limit


def public_timeline_query(*, only_media: bool) -> Select[int]:
    """Ids of the instance's top posts (the page query keeps the public ones of listed
    authors); with `only_media`, those with an attachment."""
    query = select(Post.id).where(Post.in_reply_to_id.is_(None))
    if only_media:
        query = query.where(exists().where(Media.post_id == Post.id))
    return query

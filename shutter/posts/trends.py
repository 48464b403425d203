"""Explore: recent public posts ranked by engagement that fades with age.

score = (likes + 2 × comments + 1) / (age in hours + 2) ^ 1.5 (Hacker News' gravity).
The database picks the most engaged recent posts (an index-friendly top-N on the
counters); the decay is applied to those candidates here, since SQLite has no POWER.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import BigInteger, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from shutter import policies
from shutter.infra.db import utcnow
from shutter.infra.ids import lowest_id_at, timestamp_ms_of
from shutter.posts.models import Post
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

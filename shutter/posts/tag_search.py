"""Hashtag search by prefix of the normalised name (a GIN trigram index on PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.posts import text
from shutter.posts.models import Tag


async def search_tags(session: AsyncSession, *, q: str, limit: int, offset: int) -> list[Tag]:
    """Tags whose name starts with `q` (`#` optional, any case): exact first, then shortest."""
    # No tag holds a NUL, and PostgreSQL refuses one in a query: it is dropped, as the
    # account search does.
    name = text.normalize_tag(q.replace("\x00", "").strip().lstrip("#"))
    if not name:
        return []
    query = (
        select(Tag)
        .where(Tag.name.startswith(name, autoescape=True))
        .order_by(Tag.name != name, func.length(Tag.name), Tag.name)
        .limit(limit)
        .offset(offset)
    )
    return list(await session.scalars(query))

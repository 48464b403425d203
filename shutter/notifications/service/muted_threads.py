"""Muted threads (Mastodon's muted conversations): nothing about a post of a thread
reaches an account that muted it. The posts service owns the table; this reads it."""

from __future__ import annotations

from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.posts.models import ConversationMute, Post


async def is_thread_muted(session: AsyncSession, *, account_id: int, post_id: int) -> bool:
    """Whether `account_id` muted the thread `post_id` belongs to (its top post's)."""
    thread = (
        select(func.coalesce(Post.root_id, Post.id)).where(Post.id == post_id).scalar_subquery()
    )
    muted = exists().where(
        (ConversationMute.account_id == account_id) & (ConversationMute.post_id == thread)
    )
    return bool(await session.scalar(select(muted)))

"""Pinned posts and muted threads: an account's own marks on posts, shown only to it.

A pin puts one of the author's posts at the top of their profile (Mastodon's
`?pinned=true` list, newest pin first); Mastodon's rules hold: one's own posts only, not
a direct one, at most `MAX_PINS`. A muted thread (Mastodon's muted conversation) is kept
by its top post, so every comment of it is muted too; the notifications service reads
the table and creates nothing about a muted thread for the account that muted it.
"""

from __future__ import annotations

from sqlalchemy import Select, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shutter import policies
from shutter.accounts import service as accounts
from shutter.accounts.models import Account
from shutter.infra.db import conflict_aware_insert, utcnow
from shutter.infra.errors import unprocessable
from shutter.infra.ids import ids, shard_of
from shutter.posts.models import ConversationMute, Pin
from shutter.posts.schemas import HydratedPost
from shutter.posts.service import access_post

MAX_PINS = 5


async def do_pin(session: AsyncSession, *, actor: Account, post_id: int | str) -> HydratedPost:
    """Pin one of the actor's posts; pinning a pinned post changes nothing."""
    item = await access_post(session, post_id, viewer=actor)
    if item.post.account_id != actor.id:
        raise unprocessable("Someone else's post cannot be pinned")
    if item.post.visibility == policies.DIRECT:
        raise unprocessable("Posts that are only visible to mentioned users cannot be pinned")
    # The author's row is the lock: two pins at once cannot both pass the count.
    await accounts.lock_accounts(session, [actor.id])
    pinned = await session.scalar(
        select(Pin.id).where((Pin.account_id == actor.id) & (Pin.post_id == item.post.id))
    )
    if pinned is not None:
        return item
    count = await session.scalar(
        select(func.count()).select_from(Pin).where(Pin.account_id == actor.id)
    )
    if (count or 0) >= MAX_PINS:
        raise unprocessable("You have already pinned the maximum number of posts")
    await session.execute(
        conflict_aware_insert(session, Pin)
        .values(
            id=ids.next_id(shard_of(actor.id)),
            account_id=actor.id,
            post_id=item.post.id,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["account_id", "post_id"])
    )
    return item


async def do_unpin(session: AsyncSession, *, actor: Account, post_id: int | str) -> HydratedPost:
    """Unpin a post the actor may see (nothing happens if it was not pinned)."""
    item = await access_post(session, post_id, viewer=actor)
    await session.execute(
        delete(Pin).where((Pin.account_id == actor.id) & (Pin.post_id == item.post.id))
    )
    return item


def pinned_query(*, author: Account) -> Select[int]:
    """The author's pinned post ids (page it by Pin.id: newest pin first)."""
    return select(Pin.post_id).where(Pin.account_id == author.id)


def _thread_of(item: HydratedPost) -> int:
    return item.post.root_id or item.post.id


async def do_mute_thread(
    session: AsyncSession, *, actor: Account, post_id: int | str
) -> HydratedPost:
    """Mute the thread of a post the actor may see; muting twice keeps one mute."""
    item = await access_post(session, post_id, viewer=actor)
    await session.execute(
        conflict_aware_insert(session, ConversationMute)
        .values(account_id=actor.id, post_id=_thread_of(item), created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["account_id", "post_id"])
    )
    return item


async def do_unmute_thread(
    session: AsyncSession, *, actor: Account, post_id: int | str
) -> HydratedPost:
    item = await access_post(session, post_id, viewer=actor)
    await session.execute(
        delete(ConversationMute).where(
            (ConversationMute.account_id == actor.id)
            & (ConversationMute.post_id == _thread_of(item))
        )
    )
    return item

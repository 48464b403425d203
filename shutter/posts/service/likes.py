"""Likes (Mastodon's favourites) and saves (bookmarks), with exact counters.

A like row and its post's counter change in one transaction. The insert is
ON CONFLICT DO NOTHING RETURNING and the delete is DELETE … RETURNING, so of two racing
likes (or unlikes) by one account only one finds a row to count, and the counter moves
by `favourites_count = favourites_count + 1` in the database, never by a value read
earlier: concurrent likes by many accounts queue on the post's row and all count.
"""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import Select, delete, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from shutter import policies
from shutter.accounts import service as accounts
from shutter.accounts.models import Account
from shutter.graph.service import AccountPage
from shutter.infra.db import conflict_aware_insert, utcnow
from shutter.infra.domain import publish
from shutter.infra.ids import ids, shard_of
from shutter.infra.pagination import PageParams, paginate
from shutter.policies import account_shown
from shutter.posts.events import Favourited, Unfavourited
from shutter.posts.models import Bookmark, ConversationMute, Like, Pin, Post
from shutter.posts.schemas import HydratedPost
from shutter.posts.service import access_post, adjust_post_counts


class ViewerFlags(NamedTuple):
    """The post ids, among those asked, that the viewer liked, saved, pinned, muted."""

    liked: set[int]
    saved: set[int]
    pinned: set[int]
    muted: set[int]


async def viewer_flags(
    session: AsyncSession, *, viewer_id: int | None, post_ids: list[int]
) -> ViewerFlags:
    """The viewer's own flags on `post_ids`, in one query.

    `muted` is the viewer's mute of the post's thread (its top post, or itself).
    """
    flags = ViewerFlags(set(), set(), set(), set())
    if viewer_id is None or not post_ids:
        return flags
    liked = select(Like.post_id, literal("f").label("kind")).where(
        (Like.account_id == viewer_id) & Like.post_id.in_(post_ids)
    )
    saved = select(Bookmark.post_id, literal("b").label("kind")).where(
        (Bookmark.account_id == viewer_id) & Bookmark.post_id.in_(post_ids)
    )
    pinned = select(Pin.post_id, literal("p").label("kind")).where(
        (Pin.account_id == viewer_id) & Pin.post_id.in_(post_ids)
    )
    muted = (
        select(Post.id, literal("m").label("kind"))
        .join(
            ConversationMute,
            (ConversationMute.account_id == viewer_id)
            & (ConversationMute.post_id == func.coalesce(Post.root_id, Post.id)),
        )
        .where(Post.id.in_(post_ids))
    )
    sets = {"f": flags.liked, "b": flags.saved, "p": flags.pinned, "m": flags.muted}
    for post_id, kind in (await session.execute(union_all(liked, saved, pinned, muted))).all():
        sets[kind].add(post_id)
    return flags


async def _insert_pair(
    session: AsyncSession, model: type[Like] | type[Bookmark], *, account_id: int, post_id: int
) -> bool:
    """Insert (account, post) unless present; True only if this call inserted it."""
    statement = (
        conflict_aware_insert(session, model)
        .values(
            # Sharded by the account that acts: a user's likes live with their data.
            id=ids.next_id(shard_of(account_id)),
            account_id=account_id,
            post_id=post_id,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["account_id", "post_id"])
        .returning(model.id)
    )
    return (await session.execute(statement)).first() is not None


async def _delete_pair(
    session: AsyncSession, model: type[Like] | type[Bookmark], *, account_id: int, post_id: int
) -> bool:
    """Delete (account, post); True only if this call found the row."""
    result = await session.execute(
        delete(model)
        .where((model.account_id == account_id) & (model.post_id == post_id))
        .returning(model.id)
    )
    return result.first() is not None


async def do_favourite(
    session: AsyncSession, *, actor: Account, post_id: int | str
) -> HydratedPost:
    """Like a post the actor may see (404 otherwise); liking twice counts once."""
    item = await access_post(session, post_id, viewer=actor)
    if await _insert_pair(session, Like, account_id=actor.id, post_id=item.post.id):
        await adjust_post_counts(session, post=item.post, favourites=1)
        await publish(
            session, Favourited(post_id=item.post.id, author_id=item.author.id, actor_id=actor.id)
        )
    return item


async def do_unfavourite(
    session: AsyncSession, *, actor: Account, post_id: int | str
) -> HydratedPost:
    """Take a like back (nothing happens if there was none); takes its notification too."""
    item = await access_post(session, post_id, viewer=actor)
    if await _delete_pair(session, Like, account_id=actor.id, post_id=item.post.id):
        await adjust_post_counts(session, post=item.post, favourites=-1)
        await publish(
            session,
            Unfavourited(post_id=item.post.id, author_id=item.author.id, actor_id=actor.id),
        )
    return item


async def do_bookmark(session: AsyncSession, *, actor: Account, post_id: int | str) -> HydratedPost:
    """Save a post the actor may see; saving twice keeps one save."""
    item = await access_post(session, post_id, viewer=actor)
    await _insert_pair(session, Bookmark, account_id=actor.id, post_id=item.post.id)
    return item


async def do_unbookmark(
    session: AsyncSession, *, actor: Account, post_id: int | str
) -> HydratedPost:
    item = await access_post(session, post_id, viewer=actor)
    await _delete_pair(session, Bookmark, account_id=actor.id, post_id=item.post.id)
    return item


async def favourited_by(
    session: AsyncSession, *, post_id: int | str, viewer: Account | None, page: PageParams
) -> AccountPage:
    """Who liked a post the viewer may see, newest like first (paged by the like's id)."""
    item = await access_post(session, post_id, viewer=viewer)
    query = select(Like.id, Like.account_id).where(Like.post_id == item.post.id)
    if viewer is not None:  # likers blocked either way with the viewer are not listed
        hidden = policies.blocked_either_way_query(viewer_id=viewer.id)
        query = query.where(Like.account_id.not_in(hidden))
    rows = sorted(
        (
            (row_id, account_id)
            for row_id, account_id in (await session.execute(paginate(query, Like.id, page))).all()
        ),
        reverse=True,
    )
    found = await accounts.accounts_by_ids(session, {account_id for _, account_id in rows})
    listed = [
        found[account_id]
        for _, account_id in rows
        if account_id in found and account_shown(found[account_id])
    ]
    return AccountPage(accounts=listed, cursor_ids=[row_id for row_id, _ in rows])


def favourites_query(*, account_id: int) -> Select[int]:
    """The caller's liked post ids (page it by Like.id: newest like first)."""
    return select(Like.post_id).where(Like.account_id == account_id)


def bookmarks_query(*, account_id: int) -> Select[int]:
    """The caller's saved post ids (page it by Bookmark.id: newest save first)."""
    return select(Bookmark.post_id).where(Bookmark.account_id == account_id)

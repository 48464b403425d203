"""What goes into an archive, read from the services that own it (read-only queries).

Posts come a page at a time with their media and the URIs of the posts they answer, so
a large account is never held whole; the lists (follows, blocks, likes…) are one column
of account names or post ids each and are read at once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from shutter.accounts.models import Account
from shutter.archive.service.activitypub import post_uri
from shutter.graph.models import Block, Follow, Mute
from shutter.infra.context import AppContext
from shutter.lists import service as lists
from shutter.media.models import Media
from shutter.policies import mute_active
from shutter.posts.models import Bookmark, Like, Post

POSTS_PER_PAGE = 100


@dataclass
class PostPage:
    posts: list[Post]
    media: dict[int, list[Media]] = field(default_factory=dict)  # by post id, in order
    parents: dict[int, str] = field(default_factory=dict)  # post id → URI it answers


@dataclass
class AccountLists:
    following: list[str]  # account addresses (username@domain), newest first
    followers: list[str]
    blocked: list[str]
    muted: list[tuple[str, bool]]  # with hide_notifications
    likes: list[str]  # post URIs, newest first
    bookmarks: list[str]
    lists: list[tuple[str, str]] = field(default_factory=list)  # (list title, address)


async def count_posts(ctx: AppContext, *, account_id: int) -> int:
    async with ctx.db.read() as session:
        found = await session.scalar(
            select(func.count()).select_from(Post).where(Post.account_id == account_id)
        )
    return int(found or 0)


async def post_pages(
    ctx: AppContext, *, account_id: int, base_url: str, page_size: int = POSTS_PER_PAGE
) -> AsyncIterator[PostPage]:
    """The account's posts (comments too), oldest first, a page per read."""
    after = 0
    while True:
        async with ctx.db.read() as session:
            posts = list(
                await session.scalars(
                    select(Post)
                    .where((Post.account_id == account_id) & (Post.id > after))
                    .order_by(Post.id)
                    .limit(page_size)
                )
            )
            if not posts:
                return
            page = PostPage(posts)
            post_ids = [post.id for post in posts]
            for media in await session.scalars(
                select(Media)
                .where(Media.post_id.in_(post_ids))
                .order_by(Media.post_id, Media.position, Media.id)
            ):
                assert media.post_id is not None
                page.media.setdefault(media.post_id, []).append(media)
            parent_ids = {post.in_reply_to_id for post in posts if post.in_reply_to_id}
            if parent_ids:
                rows = await session.execute(
                    select(Post.id, Account.username)
                    .join(Account, Account.id == Post.account_id)
                    .where(Post.id.in_(parent_ids))
                )
                uris = {pid: post_uri(base_url, name, pid) for pid, name in rows.all()}
                page.parents = {
                    post.id: uris[post.in_reply_to_id]
                    for post in posts
                    if post.in_reply_to_id in uris
                }
        yield page
        after = posts[-1].id


async def account_lists(
    ctx: AppContext, *, account_id: int, base_url: str, domain: str
) -> AccountLists:
    target = aliased(Account)
    async with ctx.db.read() as session:

        async def names(query: Select[str]) -> list[str]:
            rows = await session.scalars(query)
            return [f"{name}@{domain}" for name in rows]

        following = await names(
            select(target.username)
            .join(Follow, Follow.target_account_id == target.id)
            .where(Follow.account_id == account_id)
            .order_by(Follow.id.desc())
        )
        followers = await names(
            select(target.username)
            .join(Follow, Follow.account_id == target.id)
            .where(Follow.target_account_id == account_id)
            .order_by(Follow.id.desc())
        )
        blocked = await names(
            select(target.username)
            .join(Block, Block.target_account_id == target.id)
            .where(Block.account_id == account_id)
            .order_by(Block.id.desc())
        )
        muted_rows = await session.execute(
            select(target.username, Mute.hide_notifications)
            .join(Mute, Mute.target_account_id == target.id)
            .where((Mute.account_id == account_id) & mute_active())
            .order_by(Mute.id.desc())
        )
        muted = [(f"{name}@{domain}", bool(hide)) for name, hide in muted_rows.all()]
        likes = await _post_uris(session, Like, account_id, base_url)
        bookmarks = await _post_uris(session, Bookmark, account_id, base_url)
        members = await lists.memberships(session, owner_id=account_id)
    listed = [(title, f"{name}@{domain}") for title, name in members]
    return AccountLists(following, followers, blocked, muted, likes, bookmarks, listed)


async def _post_uris(
    session: AsyncSession, model: type[Like] | type[Bookmark], account_id: int, base_url: str
) -> list[str]:
    author = aliased(Account)
    rows = await session.execute(
        select(Post.id, author.username)
        .join(model, model.post_id == Post.id)
        .join(author, author.id == Post.account_id)
        .where(model.account_id == account_id)
        .order_by(model.id.desc())
    )
    return [post_uri(base_url, name, post_id) for post_id, name in rows.all()]

"""Followed hashtags: who follows which tag, and the public posts that reach them.

A followed tag brings public posts carrying it into the follower's home feed through
the feed's fan-out (`feed.fanout_tags`), as Mastodon's hashtag followers get them:
public top posts only (not unlisted, whose authors chose to stay out of public places),
never by a silenced author (Mastodon's `broadcastable?`), never from an account hidden
from the follower (a block either way, a mute). Followers of the author are left to
the follow fan-out, so no one gets the post twice.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, Select, delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from shutter import policies
from shutter.accounts.models import Account
from shutter.graph.models import Follow
from shutter.infra.db import insert_ignoring_conflicts, utcnow
from shutter.infra.domain import publish
from shutter.infra.errors import not_found
from shutter.infra.ids import ids, lowest_id_at, timestamp_ms_of
from shutter.posts import text
from shutter.posts.events import TagUnfollowed
from shutter.posts.models import Post, PostTag, Tag, TagFollow
from shutter.posts.service.entities import _ensure_tags, find_tag

HISTORY_DAYS = 7
# A tag's history reads the ids of its posts of the last week; beyond this many the
# oldest days are undercounted, which a trend's shape survives.
HISTORY_MAX_POSTS = 20_000


async def tag_for_write(session: AsyncSession, name: str) -> Tag:
    """The tag spelled `name`, made if no post used it yet (Mastodon lets one follow or
    feature a tag before its first post); 404 for what cannot be a tag."""
    if not text.is_tag_name(name):
        raise not_found("Tag")
    found = await find_tag(session, name)
    if found is not None:
        return found
    [tag] = await _ensure_tags(session, [name])
    return tag


async def do_follow_tag(session: AsyncSession, *, account: Account, name: str) -> Tag:
    """Follow a hashtag (again is no error); returns the tag."""
    tag = await tag_for_write(session, name)
    row = {
        "id": ids.next_id(ids.new_shard()),
        "account_id": account.id,
        "tag_id": tag.id,
        "created_at": utcnow(),
    }
    await insert_ignoring_conflicts(session, TagFollow.__table__, [row])
    return tag


async def do_unfollow_tag(session: AsyncSession, *, account: Account, name: str) -> Tag:
    """Stop following a hashtag (not following it is no error); 404 for an unknown tag.

    The feed takes the tag's posts out of the home feed, except those still justified (a
    followed author, another followed tag): `TagUnfollowed`.
    """
    tag = await find_tag(session, name)
    if tag is None:
        raise not_found("Tag")
    gone = await session.execute(
        delete(TagFollow).where((TagFollow.account_id == account.id) & (TagFollow.tag_id == tag.id))
    )
    if getattr(gone, "rowcount", 0):
        await publish(session, TagUnfollowed(account_id=account.id, tag_id=tag.id))
    return tag


def followed_tags_query(*, account_id: int) -> Select[Tag, int]:
    """(tag, follow row id) of the tags an account follows; paged by the row id."""
    return (
        select(Tag, TagFollow.id)
        .join(TagFollow, TagFollow.tag_id == Tag.id)
        .where(TagFollow.account_id == account_id)
    )


async def followed_tag_ids(
    session: AsyncSession, *, account_id: int, tag_ids: list[int]
) -> set[int]:
    """Which of these tags the account follows."""
    if not tag_ids:
        return set()
    rows = await session.scalars(
        select(TagFollow.tag_id).where(
            (TagFollow.account_id == account_id) & TagFollow.tag_id.in_(tag_ids)
        )
    )
    return set(rows)


async def tag_history(
    session: AsyncSession, *, tag_ids: list[int], days: int = HISTORY_DAYS
) -> dict[int, list[dict[str, str]]]:
    """Mastodon's Tag history: per UTC day, newest first, the public posts carrying the tag
    (`uses`) and their distinct authors (`accounts`), counted from listed authors only."""
    today = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    starts = [today - timedelta(days=n) for n in range(days)]
    history: dict[int, list[dict[str, str]]] = {}
    for tag_id in tag_ids:
        rows = await session.execute(
            select(Post.id, Post.account_id)
            .join(PostTag, PostTag.post_id == Post.id)
            .join(Account, Account.id == Post.account_id)
            .where(
                (PostTag.tag_id == tag_id)
                & (PostTag.post_id >= lowest_id_at(starts[-1]))
                & policies.listed_publicly_sql()
                & policies.account_shown_sql()
                & Account.silenced_at.is_(None)
            )
            .order_by(PostTag.post_id.desc())
            .limit(HISTORY_MAX_POSTS)
        )
        uses = [0] * days
        authors: list[set[int]] = [set() for _ in range(days)]
        for post_id, author_id in rows.all():
            age = (today.timestamp() * 1000 - timestamp_ms_of(post_id)) / 86_400_000
            index = 0 if age <= 0 else int(age) + 1
            if index < days:
                uses[index] += 1
                authors[index].add(author_id)
        history[tag_id] = [
            {
                "day": str(int(start.timestamp())),
                "uses": str(uses[n]),
                "accounts": str(len(authors[n])),
            }
            for n, start in enumerate(starts)
        ]
    return history


# --- fan-out and the home feed ---------------------------------------------------------


async def tag_follower_ids_page(
    session: AsyncSession, *, post_id: int, after_id: int, limit: int
) -> list[int]:
    """The next accounts (above `after_id`, ascending) whose followed tags bring this post
    to their home feed; empty when the post is not for them at all."""
    found = (
        await session.execute(
            select(Post, Account)
            .join(Account, Account.id == Post.account_id)
            .where(
                (Post.id == post_id)
                & Post.in_reply_to_id.is_(None)
                & policies.listed_publicly_sql()
                & policies.account_shown_sql()
            )
        )
    ).first()
    if found is None or found[1].silenced_at is not None:
        return []
    author_id = found[1].id
    tagged = select(PostTag.tag_id).where(PostTag.post_id == post_id)
    follows_author = exists().where(
        (Follow.account_id == TagFollow.account_id) & (Follow.target_account_id == author_id)
    )
    rows = await session.scalars(
        select(TagFollow.account_id)
        .where(
            TagFollow.tag_id.in_(tagged)
            & (TagFollow.account_id > after_id)
            & (TagFollow.account_id != author_id)
            & ~follows_author
            & ~policies.hides_author_sql(viewer=TagFollow.account_id, author_id=author_id)
        )
        .distinct()
        .order_by(TagFollow.account_id)
        .limit(limit)
    )
    return list(rows)


def carries_followed_tag_sql(*, viewer: BindParameter[int] | int) -> ColumnElement[bool]:
    """Whether the page row's post carries a tag the viewer follows (a home feed's entry
    that came through a followed tag, rather than a followed author)."""
    return exists().where(
        (PostTag.post_id == Post.id)
        & (TagFollow.tag_id == PostTag.tag_id)
        & (TagFollow.account_id == viewer)
    )


def followed_tag_posts_query(*, account_id: int, limit: int) -> Select[int, int]:
    """(post id, author id) of the newest public posts carrying a tag the account follows,
    for rebuilding a lost feed (the read's own query hides blocked and muted authors)."""
    followed = select(TagFollow.tag_id).where(TagFollow.account_id == account_id)
    return (
        select(Post.id, Post.account_id)
        .join(PostTag, PostTag.post_id == Post.id)
        .join(Account, Account.id == Post.account_id)
        .where(
            PostTag.tag_id.in_(followed)
            & Post.in_reply_to_id.is_(None)
            & policies.listed_publicly_sql()
            & Account.silenced_at.is_(None)
        )
        .distinct()
        .order_by(Post.id.desc())
        .limit(limit)
    )


def left_by_unfollowed_tag_sql(
    post_id: Any, *, account_id: int, tag_id: int
) -> ColumnElement[bool]:
    """Whether the post `post_id` (a column of the caller's statement) carries `tag_id`
    and no other tag the account still follows (for taking what an unfollowed tag brought
    out of its home feed). Correlated, so it costs a probe per feed entry, whatever the
    tags' sizes."""
    other = aliased(PostTag)
    still_followed = exists().where(
        (other.post_id == post_id)
        & (TagFollow.tag_id == other.tag_id)
        & (TagFollow.account_id == account_id)
    )
    carries = exists().where((PostTag.post_id == post_id) & (PostTag.tag_id == tag_id))
    return carries & ~still_followed


async def has_tag_followers(session: AsyncSession, *, post_id: int) -> bool:
    """Whether anyone follows a tag of this public post (so a tag fan-out is worth a job)."""
    found = await session.scalar(
        select(TagFollow.id)
        .join(PostTag, PostTag.tag_id == TagFollow.tag_id)
        .join(Post, Post.id == PostTag.post_id)
        .where((PostTag.post_id == post_id) & (Post.visibility == policies.PUBLIC))
        .limit(1)
    )
    return found is not None

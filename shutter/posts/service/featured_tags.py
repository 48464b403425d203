"""Featured hashtags: the tags an account shows on its profile, with its own use of them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shutter import policies
from shutter.accounts.models import Account
from shutter.infra.db import insert_ignoring_conflicts, utcnow
from shutter.infra.errors import not_found, unprocessable
from shutter.infra.ids import ids, parse_id
from shutter.posts import text
from shutter.posts.models import FeaturedTag, Post, PostTag, Tag
from shutter.posts.service.tag_follows import tag_for_write

# Mastodon's FeaturedTag::LIMIT.
MAX_FEATURED = 10
SUGGESTIONS = 10


@dataclass(frozen=True)
class Featured:
    """A featured tag with the owner's own use of it (public and unlisted posts)."""

    row: FeaturedTag
    tag: Tag
    statuses_count: int
    last_status_at: datetime | None


def _counted_audience() -> Any:
    # Mastodon counts what a profile's visitors could find by the tag.
    return Post.visibility.in_([policies.PUBLIC, policies.UNLISTED])


async def featured_tags(session: AsyncSession, *, account_id: int) -> list[Featured]:
    """The account's featured tags, oldest first, with their counts (two queries)."""
    rows = (
        await session.execute(
            select(FeaturedTag, Tag)
            .join(Tag, Tag.id == FeaturedTag.tag_id)
            .where(FeaturedTag.account_id == account_id)
            .order_by(FeaturedTag.id)
        )
    ).all()
    if not rows:
        return []
    counts = await session.execute(
        select(PostTag.tag_id, func.count(), func.max(Post.created_at))
        .join(Post, Post.id == PostTag.post_id)
        .where(
            PostTag.tag_id.in_([tag.id for _, tag in rows])
            & (Post.account_id == account_id)
            & _counted_audience()
        )
        .group_by(PostTag.tag_id)
    )
    used = {tag_id: (count, last) for tag_id, count, last in counts.all()}
    return [Featured(row, tag, *used.get(tag.id, (0, None))) for row, tag in rows]


async def do_feature_tag(session: AsyncSession, *, account: Account, name: str) -> Featured:
    """Feature a tag on the profile; featuring it again returns the same one. 422 for a
    name that cannot be a tag or past Mastodon's limit of ten."""
    clean = name.strip().lstrip("#")
    if not text.is_tag_name(clean):
        raise unprocessable("Validation failed: Tag is invalid", field="name")
    tag = await tag_for_write(session, clean)
    present = {f.tag.id: f for f in await featured_tags(session, account_id=account.id)}
    if tag.id in present:
        return present[tag.id]
    if len(present) >= MAX_FEATURED:
        raise unprocessable(f"Validation failed: You can only feature {MAX_FEATURED} hashtags")
    row = {
        "id": ids.next_id(ids.new_shard()),
        "account_id": account.id,
        "tag_id": tag.id,
        "created_at": utcnow(),
    }
    await insert_ignoring_conflicts(session, FeaturedTag.__table__, [row])
    for featured in await featured_tags(session, account_id=account.id):
        if featured.tag.id == tag.id:
            return featured
    raise AssertionError("the featured tag was just written")


async def do_unfeature(session: AsyncSession, *, account: Account, featured_id: str) -> None:
    """Remove one of the account's featured tags by its id; 404 for anyone else's."""
    row_id = parse_id(featured_id)
    if row_id is None:
        raise not_found()
    gone = await session.execute(
        delete(FeaturedTag).where(
            (FeaturedTag.id == row_id) & (FeaturedTag.account_id == account.id)
        )
    )
    if not getattr(gone, "rowcount", 0):
        raise not_found()


async def do_unfeature_tag(session: AsyncSession, *, account: Account, name: str) -> Tag:
    """Remove a featured tag by its name (Mastodon 4.4's `unfeature`); no error if it was
    not featured, 404 for an unknown tag."""
    tag = await tag_for_write(session, name)
    await session.execute(
        delete(FeaturedTag).where(
            (FeaturedTag.tag_id == tag.id) & (FeaturedTag.account_id == account.id)
        )
    )
    return tag


async def featured_tag_ids(
    session: AsyncSession, *, account_id: int, tag_ids: list[int]
) -> set[int]:
    if not tag_ids:
        return set()
    rows = await session.scalars(
        select(FeaturedTag.tag_id).where(
            (FeaturedTag.account_id == account_id) & FeaturedTag.tag_id.in_(tag_ids)
        )
    )
    return set(rows)


async def suggested_tags(session: AsyncSession, *, account_id: int) -> list[Tag]:
    """The tags the account used most in its posts, not featured yet (Mastodon's
    suggestions: its recently used tags)."""
    featured = select(FeaturedTag.tag_id).where(FeaturedTag.account_id == account_id)
    used = (
        select(PostTag.tag_id, func.count().label("uses"))
        .join(Post, Post.id == PostTag.post_id)
        .where((Post.account_id == account_id) & PostTag.tag_id.not_in(featured))
        .group_by(PostTag.tag_id)
        .subquery()
    )
    rows = await session.scalars(
        select(Tag)
        .join(used, used.c.tag_id == Tag.id)
        .order_by(used.c.uses.desc(), Tag.id.desc())
        .limit(SUGGESTIONS)
    )
    return list(rows)

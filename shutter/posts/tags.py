"""Hashtags: the Tag entity and hashtag timelines (with Mastodon's any/all/none)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.accounts.models import Account
from shutter.infra.errors import not_found
from shutter.infra.settings import Settings
from shutter.posts.models import Post, PostTag, Tag
from shutter.posts.service import featured_tags, tag_follows
from shutter.posts.service.entities import find_tag, tags_by_names
from shutter.posts.text import normalize_tag, tag_url


def tag_json(
    tag: Tag,
    settings: Settings,
    *,
    history: list[dict[str, str]] | None = None,
    following: bool = False,
    featuring: bool = False,
) -> dict[str, Any]:
    return {
        "id": str(tag.id),
        "name": tag.display_name,
        "url": tag_url(settings.base_url, tag.name),
        "history": history or [],
        "following": following,
        "featuring": featuring,
    }


async def tags_json(
    session: AsyncSession, settings: Settings, tags: list[Tag], *, viewer: Account | None
) -> list[dict[str, Any]]:
    """Tag entities with their week of history and the viewer's following and featuring."""
    tag_ids = [tag.id for tag in tags]
    history = await tag_follows.tag_history(session, tag_ids=tag_ids)
    following: set[int] = set()
    featuring: set[int] = set()
    if viewer is not None:
        following = await tag_follows.followed_tag_ids(
            session, account_id=viewer.id, tag_ids=tag_ids
        )
        featuring = await featured_tags.featured_tag_ids(
            session, account_id=viewer.id, tag_ids=tag_ids
        )
    return [
        tag_json(
            tag,
            settings,
            history=history.get(tag.id),
            following=tag.id in following,
            featuring=tag.id in featuring,
        )
        for tag in tags
    ]


async def access_tag(session: AsyncSession, *, name: str) -> Tag:
    """The tag spelled `name` (any case), or 404 if it was never used."""
    tag = await find_tag(session, name)
    if tag is None:
        raise not_found("Tag")
    return tag


async def tag_timeline_query(
    session: AsyncSession,
    *,
    name: str,
    any_: list[str],
    all_: list[str],
    none_: list[str],
) -> Select[int] | None:
    """Ids of top posts tagged `name` or any of `any_`, with every `all_`, with no `none_`.

    None when nothing can match (an unknown tag). Paged by PostTag.post_id, so a single
    tag's timeline is a range of the (tag_id, post_id) index. Whose posts may show (public
    accounts only) is the page query's concern.
    """
    wanted = await tags_by_names(session, [name, *any_])
    if not wanted:
        return None
    required = await tags_by_names(session, all_) if all_ else []
    if len(required) < len({normalize_tag(n) for n in all_}):
        return None  # an all[] tag nobody ever used: no post has it
    excluded = await tags_by_names(session, none_) if none_ else []
    query = select(PostTag.post_id).where(PostTag.tag_id.in_([t.id for t in wanted]))
    if len(wanted) > 1:
        query = query.distinct()
    for tag in required:
        query = query.where(
            PostTag.post_id.in_(select(PostTag.post_id).where(PostTag.tag_id == tag.id))
        )
    if excluded:
        others = select(PostTag.post_id).where(PostTag.tag_id.in_([t.id for t in excluded]))
        query = query.where(PostTag.post_id.not_in(others))
    # Comments carry tags too, but a hashtag timeline is a grid of posts.
    return query.where(Post.in_reply_to_id.is_(None))


async def account_tagged_query(
    session: AsyncSession, *, account_id: int, name: str
) -> Select[int] | None:
    """Ids of an account's top posts carrying the tag `name` (the `tagged` filter of its
    posts, where a featured tag leads); None for a tag never used."""
    tag = await find_tag(session, name.strip().lstrip("#"))
    if tag is None:
        return None
    tagged = select(PostTag.post_id).where(PostTag.tag_id == tag.id)
    return select(Post.id).where(
        (Post.account_id == account_id) & Post.in_reply_to_id.is_(None) & Post.id.in_(tagged)
    )

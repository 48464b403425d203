"""Hashtags: the Tag entity and hashtag timelines (with Mastodon's any/all/none)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.infra.errors import not_found
from shutter.infra.settings import Settings
from shutter.posts.models import Post, PostTag, Tag
from shutter.posts.service.entities import find_tag, tags_by_names
from shutter.posts.text import normalize_tag, tag_url


def tag_json(tag: Tag, settings: Settings) -> dict[str, Any]:
    return {
        "id": str(tag.id),
        "name": tag.display_name,
        "url": tag_url(settings.base_url, tag.name),
        "history": [],
        "following": False,
        "featuring": False,
    }


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

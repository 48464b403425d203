"""One status rendered for many viewers at once, for stream events (`status.update`).

Mastodon renders an edited status for each home or list stream as that stream's owner
sees it (favourited, bookmarked…). Rendering per viewer would cost a flags query each;
here one query finds which of the viewers liked, saved, pinned the post or muted its
thread, and viewers with the same flags share one rendering, so a batch of a thousand
followers is a handful of payloads, most of them the plain one.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.infra.context import AppContext
from shutter.posts.models import Bookmark, ConversationMute, Like, Pin
from shutter.posts.render import patch_status, render_items
from shutter.posts.schemas import HydratedPost

# (favourited, bookmarked, pinned, muted)
Flags = tuple[bool, bool, bool, bool]


async def flags_of_viewers(
    session: AsyncSession, *, item: HydratedPost, viewer_ids: list[int]
) -> dict[int, Flags]:
    """Each viewer's own flags on the post, in one query (absent viewers: none set)."""
    if not viewer_ids:
        return {}
    post = item.post
    thread = post.root_id if post.root_id is not None else post.id
    liked = select(Like.account_id, literal("f").label("kind")).where(
        (Like.post_id == post.id) & Like.account_id.in_(viewer_ids)
    )
    saved = select(Bookmark.account_id, literal("b").label("kind")).where(
        (Bookmark.post_id == post.id) & Bookmark.account_id.in_(viewer_ids)
    )
    # Only an author pins, so only the author's own flag needs the probe.
    pinned = select(Pin.account_id, literal("p").label("kind")).where(
        (Pin.post_id == post.id) & (Pin.account_id == post.account_id)
    )
    muted = select(ConversationMute.account_id, literal("m").label("kind")).where(
        (ConversationMute.post_id == thread) & ConversationMute.account_id.in_(viewer_ids)
    )
    kinds: dict[int, set[str]] = defaultdict(set)
    for account_id, kind in (await session.execute(union_all(liked, saved, pinned, muted))).all():
        kinds[account_id].add(kind)
    wanted = set(viewer_ids)
    return {
        account_id: ("f" in found, "b" in found, "p" in found, "m" in found)
        for account_id, found in kinds.items()
        if account_id in wanted
    }


async def render_for_viewers(
    session: AsyncSession, ctx: AppContext, item: HydratedPost, viewer_ids: list[int]
) -> list[tuple[dict[str, Any], list[int]]]:
    """The post's Status for each viewer, as (body, the viewers it is for); at most one
    body per combination of flags."""
    if not viewer_ids:
        return []
    [plain] = await render_items(session, ctx, [item], viewer=None)
    flags = await flags_of_viewers(session, item=item, viewer_ids=viewer_ids)
    groups: dict[Flags, list[int]] = defaultdict(list)
    for viewer_id in dict.fromkeys(viewer_ids):
        groups[flags.get(viewer_id, (False, False, False, False))].append(viewer_id)
    rendered = []
    for (favourited, bookmarked, pinned, muted), viewers in groups.items():
        body = patch_status(
            plain,
            favourites_count=item.post.favourites_count,
            replies_count=item.post.replies_count,
            favourited=favourited,
            bookmarked=bookmarked,
            pinned=pinned,
            muted=muted,
        )
        rendered.append((body, viewers))
    return rendered

"""A list's timeline, read by query (pull) rather than fanned out.

Each member's posts are one index range (posts by account, id), newest `limit` under the
page's bounds, as the home feed pulls its large accounts; the union is then rendered by
the page function every timeline uses (`posts.render.page_of_statuses`: visibility by
shutter/policies.py, blocked and muted authors out, the entity cache, the viewer's
filters of the `home` context). A list has at most
`service.MAX_MEMBERS` members (docs/decisions/0018-lists.md).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from shutter import policies
from shutter.accounts.models import Account
from shutter.graph.models import Follow
from shutter.infra.context import AppContext
from shutter.infra.pagination import PageParams, paginate
from shutter.lists import service
from shutter.lists.models import List, ListAccount
from shutter.posts.models import Post
from shutter.posts.render import page_of_statuses

# Up to this many members, one index range each; beyond, one range over them all (the
# planner's choice), since a statement of a thousand parts costs more to build than run.
MAX_UNION_PARTS = 100


def replies_shown(found: List) -> ColumnElement[bool]:
    """Which posts of members the list shows by Mastodon's `replies_policy`: every post
    that is no reply, replies to oneself and to the list's owner, and then replies to
    accounts the owner follows (`followed`), to members (`list`), or no more (`none`)."""
    replied_to = Post.in_reply_to_account_id
    shown: list[ColumnElement[bool]] = [
        Post.in_reply_to_id.is_(None),
        replied_to == Post.account_id,
        replied_to == found.account_id,
    ]
    if found.replies_policy == "followed":
        followed = select(Follow.target_account_id).where(Follow.account_id == found.account_id)
        shown.append(replied_to.in_(followed))
    elif found.replies_policy == "list":
        members = select(ListAccount.account_id).where(ListAccount.list_id == found.id)
        shown.append(replied_to.in_(members))
    return or_(*shown)


async def shows_post(session: AsyncSession, found: List, *, post_id: int) -> bool:
    """Whether the list's replies policy shows this post of a member (a new comment on
    the list's stream), by the very rule of its timeline."""
    shown = await session.scalar(select(Post.id).where((Post.id == post_id) & replies_shown(found)))
    return shown is not None


def list_posts_query(found: List, member_ids: list[int], page: PageParams) -> Select[Any]:
    """Ids of the members' posts the list shows, at most `limit` per member under the
    page's bounds (the page query orders and cuts them)."""
    # Direct posts never enter lists (Mastodon fans them out to mentioned followers only).
    kept = replies_shown(found) & (Post.visibility != policies.DIRECT)
    if len(member_ids) > MAX_UNION_PARTS:
        everyone = _member_range(Post.account_id.in_(member_ids) & kept, page)
        return select(Post.id).where(Post.id.in_(everyone))
    parts = [_member_range((Post.account_id == m) & kept, page) for m in member_ids]
    return select(Post.id).where(Post.id.in_(union_all(*parts)))


def _member_range(condition: ColumnElement[bool], page: PageParams) -> Select[Any]:
    ranged = paginate(select(Post.id).where(condition), Post.id, page)
    return select(ranged.subquery().c.id)


async def list_page(
    session: AsyncSession, ctx: AppContext, *, viewer: Account, list_id: int, page: PageParams
) -> tuple[list[dict[str, Any]], list[int]]:
    """A page of the viewer's list's timeline, rendered; also the cursor ids for Links."""
    found = await service.owned_list(session, owner_id=viewer.id, list_id=list_id)
    member_ids = list(
        await session.scalars(select(ListAccount.account_id).where(ListAccount.list_id == found.id))
    )
    if not member_ids:
        return [], []
    query = list_posts_query(found, member_ids, page)
    # Mastodon filters list timelines with the `home` context.
    return await page_of_statuses(
        session, ctx, query, Post.id, page, viewer=viewer, hide_muted=True, filter_context="home"
    )

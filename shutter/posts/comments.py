"""A post's context (Mastodon's ancestors and descendants): the thread the viewer may see."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shutter import policies
from shutter.accounts.models import Account
from shutter.graph import service as graph
from shutter.posts.models import Post
from shutter.posts.schemas import HydratedPost
from shutter.posts.service import access_post, hydrate

# A thread past this many comments shows its oldest ones (Mastodon caps descendants too).
MAX_DESCENDANTS = 4096


@dataclass
class Context:
    ancestors: list[HydratedPost]
    descendants: list[HydratedPost]


async def context(session: AsyncSession, *, post_id: int | str, viewer: Account | None) -> Context:
    """Ancestors (top post first) and descendants (depth first, oldest first) of a post."""
    item = await access_post(session, post_id, viewer=viewer)
    post = item.post
    root_id = post.root_id or post.id
    thread_ids = list(
        await session.scalars(
            select(Post.id).where(Post.root_id == root_id).order_by(Post.id).limit(MAX_DESCENDANTS)
        )
    )
    items = {i.post.id: i for i in await hydrate(session, [root_id, *thread_ids])}
    ancestors: list[HydratedPost] = []
    parent_id = post.in_reply_to_id
    while parent_id is not None and parent_id in items:
        ancestors.append(items[parent_id])
        parent_id = items[parent_id].post.in_reply_to_id
    ancestors.reverse()
    descendants = _depth_first(items, post.id)
    root = items.get(root_id)
    root_owner_id = root.author.id if root else None
    return Context(
        ancestors=await _visible(session, ancestors, viewer=viewer, root_owner_id=root_owner_id),
        descendants=await _visible(
            session, descendants, viewer=viewer, root_owner_id=root_owner_id
        ),
    )


def _depth_first(items: dict[int, HydratedPost], top_id: int) -> list[HydratedPost]:
    """Replies under `top_id` as a conversation reads: each followed by its own replies."""
    children: dict[int, list[HydratedPost]] = {}
    for item in sorted(items.values(), key=lambda i: i.post.id):
        if item.post.in_reply_to_id is not None:
            children.setdefault(item.post.in_reply_to_id, []).append(item)
    ordered: list[HydratedPost] = []
    stack = list(reversed(children.get(top_id, [])))
    while stack:
        current = stack.pop()
        ordered.append(current)
        stack.extend(reversed(children.get(current.post.id, [])))
    return ordered


async def _visible(
    session: AsyncSession,
    items: list[HydratedPost],
    *,
    viewer: Account | None,
    root_owner_id: int | None,
) -> list[HydratedPost]:
    """The items the viewer may see (shutter/policies.py), relations loaded once.

    Comments of accounts blocked either way or muted by the viewer never show, even when
    they address the viewer.
    """
    viewer_id = viewer.id if viewer else None
    hidden = await graph.hidden_account_ids(session, viewer_id=viewer_id) if viewer_id else set()
    relations = await policies.load_relations(
        session, viewer_id=viewer_id, author_ids={i.author.id for i in items}
    )
    return [
        item
        for item in items
        if item.author.id not in hidden
        and policies.may_see_post(item.post, item.author, relations, also_addressed=root_owner_id)
    ]

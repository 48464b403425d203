"""Comment threads: their rows, what deleting a comment takes with it, and who reads a
direct one.

A comment (a reply) carries `root_id`, the top post of its thread, so a whole thread is
one index range. Comments count on their parent (`replies_count`), never on their
author's posts count, and never enter feeds or grids.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from shutter import policies
from shutter.accounts.models import Account
from shutter.infra.domain import publish
from shutter.posts.events import Unmentioned
from shutter.posts.models import Post


async def root_of(session: AsyncSession, post: Post) -> tuple[Post, Account] | None:
    """The top post of a comment's thread with its author (None if it is gone)."""
    return (await roots_of(session, [post])).get(post.root_id or 0)


async def roots_of(session: AsyncSession, posts: list[Post]) -> dict[int, tuple[Post, Account]]:
    """The top posts of these comments' threads with their authors, by id, in one query
    (gone ones, and those of suspended authors, are missing)."""
    wanted = {post.root_id for post in posts if post.root_id is not None}
    if not wanted:
        return {}
    rows = await session.execute(
        select(Post, Account)
        .join(Account, Account.id == Post.account_id)
        .where(Post.id.in_(wanted) & policies.account_shown_sql())
    )
    return {root.id: (root, author) for root, author in rows.all()}


@dataclass
class ThreadRow:
    id: int
    account_id: int
    in_reply_to_id: int | None
    in_reply_to_account_id: int | None
    entities: dict[str, Any]


async def thread_rows(session: AsyncSession, *, root_id: int) -> list[ThreadRow]:
    """Every comment under a top post (ids only and what notifications need)."""
    rows = await session.execute(
        select(
            Post.id,
            Post.account_id,
            Post.in_reply_to_id,
            Post.in_reply_to_account_id,
            Post.entities,
        )
        .where(Post.root_id == root_id)
        .order_by(Post.id)
    )
    return [ThreadRow(*row) for row in rows.all()]


def subtree(rows: list[ThreadRow], top_id: int) -> list[ThreadRow]:
    """The rows below `top_id` (its replies, their replies, …)."""
    children: dict[int | None, list[ThreadRow]] = defaultdict(list)
    for row in rows:
        children[row.in_reply_to_id].append(row)
    found: list[ThreadRow] = []
    stack = [top_id]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child.id)
    return found


def comment_recipients(
    *, parent_author_id: int | None, root_owner_id: int, mentioned: list[int]
) -> list[int]:
    """Whom a comment notifies (type mention): the replied-to, the post's owner, mentions."""
    recipients = [r for r in (parent_author_id, root_owner_id) if r is not None]
    return list(dict.fromkeys(recipients + mentioned))


async def _unmention_comments(
    session: AsyncSession, *, rows: list[ThreadRow], root_owner_id: int
) -> None:
    for row in rows:
        for recipient in comment_recipients(
            parent_author_id=row.in_reply_to_account_id,
            root_owner_id=root_owner_id,
            mentioned=[int(m["id"]) for m in (row.entities or {}).get("mentions", [])],
        ):
            await publish(
                session, Unmentioned(post_id=row.id, author_id=row.account_id, account_id=recipient)
            )


async def do_delete_comments(
    session: AsyncSession, *, rows: list[ThreadRow], root_owner_id: int
) -> None:
    """Delete comments (likes, saves, tags and mentions go with them by cascade)."""
    await _unmention_comments(session, rows=rows, root_owner_id=root_owner_id)
    ids = [row.id for row in rows]
    for start in range(0, len(ids), 500):
        await session.execute(delete(Post).where(Post.id.in_(ids[start : start + 500])))


async def direct_audience(
    session: AsyncSession, post: Post, parent: Post | None
) -> tuple[int, ...]:
    """Who may read a new `direct` post or comment, its author first: the accounts it
    addresses; for a comment also the thread's owner, and no one the top post (if direct
    too) does not reach, since a comment shows only where its top post does."""
    audience = {post.account_id} | policies.addressed_ids(post)
    if parent is not None:
        root = parent if parent.root_id is None else None
        if root is None and (found := await root_of(session, parent)) is not None:
            root = found[0]
        if root is not None:
            audience.add(root.account_id)
            if root.visibility == policies.DIRECT:
                audience &= {root.account_id} | policies.addressed_ids(root)
    audience.add(post.account_id)
    return (post.account_id, *sorted(audience - {post.account_id}))

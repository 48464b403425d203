"""Tags and mentions of a post: parsed from its text, stored for queries and for rendering."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.accounts.models import Account
from shutter.infra.db import insert_ignoring_conflicts, utcnow
from shutter.infra.ids import ids
from shutter.policies import account_shown_sql
from shutter.posts import text
from shutter.posts.models import Mention, Post, PostTag, Tag


def host_of(base_url: str) -> str:
    return base_url.split("://", 1)[-1].split("/", 1)[0]


async def find_tag(session: AsyncSession, name: str) -> Tag | None:
    """The tag spelled `name` in any case or compatible form; None if never used."""
    if not text.is_tag_name(name):
        return None
    return await session.scalar(select(Tag).where(Tag.name == text.normalize_tag(name)))


async def tags_by_names(session: AsyncSession, names: list[str]) -> list[Tag]:
    wanted = {text.normalize_tag(n) for n in names if text.is_tag_name(n)}
    if not wanted:
        return []
    return list(await session.scalars(select(Tag).where(Tag.name.in_(wanted))))


async def _ensure_tags(session: AsyncSession, names: list[str]) -> list[Tag]:
    """The tags of these display names, creating the new ones (racing creators agree)."""
    now = utcnow()
    rows = [
        {
            "id": ids.next_id(ids.new_shard()),
            "name": text.normalize_tag(name),
            "display_name": name,
            "created_at": now,
        }
        for name in names
    ]
    await insert_ignoring_conflicts(session, Tag.__table__, rows)
    return await tags_by_names(session, names)


async def _local_accounts(session: AsyncSession, usernames: list[str]) -> list[Account]:
    if not usernames:
        return []
    rows = await session.scalars(
        select(Account).where(
            Account.username_lower.in_([u.lower() for u in usernames]) & account_shown_sql()
        )
    )
    order = {u.lower(): i for i, u in enumerate(usernames)}
    return sorted(rows, key=lambda a: order[a.username_lower])


async def do_store_entities(session: AsyncSession, *, post: Post, base_url: str) -> list[int]:
    """(Re)parse the post's text into its tags and mentions; returns the mentioned ids.

    The post must be flushed. An edit calls this again: rows of the old text are replaced.
    """
    tag_names, usernames = text.parse(post.caption, host=host_of(base_url))
    tags = await _ensure_tags(session, tag_names) if tag_names else []
    accounts = await _local_accounts(session, usernames)
    await session.execute(delete(PostTag).where(PostTag.post_id == post.id))
    await session.execute(delete(Mention).where(Mention.post_id == post.id))
    await insert_ignoring_conflicts(
        session, PostTag.__table__, [{"post_id": post.id, "tag_id": t.id} for t in tags]
    )
    await insert_ignoring_conflicts(
        session, Mention.__table__, [{"post_id": post.id, "account_id": a.id} for a in accounts]
    )
    by_name = {t.name: t for t in tags}
    post.entities = {
        # As written in this post; the tag row keeps the first spelling ever used.
        "tags": [n for n in tag_names if text.normalize_tag(n) in by_name],
        "mentions": [{"id": str(a.id), "username": a.username} for a in accounts],
    }
    return [a.id for a in accounts]


def mentioned_ids(post: Post) -> list[int]:
    return [int(m["id"]) for m in (post.entities or {}).get("mentions", [])]

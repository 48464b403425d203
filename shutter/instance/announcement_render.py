"""Announcements as Mastodon's Announcement entities, with their reactions counted and,
for a viewer, whether they read each and gave each reaction. Read-only."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shutter import policies
from shutter.accounts.models import Account
from shutter.emojis.catalog import EmojiSet
from shutter.infra.formats import iso, text_to_html
from shutter.instance.models import Announcement, AnnouncementDismissal, AnnouncementReaction


async def reaction_count(session: AsyncSession, announcement_id: int, name: str) -> int:
    """How many accounts gave this reaction, counting only accounts still shown (a
    suspended or deleted account's reactions stop counting, and count again if it
    returns)."""
    count = await session.scalar(
        select(func.count())
        .select_from(AnnouncementReaction)
        .join(Account, Account.id == AnnouncementReaction.account_id)
        .where(
            AnnouncementReaction.announcement_id == announcement_id,
            AnnouncementReaction.name == name,
            policies.account_shown_sql(),
        )
    )
    return count or 0


async def _reactions(
    session: AsyncSession, announcement_ids: list[int], viewer_id: int | None
) -> dict[int, list[tuple[str, int, bool]]]:
    """Per announcement: (name, count, whether the viewer gave it), first given first."""
    if not announcement_ids:
        return {}
    mine = func.max(case((AnnouncementReaction.account_id == (viewer_id or 0), 1), else_=0))
    rows = await session.execute(
        select(
            AnnouncementReaction.announcement_id,
            AnnouncementReaction.name,
            func.count(),
            mine,
        )
        .join(Account, Account.id == AnnouncementReaction.account_id)
        .where(
            AnnouncementReaction.announcement_id.in_(announcement_ids),
            policies.account_shown_sql(),
        )
        .group_by(AnnouncementReaction.announcement_id, AnnouncementReaction.name)
        .order_by(func.min(AnnouncementReaction.created_at), AnnouncementReaction.name)
    )
    found: dict[int, list[tuple[str, int, bool]]] = {}
    for announcement_id, name, count, me in rows:
        found.setdefault(announcement_id, []).append((name, count, bool(me)))
    return found


def reaction_json(name: str, count: int, me: bool | None, emojis: EmojiSet) -> dict[str, Any]:
    body: dict[str, Any] = {"name": name, "count": count}
    if me is not None:
        body["me"] = me
    custom = emojis.by_shortcode.get(name)
    if custom is not None:
        body["url"], body["static_url"] = custom["url"], custom["static_url"]
    return body


def announcement_json(
    announcement: Announcement,
    *,
    emojis: EmojiSet,
    reactions: list[tuple[str, int, bool]],
    read: bool | None,
    viewer: bool,
) -> dict[str, Any]:
    """Mastodon's Announcement; `read` and each reaction's `me` only for a viewer."""
    body: dict[str, Any] = {
        "id": str(announcement.id),
        "content": text_to_html(announcement.text),
        "starts_at": iso(announcement.starts_at),
        "ends_at": iso(announcement.ends_at),
        "all_day": announcement.all_day,
        "published_at": iso(announcement.published_at or announcement.created_at),
        "updated_at": iso(announcement.updated_at),
        "mentions": [],
        "statuses": [],
        "tags": [],
        "emojis": emojis.used(announcement.text),
        "reactions": [
            reaction_json(name, count, me if viewer else None, emojis)
            for name, count, me in reactions
        ],
    }
    if viewer:
        body["read"] = read
    return body


async def render_announcements(
    session: AsyncSession,
    announcements: list[Announcement],
    *,
    emojis: EmojiSet,
    viewer_id: int | None,
) -> list[dict[str, Any]]:
    ids_ = [a.id for a in announcements]
    reactions = await _reactions(session, ids_, viewer_id)
    read: set[int] = set()
    if viewer_id is not None and ids_:
        read = set(
            await session.scalars(
                select(AnnouncementDismissal.announcement_id).where(
                    AnnouncementDismissal.account_id == viewer_id,
                    AnnouncementDismissal.announcement_id.in_(ids_),
                )
            )
        )
    return [
        announcement_json(
            a,
            emojis=emojis,
            reactions=reactions.get(a.id, []),
            read=a.id in read,
            viewer=viewer_id is not None,
        )
        for a in announcements
    ]

"""Announcements: admins write and publish them; users read them, dismiss them and react
with emojis (Mastodon's Announcement and Reaction). The only room that writes
`announcements`, `announcement_dismissals` and `announcement_reactions`.

A published announcement is shown until its `ends_at` passes (Mastodon unpublishes it
then; here the read leaves it out, which needs no job). `starts_at`, `ends_at` and
`all_day` also describe the event it announces, as on Mastodon. Open `user` streams
hear of publications, edits, reactions and withdrawals (`announcement`,
`announcement.reaction`, `announcement.delete`), after the commit.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shutter import policies
from shutter.accounts.models import Account
from shutter.emojis import service as emojis
from shutter.emojis.catalog import current_emojis
from shutter.infra.context import AppContext
from shutter.infra.db import utcnow
from shutter.infra.errors import not_found, unprocessable
from shutter.infra.events import user_channel
from shutter.infra.ids import ids, parse_id
from shutter.instance.announcement_render import reaction_count, render_announcements
from shutter.instance.models import Announcement, AnnouncementDismissal, AnnouncementReaction
from shutter.instance.reactions import is_unicode_emoji

MAX_TEXT = 5000
# Mastodon's ReactionValidator::LIMIT: different reactions to one announcement.
MAX_REACTIONS = 8
UNSET: Any = object()


@dataclass(frozen=True)
class Changes:
    """Fields to set; UNSET leaves one as it is, None clears a time."""

    text: Any = UNSET
    starts_at: Any = UNSET
    ends_at: Any = UNSET
    all_day: Any = UNSET
    published: Any = UNSET


def parse_time(raw: str, *, field: str) -> datetime | None:
    """An ISO 8601 time (UTC when no zone is given); blank clears it."""
    if not raw.strip():
        return None
    try:
        moment = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):  # not a time, or one a zone pushes past year 1 or 9999
        raise unprocessable(f"{field} must be an ISO 8601 time", field=field) from None


def _apply(announcement: Announcement, changes: Changes) -> None:
    """Set the changes, or 422 naming what is wrong (the transaction then rolls back)."""
    if changes.text is not UNSET:
        text = (changes.text or "").strip()
        if not text:
            raise unprocessable("text must not be blank", field="text")
        if len(text) > MAX_TEXT:
            raise unprocessable(f"text is longer than {MAX_TEXT} characters", field="text")
        announcement.text = text
    if changes.starts_at is not UNSET:
        announcement.starts_at = changes.starts_at
    if changes.ends_at is not UNSET:
        announcement.ends_at = changes.ends_at
    if changes.all_day is not UNSET:
        announcement.all_day = bool(changes.all_day)
    starts, ends = announcement.starts_at, announcement.ends_at
    if starts is not None and ends is not None and ends < starts:
        raise unprocessable("ends_at must be after starts_at", field="ends_at")
    if announcement.all_day and (starts is None or ends is None):
        raise unprocessable("an all-day announcement needs starts_at and ends_at", field="all_day")
    if changes.published is not UNSET:
        if changes.published and announcement.published_at is None:
            announcement.published_at = utcnow()
        elif not changes.published:
            announcement.published_at = None


def shown_sql() -> Any:
    """Published and not yet over."""
    return Announcement.published_at.is_not(None) & (
        Announcement.ends_at.is_(None) | (Announcement.ends_at > utcnow())
    )


def _order() -> Any:
    return func.coalesce(Announcement.starts_at, Announcement.published_at, Announcement.created_at)


# --- reads -------------------------------------------------------------------------------


async def shown_announcements(
    session: AsyncSession, *, viewer_id: int, with_dismissed: bool
) -> list[Announcement]:
    """What a user sees, oldest first; without those they dismissed unless asked."""
    query = select(Announcement).where(shown_sql())
    if not with_dismissed:
        dismissed = select(AnnouncementDismissal.announcement_id).where(
            AnnouncementDismissal.account_id == viewer_id
        )
        query = query.where(Announcement.id.not_in(dismissed))
    return list(await session.scalars(query.order_by(_order(), Announcement.id)))


async def all_announcements(session: AsyncSession) -> list[Announcement]:
    """Every announcement, drafts too, newest first (the admins' list)."""
    return list(await session.scalars(select(Announcement).order_by(Announcement.id.desc())))


async def access_announcement(
    session: AsyncSession, announcement_id: int | str, *, shown_only: bool
) -> Announcement:
    key = parse_id(announcement_id)
    query = select(Announcement).where(Announcement.id == (key or 0))
    if shown_only:
        query = query.where(shown_sql())
    found: Announcement | None = await session.scalar(query)
    if key is None or found is None:
        raise not_found("Announcement")
    return found


# --- streaming ---------------------------------------------------------------------------


async def _broadcast(ctx: AppContext, session: AsyncSession, event: dict[str, Any]) -> None:
    """Send `event` to the `user` stream of every account that may use the instance,
    after the commit (Mastodon sends announcements to each local user's timeline)."""
    usable = await session.scalars(select(Account.id).where(policies.account_shown_sql()))
    channels = [user_channel(account_id) for account_id in usable]
    if channels:
        ctx.events.publish_many(session, channels, event)


async def _announce(ctx: AppContext, session: AsyncSession, announcement: Announcement) -> None:
    emojis_now = await current_emojis(ctx)
    [body] = await render_announcements(session, [announcement], emojis=emojis_now, viewer_id=None)
    await _broadcast(
        ctx, session, {"event": "announcement", "payload": orjson.dumps(body).decode()}
    )


async def _withdraw(ctx: AppContext, session: AsyncSession, announcement_id: int) -> None:
    await _broadcast(
        ctx, session, {"event": "announcement.delete", "payload": str(announcement_id)}
    )


async def _reaction_changed(
    ctx: AppContext, session: AsyncSession, announcement_id: int, name: str
) -> None:
    count = await reaction_count(session, announcement_id, name)
    payload = {"name": name, "count": count, "announcement_id": str(announcement_id)}
    await _broadcast(
        ctx,
        session,
        {"event": "announcement.reaction", "payload": orjson.dumps(payload).decode()},
    )


# --- writes ------------------------------------------------------------------------------


async def do_create(session: AsyncSession, *, ctx: AppContext, changes: Changes) -> Announcement:
    """A new announcement, published at once unless `published` is false (a draft)."""
    if changes.text is UNSET:
        raise unprocessable("text is required", field="text")
    now = utcnow()
    announcement = Announcement(
        id=ids.next_id(ids.new_shard()), text="", all_day=False, created_at=now, updated_at=now
    )
    published = True if changes.published is UNSET else changes.published
    _apply(announcement, replace(changes, published=published))
    session.add(announcement)
    await session.flush()
    if announcement.published_at is not None:
        await _announce(ctx, session, announcement)
    return announcement


async def do_edit(
    session: AsyncSession, *, ctx: AppContext, announcement_id: int | str, changes: Changes
) -> Announcement:
    """Change what is given; a published announcement is sent again to open streams, an
    unpublished one is withdrawn from them."""
    announcement = await access_announcement(session, announcement_id, shown_only=False)
    was_published = announcement.published_at is not None
    _apply(announcement, changes)
    announcement.updated_at = utcnow()
    await session.flush()
    if announcement.published_at is not None:
        await _announce(ctx, session, announcement)
    elif was_published:
        await _withdraw(ctx, session, announcement.id)
    return announcement


async def do_delete(session: AsyncSession, *, ctx: AppContext, announcement_id: int | str) -> None:
    announcement = await access_announcement(session, announcement_id, shown_only=False)
    was_published = announcement.published_at is not None
    await session.delete(announcement)
    await session.flush()
    if was_published:
        await _withdraw(ctx, session, announcement.id)


async def do_dismiss(session: AsyncSession, *, account_id: int, announcement_id: int | str) -> None:
    """Mark an announcement read for an account (again is no change); 404 if not shown."""
    announcement = await access_announcement(session, announcement_id, shown_only=True)
    if await session.get(AnnouncementDismissal, (announcement.id, account_id)) is not None:
        return
    session.add(AnnouncementDismissal(announcement_id=announcement.id, account_id=account_id))
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        pass  # dismissed by a concurrent request: the same outcome


async def _check_name(session: AsyncSession, name: str) -> None:
    if is_unicode_emoji(name):
        return
    # Only a possible shortcode is looked up: anything else (a NUL…) never reaches SQL.
    if emojis.SHORTCODE.fullmatch(name) and await emojis.enabled_emoji(session, name):
        return
    raise unprocessable("Validation failed: Name is not a recognized emoji", field="name")


async def do_react(
    session: AsyncSession,
    *,
    ctx: AppContext,
    account_id: int,
    announcement_id: int | str,
    name: str,
) -> None:
    """React with a unicode emoji or an enabled custom emoji's shortcode (again is no
    change); 422 for anything else or a ninth different reaction, 404 if not shown."""
    announcement = await access_announcement(session, announcement_id, shown_only=True)
    await _check_name(session, name)
    key = (announcement.id, account_id, name)
    if await session.get(AnnouncementReaction, key) is not None:
        return
    others = await session.scalar(
        select(func.count(func.distinct(AnnouncementReaction.name))).where(
            AnnouncementReaction.announcement_id == announcement.id,
            AnnouncementReaction.name != name,
        )
    )
    given = await session.scalar(
        select(func.count()).where(
            AnnouncementReaction.announcement_id == announcement.id,
            AnnouncementReaction.name == name,
        )
    )
    if not given and (others or 0) >= MAX_REACTIONS:
        raise unprocessable(
            "Validation failed: Name maximum number of different reactions reached",
            field="name",
        )
    session.add(
        AnnouncementReaction(announcement_id=announcement.id, account_id=account_id, name=name)
    )
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        return  # given by a concurrent request: the same outcome
    await _reaction_changed(ctx, session, announcement.id, name)


async def do_unreact(
    session: AsyncSession,
    *,
    ctx: AppContext,
    account_id: int,
    announcement_id: int | str,
    name: str,
) -> None:
    """Take a reaction back (none given is no change); 404 if not shown."""
    announcement = await access_announcement(session, announcement_id, shown_only=True)
    removed = await session.execute(
        delete(AnnouncementReaction)
        .where(
            AnnouncementReaction.announcement_id == announcement.id,
            AnnouncementReaction.account_id == account_id,
            AnnouncementReaction.name == name,
        )
        .returning(AnnouncementReaction.name)
    )
    if removed.all():
        await _reaction_changed(ctx, session, announcement.id, name)

"""Scheduled posts (Mastodon's ScheduledStatus): a post's parameters kept until its time.

Scheduling checks what posting now checks (text, audience, the replied-to post, the
media: the caller's own, ready, not taken) and holds the media (media/service/holds.py),
so no other post takes them and the purge of unattached uploads leaves them alone.
Each scheduled post enqueues a delayed `posts.publish_scheduled` job for its time, in
the transaction that schedules it; moving the time enqueues another. The job publishes
through `do_create_post`, so every rule is checked again as of then, and deletes the
scheduled row in the same transaction: a row is published at most once however many
workers run the job (on PostgreSQL the row lock makes a second run wait and then find
nothing), and at least once since the job is durable. A job that finds its row moved
later does nothing (the later job publishes it). What can no longer be posted then (an
account suspended meanwhile, a replied-to post gone, media no longer there) is dropped
with a log line and its media released, as Mastodon does.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import Select, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shutter import policies
from shutter.accounts import service as accounts
from shutter.accounts.models import Account
from shutter.infra.context import AppContext
from shutter.infra.db import utcnow
from shutter.infra.errors import ApiError, not_found, unprocessable
from shutter.infra.ids import ids, shard_of
from shutter.infra.jobs import JobKind, enqueue
from shutter.media.models import Media
from shutter.media.service import access_attachable_media
from shutter.media.service.holds import do_hold, do_release, held_media
from shutter.posts.models import IdempotencyKey, ScheduledStatus
from shutter.posts.service import (
    NewPost,
    access_post,
    check_caption,
    check_needs_media,
    choose_visibility,
    do_create_post,
    parse_id,
)
from shutter.posts.service import _claim_key as claim_key

log = structlog.get_logger("shutter.posts")

PUBLISH = JobKind("posts.publish_scheduled", timeout_seconds=60)
# Mastodon's limits (ScheduledStatus::MINIMUM_OFFSET, TOTAL_LIMIT, DAILY_LIMIT).
MINIMUM_OFFSET = timedelta(minutes=5)
TOTAL_LIMIT = 300
DAILY_LIMIT = 25


def parse_scheduled_at(raw: str) -> datetime:
    """An ISO 8601 time (UTC when it names no zone), at least five minutes ahead; else 422."""
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise unprocessable("scheduled_at is not an ISO 8601 time", field="scheduled_at") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        moment = moment.astimezone(UTC)
    except (OverflowError, ValueError):
        raise unprocessable("scheduled_at is out of range", field="scheduled_at") from None
    if moment < utcnow() + MINIMUM_OFFSET:
        raise unprocessable(
            "The scheduled date must be at least 5 minutes in the future", field="scheduled_at"
        )
    return moment


async def _check_limits(
    session: AsyncSession, *, account_id: int, at: datetime, moving: int | None = None
) -> None:
    """Mastodon's limits: 300 scheduled posts at once, 25 on one (UTC) day."""
    await accounts.lock_accounts(session, [account_id])  # two requests cannot both pass
    mine = ScheduledStatus.account_id == account_id
    if moving is not None:
        mine = mine & (ScheduledStatus.id != moving)
    else:
        total = await session.scalar(select(func.count()).where(mine))
        if (total or 0) >= TOTAL_LIMIT:
            raise unprocessable(
                f"You have reached the limit of {TOTAL_LIMIT} scheduled posts",
                field="scheduled_at",
            )
    day = at.replace(hour=0, minute=0, second=0, microsecond=0)
    same_day = (ScheduledStatus.scheduled_at >= day) & (
        ScheduledStatus.scheduled_at < day + timedelta(days=1)
    )
    daily = await session.scalar(select(func.count()).where(mine & same_day))
    if (daily or 0) >= DAILY_LIMIT:
        raise unprocessable(
            f"You have reached the limit of {DAILY_LIMIT} scheduled posts on one day",
            field="scheduled_at",
        )


async def _replay(
    session: AsyncSession, *, ctx: AppContext, author: Account, key: str
) -> ScheduledStatus | None:
    """The scheduled post an earlier request with this Idempotency-Key made, while it is
    fresh and still scheduled; otherwise the key is free again (as for posts)."""
    stored = await session.get(IdempotencyKey, (author.id, key))
    if stored is None:
        return None
    fresh_after = utcnow() - timedelta(seconds=ctx.settings.idempotency_ttl_seconds)
    row = await session.get(ScheduledStatus, stored.post_id)
    if stored.created_at >= fresh_after and row is not None and row.account_id == author.id:
        return row
    await session.delete(stored)
    await session.flush()
    return None


async def do_schedule(
    session: AsyncSession, *, ctx: AppContext, author: Account, new: NewPost, at: datetime
) -> tuple[ScheduledStatus, list[Media]]:
    """Schedule a post for `at` (from `parse_scheduled_at`); 422 on any rule broken."""
    key = (new.idempotency_key or "").strip()[:200]
    if key and (earlier := await _replay(session, ctx=ctx, author=author, key=key)):
        return earlier, (await held_media(session, [earlier.id]))[earlier.id]
    settings = ctx.settings
    check_caption(new.caption, limit=settings.max_caption_chars, spoiler_text=new.spoiler_text)
    parent = None
    if new.in_reply_to_id:
        parent = await access_post(session, new.in_reply_to_id, viewer=author)
        if new.media_ids:
            raise unprocessable("comments are text only", field="media_ids")
        if not new.caption.strip():
            raise unprocessable("a comment needs text", field="status")
    visibility = choose_visibility(
        new.visibility, author=author, parent=parent.post if parent else None
    )
    media: list[Media] = []
    if parent is None:
        check_needs_media(new, visibility=visibility)
        media = await access_attachable_media(
            session,
            account_id=author.id,
            media_ids=new.media_ids,
            max_count=settings.max_media_per_post,
        )
    await _check_limits(session, account_id=author.id, at=at)
    row = ScheduledStatus(
        id=ids.next_id(shard_of(author.id)),
        account_id=author.id,
        scheduled_at=at,
        params={
            "text": new.caption,
            "visibility": visibility,
            "media_ids": [str(m.id) for m in media] or None,
            "in_reply_to_id": parent.post.id if parent else None,
            "sensitive": new.sensitive,
            "spoiler_text": new.spoiler_text or None,
            "idempotency": key or None,
            "application_id": new.app_id,
        },
        created_at=utcnow(),
    )
    if key:  # first, so a concurrent duplicate waits on it (409 if it cannot)
        await claim_key(session, author=author, key=key, post_id=row.id)
    session.add(row)
    await session.flush()
    await do_hold(session, media=media, scheduled_status_id=row.id)
    _enqueue_publish(session, row)
    return row, media


def _enqueue_publish(session: AsyncSession, row: ScheduledStatus) -> None:
    delay = max(0.0, (row.scheduled_at - utcnow()).total_seconds())
    enqueue(session, PUBLISH, {"id": row.id}, delay=delay)


async def access_scheduled(
    session: AsyncSession, *, account_id: int, scheduled_id: int | str
) -> ScheduledStatus:
    """One of the account's own scheduled posts; 404 for any other id."""
    row = await session.get(ScheduledStatus, parse_id(scheduled_id, what="Scheduled status"))
    if row is None or row.account_id != account_id:
        raise not_found("Scheduled status")
    return row


async def do_reschedule(
    session: AsyncSession, *, account_id: int, scheduled_id: int | str, at: datetime
) -> ScheduledStatus:
    row = await access_scheduled(session, account_id=account_id, scheduled_id=scheduled_id)
    await _check_limits(session, account_id=account_id, at=at, moving=row.id)
    row.scheduled_at = at
    await session.flush()
    _enqueue_publish(session, row)
    return row


async def do_cancel(session: AsyncSession, *, account_id: int, scheduled_id: int | str) -> None:
    """Delete a scheduled post; its media are uploads again (purged unless posted)."""
    row = await access_scheduled(session, account_id=account_id, scheduled_id=scheduled_id)
    await do_release(session, scheduled_status_id=row.id)
    await session.execute(delete(ScheduledStatus).where(ScheduledStatus.id == row.id))


def scheduled_query(*, account_id: int) -> Select[ScheduledStatus]:
    return select(ScheduledStatus).where(ScheduledStatus.account_id == account_id)


async def do_publish(session: AsyncSession, *, ctx: AppContext, scheduled_id: int) -> int | None:
    """Publish a scheduled post that is due; returns the new post's id, or None (not due,
    gone: published or cancelled, or no longer publishable: dropped)."""
    row = await session.scalar(
        select(ScheduledStatus).where(ScheduledStatus.id == scheduled_id).with_for_update()
    )
    if row is None or row.scheduled_at > utcnow():
        return None
    await session.execute(delete(ScheduledStatus).where(ScheduledStatus.id == row.id))
    author = (await accounts.accounts_by_ids(session, {row.account_id})).get(row.account_id)
    reason = None
    if author is None or not policies.account_shown(author) or author.disabled_at is not None:
        reason = "account"
    else:
        try:
            async with session.begin_nested():
                item = await do_create_post(session, ctx=ctx, author=author, new=_new_post(row))
        except ApiError as exc:
            reason = exc.message
    if reason is not None:
        await do_release(session, scheduled_status_id=row.id)
        log.info("scheduled_post_dropped", scheduled_id=row.id, reason=reason)
        return None
    return item.post.id


def _new_post(row: ScheduledStatus) -> NewPost:
    params: dict[str, Any] = row.params or {}
    reply_to = params.get("in_reply_to_id")
    return NewPost(
        caption=params.get("text") or "",
        media_ids=list(params.get("media_ids") or []),
        in_reply_to_id=str(reply_to) if reply_to else None,
        app_id=params.get("application_id"),
        visibility=params.get("visibility"),
        sensitive=params.get("sensitive"),
        spoiler_text=params.get("spoiler_text") or "",
        scheduled_status_id=row.id,
    )

"""Notification rules: what creates a notification, who may see it, and how it is read.

Other services call `notify` and `withdraw` inside their own write transaction; both only
enqueue a job (outbox), so the notification appears after the commit and a rolled-back
action never notifies anyone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.accounts import service as accounts
from shutter.graph import service as graph
from shutter.infra.db import utcnow
from shutter.infra.ids import ids, shard_of
from shutter.infra.jobs import enqueue
from shutter.notifications.models import Notification

# Mastodon's notification types that Shutter creates.
FAVOURITE, MENTION, FOLLOW, FOLLOW_REQUEST = "favourite", "mention", "follow", "follow_request"
TYPES = (FAVOURITE, MENTION, FOLLOW, FOLLOW_REQUEST)
# Mastodon 4.3 groups these; mentions and follow requests always stand alone.
GROUPABLE = (FAVOURITE, FOLLOW)
# A group keeps collecting for this long after it started (Mastodon's MAXIMUM_GROUP_SPAN).
GROUP_SPAN_HOURS = 12


def _payload(
    type: str, account_id: int, from_account_id: int, status_id: int | None
) -> dict[str, Any]:
    if type not in TYPES:
        raise ValueError(f"unknown notification type {type!r}")
    return {
        "type": type,
        "account_id": account_id,
        "from_account_id": from_account_id,
        "status_id": status_id,
    }


def notify(
    session: AsyncSession,
    *,
    type: str,
    account_id: int,
    from_account_id: int,
    status_id: int | None = None,
) -> None:
    """Tell `account_id` that `from_account_id` did `type` (after the caller's commit)."""
    if account_id == from_account_id:
        return  # never for your own actions
    enqueue(session, "notifications.create", _payload(type, account_id, from_account_id, status_id))


def withdraw(
    session: AsyncSession,
    *,
    type: str,
    account_id: int,
    from_account_id: int,
    status_id: int | None = None,
) -> None:
    """Take back the notification `notify` made for the same action (undone like, …)."""
    if account_id == from_account_id:
        return
    enqueue(
        session, "notifications.withdraw", _payload(type, account_id, from_account_id, status_id)
    )


# --- creating and withdrawing (run by jobs) -------------------------------------------


async def is_unwanted(session: AsyncSession, *, account_id: int, from_account_id: int) -> bool:
    """True if either blocks the other or the recipient mutes the sender."""
    # The graph service owns blocks and mutes; these checks apply as soon as it has them.
    blocked = getattr(graph, "is_blocked_either_way", None)
    if blocked is not None and await blocked(session, a=account_id, b=from_account_id):
        return True
    muting = getattr(graph, "is_muting", None)
    return muting is not None and bool(
        await muting(session, account_id=account_id, target_id=from_account_id)
    )


async def _still_true(
    session: AsyncSession, *, type: str, account_id: int, from_account_id: int
) -> bool:
    """Whether a follow or request still stands (an unfollow may have beaten the job)."""
    if type not in (FOLLOW, FOLLOW_REQUEST):
        return True
    [rel] = await graph.relationship(session, viewer_id=account_id, target_ids=[from_account_id])
    return bool(rel["followed_by"] if type == FOLLOW else rel["requested_by"])


def _same_action(type: str, account_id: int, from_account_id: int, status_id: int | None) -> Any:
    return (
        (Notification.account_id == account_id)
        & (Notification.type == type)
        & (Notification.from_account_id == from_account_id)
        & (Notification.status_key == (status_id or 0))
    )


async def _group_key(
    session: AsyncSession, *, type: str, account_id: int, status_id: int | None, now: datetime
) -> str | None:
    """Mastodon's grouping: same type (and post) within a span of hours share a key."""
    if type not in GROUPABLE:
        return None
    prefix = f"{type}-{status_id}" if type == FAVOURITE else type
    bucket = int(now.timestamp()) // 3600
    previous = await session.scalar(
        select(Notification.group_key)
        .where(
            (Notification.account_id == account_id) & (Notification.group_key.like(f"{prefix}-%"))
        )
        .order_by(Notification.id.desc())
        .limit(1)
    )
    if previous:
        previous_bucket = int(previous.rsplit("-", 1)[1])
        if bucket < previous_bucket + GROUP_SPAN_HOURS:
            bucket = previous_bucket
    return f"{prefix}-{bucket}"


async def do_create(
    session: AsyncSession,
    *,
    type: str,
    account_id: int,
    from_account_id: int,
    status_id: int | None,
) -> Notification | None:
    """Record a notification; None when it must not exist or already does (idempotent)."""
    if account_id == from_account_id or type not in TYPES:
        return None
    people = await accounts.accounts_by_ids(session, {account_id, from_account_id})
    if len(people) < 2 or any(p.suspended_at is not None for p in people.values()):
        return None
    if await is_unwanted(session, account_id=account_id, from_account_id=from_account_id):
        return None
    if not await _still_true(
        session, type=type, account_id=account_id, from_account_id=from_account_id
    ):
        return None
    if status_id is not None:
        from shutter.posts import service as posts  # posts imports this module

        if not await posts.post_exists(session, post_id=status_id):
            return None
    now = utcnow()
    row = {
        "id": ids.next_id(shard_of(account_id)),
        "account_id": account_id,
        "type": type,
        "from_account_id": from_account_id,
        "status_id": status_id,
        "status_key": status_id or 0,
        "group_key": await _group_key(
            session, type=type, account_id=account_id, status_id=status_id, now=now
        ),
        "created_at": now,
    }
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    # Any unique conflict is the same action notified already (a job run twice).
    inserted = await session.scalar(
        dialect.insert(Notification).values(row).on_conflict_do_nothing().returning(Notification.id)
    )
    if inserted is None:
        return None
    return await session.get(Notification, inserted)


async def do_withdraw(
    session: AsyncSession,
    *,
    type: str,
    account_id: int,
    from_account_id: int,
    status_id: int | None,
) -> int:
    """Delete the notification of one action; returns how many rows went (0 or 1)."""
    result = await session.execute(
        delete(Notification)
        .where(_same_action(type, account_id, from_account_id, status_id))
        .returning(Notification.id)
    )
    return len(result.all())


async def count_for(session: AsyncSession, *, account_id: int) -> int:
    """How many notifications `account_id` has (tests and admin figures)."""
    return int(
        await session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.account_id == account_id)
        )
        or 0
    )

"""Notification rules: what creates a notification, who may see it, and how it is read.

Other services call `notify` and `withdraw` inside their own write transaction; both only
enqueue a job (outbox), so the notification appears after the commit and a rolled-back
action never notifies anyone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import BigInteger, ScalarSelect, Select, bindparam, delete, false, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from shutter import policies
from shutter.accounts import service as accounts
from shutter.graph import service as graph
from shutter.infra.db import UTCDateTime, utcnow
from shutter.infra.errors import not_found
from shutter.infra.ids import ids, parse_id, shard_of
from shutter.infra.jobs import JobKind, enqueue
from shutter.infra.pagination import PageParams, paginate
from shutter.notifications.models import Marker, Notification, NotificationRequest
from shutter.notifications.service import muted_threads, policy

# Mastodon's notification types that Shutter creates.
FAVOURITE, MENTION, FOLLOW, FOLLOW_REQUEST = "favourite", "mention", "follow", "follow_request"
# Moderation's (shutter/moderation): staff hear of sign-ups and reports, and an account
# of what moderators did to it (the sender is the recipient itself, as on Mastodon).
ADMIN_SIGN_UP, ADMIN_REPORT = "admin.sign_up", "admin.report"
MODERATION_WARNING = "moderation_warning"
MODERATION_TYPES = (ADMIN_SIGN_UP, ADMIN_REPORT, MODERATION_WARNING)
TYPES = (FAVOURITE, MENTION, FOLLOW, FOLLOW_REQUEST, *MODERATION_TYPES)
# Mastodon 4.3 groups these; mentions and follow requests always stand alone.
GROUPABLE = (FAVOURITE, FOLLOW)
# A group keeps collecting for this long after it started (Mastodon's MAXIMUM_GROUP_SPAN).
GROUP_SPAN_HOURS = 12

# The notifications' own work, after the commit of what caused them (shutter/notifications/jobs.py).
CREATE = JobKind("notifications.create", timeout_seconds=30)
WITHDRAW = JobKind("notifications.withdraw", timeout_seconds=30)


def _payload(
    type: str,
    account_id: int,
    from_account_id: int,
    status_id: int | None,
    subject_id: int | None = None,
) -> dict[str, Any]:
    if type not in TYPES:
        raise ValueError(f"unknown notification type {type!r}")
    return {
        "type": type,
        "account_id": account_id,
        "from_account_id": from_account_id,
        "status_id": status_id,
        "subject_id": subject_id,
    }


def notify(
    session: AsyncSession,
    *,
    type: str,
    account_id: int,
    from_account_id: int,
    status_id: int | None = None,
    subject_id: int | None = None,
) -> None:
    """Tell `account_id` that `from_account_id` did `type` (after the caller's commit).
    `subject_id` names the report or warning of a moderation type."""
    if account_id == from_account_id and type != MODERATION_WARNING:
        return  # never for your own actions
    enqueue(session, CREATE, _payload(type, account_id, from_account_id, status_id, subject_id))


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
    enqueue(session, WITHDRAW, _payload(type, account_id, from_account_id, status_id))


# --- creating and withdrawing (run by jobs) -------------------------------------------


async def is_unwanted(session: AsyncSession, *, account_id: int, from_account_id: int) -> bool:
    """True if either blocks the other or the recipient mutes the sender's notifications."""
    if await graph.is_blocked_either_way(session, a=account_id, b=from_account_id):
        return True
    return await graph.is_muting_notifications(
        session, account_id=account_id, target_id=from_account_id
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
    subject_id: int | None = None,
) -> Notification | None:
    """Record a notification; None when it must not exist or already does (idempotent)."""
    if type not in TYPES or (account_id == from_account_id and type != MODERATION_WARNING):
        return None
    people = await accounts.accounts_by_ids(session, {account_id, from_account_id})
    # Moderation's notifications are never filtered (Mastodon's NON_FILTERABLE_TYPES):
    # staff hear of a pending or limited account, an account of a warning even while
    # suspended (it reads it once it is back).
    moderation = type in MODERATION_TYPES
    if moderation and len(people) < len({account_id, from_account_id}):
        return None
    if not moderation and (
        len(people) < 2 or not all(policies.account_shown(p) for p in people.values())
    ):
        return None
    if not moderation and await is_unwanted(
        session, account_id=account_id, from_account_id=from_account_id
    ):
        return None
    if not await _still_true(
        session, type=type, account_id=account_id, from_account_id=from_account_id
    ):
        return None
    if status_id is not None:
        from shutter.posts import service as posts  # posts imports this module

        if not await posts.post_exists(session, post_id=status_id):
            return None
        if not moderation and await muted_threads.is_thread_muted(
            session, account_id=account_id, post_id=status_id
        ):
            return None
    filtered = False
    if not moderation:
        # The recipient's policy (limited senders, strangers, private mentions…).
        outcome = await policy.verdict(
            session,
            recipient=people[account_id],
            sender=people[from_account_id],
            mention_post_id=status_id if type == MENTION else None,
        )
        if outcome == policy.DROP:
            return None
        filtered = outcome == policy.FILTER
    now = utcnow()
    row = {
        "id": ids.next_id(shard_of(account_id)),
        "account_id": account_id,
        "type": type,
        "from_account_id": from_account_id,
        "status_id": status_id,
        "subject_id": subject_id,
        "status_key": status_id or subject_id or 0,
        "group_key": await _group_key(
            session, type=type, account_id=account_id, status_id=status_id, now=now
        ),
        "filtered": filtered,
        "created_at": now,
    }
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    # Any unique conflict is the same action notified already (a job run twice).
    inserted = await session.scalar(
        dialect.insert(Notification).values(row).on_conflict_do_nothing().returning(Notification.id)
    )
    if inserted is None:
        return None
    if filtered and type == MENTION:
        await policy.do_reconsider_request(
            session, account_id=account_id, from_account_id=from_account_id
        )
    return await session.get(Notification, inserted)


async def do_withdraw(
    session: AsyncSession,
    *,
    type: str,
    account_id: int,
    from_account_id: int,
    status_id: int | None,
    subject_id: int | None = None,
) -> int:
    """Delete the notification of one action; returns how many rows went (0 or 1)."""
    result = await session.execute(
        delete(Notification)
        .where(_same_action(type, account_id, from_account_id, status_id or subject_id))
        .returning(Notification.id)
    )
    if type == MENTION:  # a filtered mention counts in its sender's request
        await policy.do_reconsider_request(
            session, account_id=account_id, from_account_id=from_account_id, create=False
        )
    return len(result.all())


# --- reading ------------------------------------------------------------------------------


@dataclass
class Filters:
    """What a list or count request selects: types in or out, one sender, and whether
    notifications the policy filtered are included (always with a sender, as Mastodon)."""

    types: list[str] | None = None
    exclude_types: list[str] | None = None
    account_id: str | None = None
    include_filtered: bool = False


def visible_query(
    *, account_id: Any, filters: Filters | None = None, now: Any = None
) -> Select[Any]:
    """The recipient's notifications that may be shown, as a query to extend;
    `account_id` and `now` may be bind parameters (a statement built once)."""
    query = select(Notification).where(Notification.account_id == account_id)
    # Blocks (either way) and mutes made after a notification hide it too; a mute made
    # with notifications=false keeps notifying.
    hidden = policies.hidden_authors_query(
        viewer_id=account_id, include_mutes=True, notification_mutes_only=True, now=now
    )
    query = query.where(Notification.from_account_id.not_in(hidden))
    if filters is None or not (filters.include_filtered or filters.account_id is not None):
        query = query.where(Notification.filtered == false())
    if filters is None:
        return query
    if filters.types:
        query = query.where(Notification.type.in_(filters.types))
    if filters.exclude_types:
        query = query.where(Notification.type.not_in(filters.exclude_types))
    if filters.account_id is not None:
        sender = parse_id(filters.account_id)
        query = query.where(Notification.from_account_id == (sender if sender else -1))
    return query


async def list_notifications(
    session: AsyncSession, *, account_id: int, filters: Filters, page: PageParams
) -> list[Notification]:
    """A page of the recipient's notifications, newest first."""
    query = paginate(visible_query(account_id=account_id, filters=filters), Notification.id, page)
    rows = list(await session.scalars(query))
    return sorted(rows, key=lambda n: n.id, reverse=True)


async def access_notification(
    session: AsyncSession, *, account_id: int, notification_id: int | str
) -> Notification:
    """One of the recipient's notifications; 404 for anyone else's or a hidden one."""
    wanted = parse_id(notification_id)
    found = None
    if wanted is not None:
        found = await session.scalar(
            visible_query(account_id=account_id, filters=Filters(include_filtered=True)).where(
                Notification.id == wanted
            )
        )
    if found is None:
        raise not_found("Notification")
    return found


async def do_dismiss(session: AsyncSession, *, account_id: int, notification_id: int | str) -> None:
    """Delete one of the recipient's notifications; 404 if it is not theirs."""
    found = await access_notification(
        session, account_id=account_id, notification_id=notification_id
    )
    await session.execute(delete(Notification).where(Notification.id == found.id))
    if found.filtered and found.type == MENTION:
        await policy.do_reconsider_request(
            session, account_id=account_id, from_account_id=found.from_account_id, create=False
        )


async def do_clear(session: AsyncSession, *, account_id: int) -> None:
    """Delete every notification of the recipient, and so its notification requests."""
    await session.execute(delete(Notification).where(Notification.account_id == account_id))
    await session.execute(
        delete(NotificationRequest).where(NotificationRequest.account_id == account_id)
    )


async def unread_count(
    session: AsyncSession, *, account_id: int, filters: Filters, limit: int
) -> int:
    """Notifications newer than the `notifications` marker, counted up to `limit`, in
    one statement. Without filters (the website shows this count on every page) the
    statement is built once and run with this account's values."""
    if filters == Filters():
        values = {"account_id": account_id, "now": utcnow()}
        return int(await session.scalar(_unread_statement(limit), values) or 0)
    return int(await session.scalar(_unread_query(account_id, filters, limit, now=None)) or 0)


def _unread_query(account_id: Any, filters: Filters, limit: int, *, now: Any) -> Select[Any]:
    read_up_to = func.coalesce(
        select(Marker.last_read_id)
        .where((Marker.account_id == account_id) & (Marker.timeline == "notifications"))
        .scalar_subquery(),
        0,
    )
    unread = (
        visible_query(account_id=account_id, filters=filters, now=now)
        .where(Notification.id > read_up_to)
        .with_only_columns(Notification.id)
        .limit(limit)
        .subquery()
    )
    return select(func.count()).select_from(unread)


@cache
def _unread_statement(limit: int) -> Select[Any]:
    return _unread_query(
        bindparam("account_id", type_=BigInteger),
        Filters(),
        limit,
        now=bindparam("now", type_=UTCDateTime),
    )


def unread_and_home_columns(limit: int) -> tuple[ScalarSelect[Any], ScalarSelect[Any]]:
    """`unread_count` without filters and the `home` marker's last read id (NULL when
    not set) as columns with the bind parameters `account_id` and `now`: the website's
    Home reads both with its other counts in one statement (web/unread.py), since a
    round trip to the database cost a Home page more than any of these queries."""
    home = select(Marker.last_read_id).where(
        (Marker.account_id == bindparam("account_id", type_=BigInteger))
        & (Marker.timeline == "home")
    )
    return _unread_statement(limit).scalar_subquery(), home.scalar_subquery()

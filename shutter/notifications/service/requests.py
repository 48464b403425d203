"""Notification requests: the filtered mentions of one sender, accepted or dismissed.

A sub-concern built on the notifications' core and on the policy (`service/policy.py`,
which makes and recounts requests as filtered mentions come and go). As on Mastodon 4.3:

- accepting a request lets its sender through from then on (a permission) and shows
  every notification of that sender the policy had filtered; the request goes;
- dismissing one deletes those notifications and the request; the sender's next
  filtered mention starts a new request;
- both are done in the caller's transaction, so the merge is over when the answer
  arrives (`GET /api/v1/notifications/requests/merged` is always true).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shutter import policies
from shutter.accounts.models import Account
from shutter.infra.errors import not_found
from shutter.infra.ids import parse_id
from shutter.infra.pagination import PageParams, paginate
from shutter.notifications.models import Notification, NotificationRequest
from shutter.notifications.service import policy


def _pending_query(*, account_id: int) -> Select[NotificationRequest]:
    """The recipient's requests that may be shown: their sender is neither suspended,
    deleted nor hidden (blocked either way, or muted with notifications)."""
    hidden = policies.hidden_authors_query(
        viewer_id=account_id, include_mutes=True, notification_mutes_only=True
    )
    return (
        select(NotificationRequest)
        .join(Account, Account.id == NotificationRequest.from_account_id)
        .where(
            (NotificationRequest.account_id == account_id)
            & NotificationRequest.from_account_id.not_in(hidden)
            & policies.account_shown_sql()
        )
    )


async def list_requests(
    session: AsyncSession, *, account_id: int, page: PageParams
) -> list[NotificationRequest]:
    """A page of the recipient's notification requests, newest first."""
    query = paginate(_pending_query(account_id=account_id), NotificationRequest.id, page)
    rows = list(await session.scalars(query))
    return sorted(rows, key=lambda r: r.id, reverse=True)


async def access_request(
    session: AsyncSession, *, account_id: int, request_id: int | str
) -> NotificationRequest:
    """One of the recipient's requests; 404 for anyone else's or an unknown one."""
    wanted = parse_id(request_id)
    found = None
    if wanted is not None:
        found = await session.scalar(
            _pending_query(account_id=account_id).where(NotificationRequest.id == wanted)
        )
    if found is None:
        raise not_found("Notification request")
    return found


async def requests_by_ids(
    session: AsyncSession, *, account_id: int, request_ids: list[str]
) -> list[NotificationRequest]:
    """The recipient's requests among `request_ids` (others' and unknown ones are left
    out, as Mastodon's bulk actions do)."""
    wanted = {i for i in (parse_id(r) for r in request_ids) if i is not None}
    if not wanted:
        return []
    rows = await session.scalars(
        select(NotificationRequest).where(
            (NotificationRequest.account_id == account_id) & NotificationRequest.id.in_(wanted)
        )
    )
    return list(rows)


async def do_accept(session: AsyncSession, *, request: NotificationRequest) -> None:
    """Let the request's sender through and show what the policy held back from it."""
    await policy.do_permit(
        session, account_id=request.account_id, from_account_id=request.from_account_id
    )
    await session.execute(
        update(Notification)
        .where(_held_back(request))
        .values(filtered=False)
        .execution_options(synchronize_session=False)
    )
    await session.execute(delete(NotificationRequest).where(NotificationRequest.id == request.id))


async def do_dismiss(session: AsyncSession, *, request: NotificationRequest) -> None:
    """Delete the request and the notifications the policy held back from its sender."""
    await session.execute(delete(Notification).where(_held_back(request)))
    await session.execute(delete(NotificationRequest).where(NotificationRequest.id == request.id))


async def do_accept_many(session: AsyncSession, *, account_id: int, request_ids: list[str]) -> None:
    """Accept each of the recipient's requests among `request_ids`."""
    for found in await requests_by_ids(session, account_id=account_id, request_ids=request_ids):
        await do_accept(session, request=found)


async def do_dismiss_many(
    session: AsyncSession, *, account_id: int, request_ids: list[str]
) -> None:
    """Dismiss each of the recipient's requests among `request_ids`."""
    for found in await requests_by_ids(session, account_id=account_id, request_ids=request_ids):
        await do_dismiss(session, request=found)


def _held_back(request: NotificationRequest) -> ColumnElement[Any]:
    return (
        (Notification.account_id == request.account_id)
        & (Notification.from_account_id == request.from_account_id)
        & Notification.filtered
    )


async def summary(session: AsyncSession, *, account_id: int) -> dict[str, int]:
    """The policy's summary: pending requests (at most 100) and their notifications."""
    pending = (
        _pending_query(account_id=account_id)
        .with_only_columns(NotificationRequest.notifications_count)
        .limit(policy.MAX_MEANINGFUL_COUNT)
        .subquery()
    )
    count, total = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(pending.c.notifications_count), 0))
        )
    ).one()
    return {"pending_requests_count": int(count), "pending_notifications_count": int(total)}

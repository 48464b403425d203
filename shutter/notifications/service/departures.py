"""A deleted account's notifications leave: those it received, those it caused, its read
markers, its notification policy, and the requests and permissions to and from it, in
batches (accounts.events.AccountDeleted, shutter/notifications/jobs.py)."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.infra.jobs import JobKind
from shutter.notifications.models import (
    Marker,
    Notification,
    NotificationPermission,
    NotificationPolicy,
    NotificationRequest,
)

REMOVE_ACCOUNT = JobKind("notifications.remove_account", timeout_seconds=60)
BATCH = 1000


async def do_remove_account(session: AsyncSession, *, account_id: int) -> bool:
    """One batch of the account's notifications (to and from it); whether more are left.
    Safe to run twice."""
    ids = list(
        await session.scalars(
            select(Notification.id)
            .where(
                (Notification.account_id == account_id)
                | (Notification.from_account_id == account_id)
            )
            .limit(BATCH)
        )
    )
    if ids:
        await session.execute(delete(Notification).where(Notification.id.in_(ids)))
    if len(ids) == BATCH:
        return True
    await session.execute(delete(Marker).where(Marker.account_id == account_id))
    # Its policy, and the requests and permissions to and from it.
    await session.execute(
        delete(NotificationPolicy).where(NotificationPolicy.account_id == account_id)
    )
    for table in (NotificationRequest, NotificationPermission):
        await session.execute(
            delete(table).where(
                (table.account_id == account_id) | (table.from_account_id == account_id)
            )
        )
    return False

"""Notification rules: what creates a notification, who may see it, and how it is read.

Other services call `notify` and `withdraw` inside their own write transaction; both only
enqueue a job (outbox), so the notification appears after the commit and a rolled-back
action never notifies anyone.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from shutter.infra.jobs import enqueue

# Mastodon's notification types that Shutter creates.
FAVOURITE, MENTION, FOLLOW, FOLLOW_REQUEST = "favourite", "mention", "follow", "follow_request"
TYPES = (FAVOURITE, MENTION, FOLLOW, FOLLOW_REQUEST)


def _payload(
    type: str, account_id: int, from_account_id: int, status_id: int | None
) -> dict[str, int | str | None]:
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

"""Notification jobs: create or withdraw one notification, then push it to open clients.

Both are safe to run twice: the unique key of an action makes a second create a no-op,
and withdrawing what is gone deletes nothing.
"""

from __future__ import annotations

from typing import Any

from shutter.infra.context import AppContext
from shutter.infra.jobs import job
from shutter.notifications import service


def _action(payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": str(payload["type"]),
        "account_id": int(payload["account_id"]),
        "from_account_id": int(payload["from_account_id"]),
        "status_id": None if payload.get("status_id") is None else int(payload["status_id"]),
    }


@job("notifications.create", timeout_seconds=30)
async def create(ctx: AppContext, payload: dict[str, Any]) -> None:
    async with ctx.db.write() as session:
        await service.do_create(session, **_action(payload))


@job("notifications.withdraw", timeout_seconds=30)
async def withdraw(ctx: AppContext, payload: dict[str, Any]) -> None:
    async with ctx.db.write() as session:
        await service.do_withdraw(session, **_action(payload))

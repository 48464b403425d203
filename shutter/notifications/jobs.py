"""Notification jobs: create or withdraw one notification, then push it to open clients.

Both are safe to run twice: the unique key of an action makes a second create a no-op
(and publishes nothing), and withdrawing what is gone deletes nothing.
"""

from __future__ import annotations

from typing import Any

import orjson

from shutter.accounts import service as accounts
from shutter.infra.context import AppContext
from shutter.infra.events import user_channel
from shutter.infra.jobs import job
from shutter.notifications import render, service


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
        created = await service.do_create(session, **_action(payload))
        if created is None:
            return
        found = await accounts.accounts_by_ids(session, {created.account_id})
        recipient = found.get(created.account_id)
        if recipient is None:
            return
        bodies = await render.notifications_json(session, ctx, [created], viewer=recipient)
        if bodies:
            # Sent after the commit, so a client that reacts by reading the list finds it.
            ctx.events.publish(
                session,
                user_channel(created.account_id),
                {"event": "notification", "payload": orjson.dumps(bodies[0]).decode()},
            )


@job("notifications.withdraw", timeout_seconds=30)
async def withdraw(ctx: AppContext, payload: dict[str, Any]) -> None:
    async with ctx.db.write() as session:
        await service.do_withdraw(session, **_action(payload))

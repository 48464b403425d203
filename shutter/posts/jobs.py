"""Posts jobs: removing a deleted account's posts, comments, likes and saves
(shutter/posts/service/departures.py), caused by accounts.events.AccountDeleted, and
publishing scheduled posts on time (shutter/posts/service/scheduled.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shutter.accounts.events import AccountDeleted
from shutter.infra.context import AppContext
from shutter.infra.domain import subscribe
from shutter.infra.jobs import enqueue, handles
from shutter.posts.service import departures, scheduled


@subscribe(AccountDeleted)
async def on_account_deleted(session: AsyncSession, event: AccountDeleted) -> None:
    enqueue(session, departures.REMOVE_ACCOUNT, {"account_id": event.account_id})


@handles(departures.REMOVE_ACCOUNT)
async def remove_account(ctx: AppContext, payload: dict[str, Any]) -> None:
    """One batch of a deleted account's traces in posts; the next batch is its own job."""
    account_id = int(payload["account_id"])
    async with ctx.db.write() as session:
        if await departures.do_remove_account(session, ctx, account_id=account_id):
            enqueue(session, departures.REMOVE_ACCOUNT, {"account_id": account_id})


@handles(scheduled.PUBLISH)
async def publish_scheduled(ctx: AppContext, payload: dict[str, Any]) -> None:
    """A scheduled post whose time came (posts/service/scheduled.py: exactly once)."""
    async with ctx.db.write() as session:
        await scheduled.do_publish(session, ctx=ctx, scheduled_id=int(payload["id"]))

"""Graph work caused by other services: what accounts publish (shutter/infra/domain.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shutter.accounts.events import AccountDeleted, AccountOpened
from shutter.graph import service
from shutter.graph.events import FollowEnded
from shutter.graph.service import departures, endorsements
from shutter.infra.context import AppContext
from shutter.infra.domain import subscribe
from shutter.infra.jobs import enqueue, handles


@subscribe(AccountOpened)
async def on_account_opened(session: AsyncSession, event: AccountOpened) -> None:
    """Mastodon's rule: opening a locked account lets everyone who asked in."""
    await service.do_approve_all_requests(session, target_id=event.account_id)


@subscribe(FollowEnded)
async def on_follow_ended(session: AsyncSession, event: FollowEnded) -> None:
    """Mastodon's rule: an endorsement lasts as long as the follow."""
    await endorsements.remove_endorsement(
        session, account_id=event.follower_id, target_id=event.target_id
    )


@subscribe(AccountDeleted)
async def on_account_deleted(session: AsyncSession, event: AccountDeleted) -> None:
    enqueue(session, departures.REMOVE_ACCOUNT, {"account_id": event.account_id})


@handles(departures.REMOVE_ACCOUNT)
async def remove_account(ctx: AppContext, payload: dict[str, Any]) -> None:
    """One batch of a deleted account's follows, requests, blocks and mutes."""
    account_id = int(payload["account_id"])
    async with ctx.db.write() as session:
        if await departures.do_remove_account(session, account_id=account_id):
            enqueue(session, departures.REMOVE_ACCOUNT, {"account_id": account_id})

"""Notification jobs: create or withdraw one notification, then push it to open clients.

Both are safe to run twice: the unique key of an action makes a second create a no-op
(and publishes nothing), and withdrawing what is gone deletes nothing.
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.accounts import service as accounts
from shutter.accounts.events import AccountDeleted
from shutter.graph.events import FollowEnded, FollowRequestClosed, FollowRequested, FollowStarted
from shutter.infra.context import AppContext
from shutter.infra.domain import subscribe
from shutter.infra.events import user_channel
from shutter.infra.jobs import enqueue, handles
from shutter.notifications import render, service
from shutter.notifications.service import departures, push
from shutter.posts.events import Favourited, Mentioned, Unfavourited, Unmentioned


def _action(payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": str(payload["type"]),
        "account_id": int(payload["account_id"]),
        "from_account_id": int(payload["from_account_id"]),
        "status_id": None if payload.get("status_id") is None else int(payload["status_id"]),
        "subject_id": None if payload.get("subject_id") is None else int(payload["subject_id"]),
    }


@handles(service.CREATE)
async def create(ctx: AppContext, payload: dict[str, Any]) -> None:
    async with ctx.db.write() as session:
        created = await service.do_create(session, **_action(payload))
        # A filtered notification waits in its request: neither streamed nor pushed.
        if created is None or created.filtered:
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
            # Pushed too, by jobs committed with the notification (service/push.py).
            await push.enqueue_deliveries(session, notification=created, entity=bodies[0])


@handles(push.DELIVER)
async def deliver_push(ctx: AppContext, payload: dict[str, Any]) -> None:
    await push.deliver(
        ctx, subscription_id=int(payload["subscription_id"]), content=dict(payload["content"])
    )


@handles(service.WITHDRAW)
async def withdraw(ctx: AppContext, payload: dict[str, Any]) -> None:
    async with ctx.db.write() as session:
        await service.do_withdraw(session, **_action(payload))


# --- what the graph and posts publish (shutter/infra/domain.py) ------------------------


@subscribe(FollowStarted)
async def on_follow_started(session: AsyncSession, event: FollowStarted) -> None:
    service.notify(
        session, type=service.FOLLOW, account_id=event.target_id, from_account_id=event.follower_id
    )


@subscribe(FollowEnded)
async def on_follow_ended(session: AsyncSession, event: FollowEnded) -> None:
    # As on Mastodon, the notification goes with an unfollow (and a re-follow notifies);
    # a block or a removed follower leaves it.
    if event.by_follower:
        service.withdraw(
            session,
            type=service.FOLLOW,
            account_id=event.target_id,
            from_account_id=event.follower_id,
        )


@subscribe(FollowRequested)
async def on_follow_requested(session: AsyncSession, event: FollowRequested) -> None:
    service.notify(
        session,
        type=service.FOLLOW_REQUEST,
        account_id=event.target_id,
        from_account_id=event.requester_id,
    )


@subscribe(FollowRequestClosed)
async def on_follow_request_closed(session: AsyncSession, event: FollowRequestClosed) -> None:
    service.withdraw(
        session,
        type=service.FOLLOW_REQUEST,
        account_id=event.target_id,
        from_account_id=event.requester_id,
    )


@subscribe(Mentioned)
async def on_mentioned(session: AsyncSession, event: Mentioned) -> None:
    service.notify(
        session,
        type=service.MENTION,
        account_id=event.account_id,
        from_account_id=event.author_id,
        status_id=event.post_id,
    )


@subscribe(Unmentioned)
async def on_unmentioned(session: AsyncSession, event: Unmentioned) -> None:
    service.withdraw(
        session,
        type=service.MENTION,
        account_id=event.account_id,
        from_account_id=event.author_id,
        status_id=event.post_id,
    )


@subscribe(Favourited)
async def on_favourited(session: AsyncSession, event: Favourited) -> None:
    service.notify(
        session,
        type=service.FAVOURITE,
        account_id=event.author_id,
        from_account_id=event.actor_id,
        status_id=event.post_id,
    )


@subscribe(Unfavourited)
async def on_unfavourited(session: AsyncSession, event: Unfavourited) -> None:
    service.withdraw(
        session,
        type=service.FAVOURITE,
        account_id=event.author_id,
        from_account_id=event.actor_id,
        status_id=event.post_id,
    )


@subscribe(AccountDeleted)
async def on_account_deleted(session: AsyncSession, event: AccountDeleted) -> None:
    enqueue(session, departures.REMOVE_ACCOUNT, {"account_id": event.account_id})


@handles(departures.REMOVE_ACCOUNT)
async def remove_account(ctx: AppContext, payload: dict[str, Any]) -> None:
    """One batch of a deleted account's notifications; the next batch is its own job."""
    account_id = int(payload["account_id"])
    async with ctx.db.write() as session:
        if await departures.do_remove_account(session, account_id=account_id):
            enqueue(session, departures.REMOVE_ACCOUNT, {"account_id": account_id})

"""Conversations react to posts (shutter/infra/domain.py): a direct message is filed in
its participants' inboxes and streamed to their `direct` streams, a deleted one leaves
them; a deleted account's own inbox goes."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.accounts import service as accounts
from shutter.accounts.events import AccountDeleted
from shutter.conversations import service
from shutter.conversations.render import render_conversations
from shutter.infra.context import AppContext, session_context
from shutter.infra.domain import subscribe
from shutter.infra.events import user_channel
from shutter.infra.jobs import enqueue, handles
from shutter.posts.events import DirectPosted, StatusesDeleted


@subscribe(DirectPosted)
async def on_direct_posted(session: AsyncSession, event: DirectPosted) -> None:
    changed = await service.do_take_message(
        session,
        post_id=event.post_id,
        author_id=event.author_id,
        participant_ids=event.participant_ids,
    )
    ctx = session_context(session)
    owners = await accounts.accounts_by_ids(session, {c.account_id for c in changed})
    for conversation in changed:
        owner = owners.get(conversation.account_id)
        if owner is None:
            continue
        [body] = await render_conversations(session, ctx, [conversation], viewer=owner)
        # On the owner's user channel, which only `direct` streams let this event through.
        ctx.events.publish(
            session,
            user_channel(owner.id),
            {"event": "conversation", "payload": orjson.dumps(body).decode()},
        )


@subscribe(StatusesDeleted)
async def on_statuses_deleted(session: AsyncSession, event: StatusesDeleted) -> None:
    await service.do_forget_messages(session, post_ids=event.post_ids)


@subscribe(AccountDeleted)
async def on_account_deleted(session: AsyncSession, event: AccountDeleted) -> None:
    enqueue(session, service.REMOVE_ACCOUNT, {"account_id": event.account_id})


@handles(service.REMOVE_ACCOUNT)
async def remove_account(ctx: AppContext, payload: dict[str, Any]) -> None:
    async with ctx.db.write() as session:
        await service.do_remove_account(session, account_id=int(payload["account_id"]))

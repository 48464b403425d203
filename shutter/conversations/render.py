"""Conversations as their owner sees them, a whole page in a few queries.

Read-time rules beside what the subscribers decided when each message came (who blocks
or mutes its author gets nothing): participants not shown (suspended, deactivated,
deleted) or blocked either way leave `accounts`, and a last message the owner may no
longer see is `null`, as Mastodon's `last_status` may be.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from shutter import policies
from shutter.accounts import service as accounts
from shutter.accounts.models import Account
from shutter.accounts.render import render_accounts
from shutter.conversations import service
from shutter.conversations.models import Conversation
from shutter.conversations.schemas import conversation_json
from shutter.infra.context import AppContext
from shutter.infra.pagination import PageParams, paginate
from shutter.posts import service as posts
from shutter.posts.render import render_items


async def render_conversations(
    session: AsyncSession, ctx: AppContext, rows: list[Conversation], *, viewer: Account
) -> list[dict[str, Any]]:
    people = {a for row in rows for a in row.participant_ids or []}
    found = await accounts.accounts_by_ids(session, people)
    items = await posts.hydrate(session, [r.last_status_id for r in rows if r.last_status_id])
    relations = await policies.load_relations(
        session, viewer_id=viewer.id, author_ids=set(found) | {i.author.id for i in items}
    )
    visible = [i for i in items if policies.may_see_post(i.post, i.author, relations)]
    bodies = await render_items(session, ctx, visible, viewer=viewer)
    statuses = {item.post.id: body for item, body in zip(visible, bodies, strict=True)}
    seen = [a for a in found.values() if policies.may_see_author(a, relations)]
    shown = {
        account.id: body
        for account, body in zip(seen, await render_accounts(ctx, seen), strict=True)
    }
    return [
        conversation_json(
            row,
            [shown[a] for a in row.participant_ids or [] if a in shown],
            statuses.get(row.last_status_id or 0),
        )
        for row in rows
    ]


async def inbox_page(
    session: AsyncSession, ctx: AppContext, page: PageParams, *, viewer: Account
) -> tuple[list[dict[str, Any]], list[int]]:
    """A page of the viewer's inbox, newest first, and its cursors (the last messages'
    ids): GET /api/v1/conversations and the website's Messages page."""
    # Never NULL in the inbox's rows (`inbox_query`), so a cursor like any id.
    cursor = cast(InstrumentedAttribute[int], Conversation.last_status_id)
    query = paginate(service.inbox_query(account_id=viewer.id), cursor, page)
    rows = list(await session.scalars(query))
    if page.min_id is not None:
        rows.reverse()  # fetched upwards from min_id; shown newest first
    body = await render_conversations(session, ctx, rows, viewer=viewer)
    return body, [row.last_status_id for row in rows if row.last_status_id is not None]

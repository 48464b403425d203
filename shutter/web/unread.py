"""The navigation's unread count: notifications newer than the `notifications` marker.

Every signed-in page shows it ("Notifications, N new"); static/js/live.js keeps it
current from the user's stream (/web/stream) or, failing that, by polling /web/unread.
Counted up to UNREAD_CAP: the badge says "99+" past it.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import BigInteger, Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.conversations import service as conversations
from shutter.infra.db import utcnow
from shutter.notifications import service as notifications

UNREAD_CAP = 100


async def unread_of(session: AsyncSession, account_id: int) -> int:
    return await notifications.unread_count(
        session, account_id=account_id, filters=notifications.Filters(), limit=UNREAD_CAP
    )


async def nav_counts_and_home_read(
    session: AsyncSession, account_id: int
) -> tuple[int, int, int | None]:
    """Unread notifications, unread conversations and the `home` marker (Home shows all
    three) in one statement made of the two services' own."""
    values = {"account_id": account_id, "now": utcnow()}
    row = (await session.execute(_nav_and_home_statement(), values)).one()
    return int(row[0] or 0), min(int(row[1] or 0), UNREAD_CAP), row[2]


@cache
def _nav_and_home_statement() -> Select[Any]:
    unread, home = notifications.unread_and_home_columns(UNREAD_CAP)
    account_id = bindparam("account_id", type_=BigInteger)
    messages = conversations.unread_count_query(account_id).scalar_subquery()
    return select(unread, messages, home)


async def unread_messages_of(session: AsyncSession, account_id: int) -> int:
    """Conversations with an unread message ("Messages, N new"; "99+" past UNREAD_CAP)."""
    return min(await conversations.unread_count(session, account_id=account_id), UNREAD_CAP)

"""The navigation's counts: notifications newer than the `notifications` marker, and
conversations with an unread message.

Every signed-in page shows them ("Notifications, N new", "Messages, N new");
static/js/live.js keeps them current from the user's stream (/web/stream) or, failing
that, by polling /web/unread. Counted up to UNREAD_CAP: the badge says "99+" past it.
Both are read in one statement made of the two services' own, run on the driver
directly (infra/prepared.py): a statement through SQLAlchemy's execution layer cost a
page more than the counting itself. Home reads them, with its `home` marker, in its
feed page's own statement (infra/prepared.Along): no trip to the database of their own.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.conversations import service as conversations
from shutter.infra.db import utcnow
from shutter.infra.prepared import Along, fetch_all, reusable
from shutter.notifications import service as notifications

UNREAD_CAP = 100


async def nav_counts(session: AsyncSession, account_id: int) -> tuple[int, int]:
    """Unread notifications and unread conversations."""
    values = {"account_id": account_id, "now": utcnow()}
    unread, messages = (await fetch_all(session, _statement(), values))[0]
    return _counts(unread, messages)


def home_along(account_id: int) -> Along:
    """The counts and the `home` marker's last read id as columns of Home's feed
    statement (`home_counts` reads them from it)."""
    return Along(_columns(), {"account_id": account_id})


async def home_counts(
    session: AsyncSession, account_id: int, along: Along
) -> tuple[int, int, int | None]:
    """Unread notifications, unread conversations and the `home` marker: as read along
    the feed's page, or on their own when the page was empty."""
    if along.values is None:
        values = {"account_id": account_id, "now": utcnow()}
        along.values = tuple((await fetch_all(session, _statement(home_marker=True), values))[0])
    unread, messages, home = along.values
    return (*_counts(unread, messages), home)


def _counts(unread: int | None, messages: int | None) -> tuple[int, int]:
    return int(unread or 0), min(int(messages or 0), UNREAD_CAP)


@cache
def _columns() -> tuple[ColumnElement[Any], ...]:
    """Both counts and the `home` marker, with the bind parameters `account_id` and `now`."""
    unread, home = notifications.unread_and_home_columns(UNREAD_CAP)
    account_id = bindparam("account_id", type_=BigInteger)
    messages = conversations.unread_count_query(account_id).scalar_subquery()
    return unread, messages, home


@cache
def _statement(home_marker: bool = False) -> Select[Any]:
    columns = _columns()
    return reusable(select(*(columns if home_marker else columns[:2])))

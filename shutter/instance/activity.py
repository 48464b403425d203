"""Mastodon's instance activity: statuses, log-ins and sign-ups of the last 12 weeks.

Read-only. Every entity id sorts by its creation time (infra/ids.py), so a week's rows
are a range of primary keys: each count is an index range scan, whatever the table size.
A log-in is a user token issued (password, authorization code or the website's
sign-in), counted once per account and week, as Mastodon counts users who logged in.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from shutter.accounts.models import Account
from shutter.auth.models import Token
from shutter.infra.db import utcnow
from shutter.infra.ids import lowest_id_at
from shutter.posts.models import Post

WEEKS = 12


def week_starts(now: datetime) -> list[datetime]:
    """Mondays at midnight UTC, this week's first, as Mastodon's weeks."""
    monday = (now - timedelta(days=now.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    return [monday - timedelta(weeks=n) for n in range(WEEKS)]


def _bound(moment: datetime) -> int:
    return max(lowest_id_at(moment), 0)  # weeks before the epoch hold nothing


def _buckets(column: Any, starts: list[datetime], now: datetime) -> list[ColumnElement[Any]]:
    ends = [now + timedelta(days=1), *starts[:-1]]
    return [
        func.coalesce(
            func.sum(case(((column >= _bound(start)) & (column < _bound(end)), 1), else_=0)),
            0,
        ).cast(Integer)
        for start, end in zip(starts, ends, strict=True)
    ]


async def weekly_activity(session: AsyncSession) -> list[dict[str, Any]]:
    now = utcnow()
    starts = week_starts(now)
    floor = _bound(starts[-1])
    statuses = (
        await session.execute(select(*_buckets(Post.id, starts, now)).where(Post.id >= floor))
    ).one()
    registrations = (
        await session.execute(select(*_buckets(Account.id, starts, now)).where(Account.id >= floor))
    ).one()
    # One row per account and week first: an account logging in twice counts once.
    week_of = [case(((Token.id >= _bound(s)), i), else_=None) for i, s in enumerate(starts)]
    logins_query = (
        select(func.coalesce(*week_of).label("week"), Token.account_id)
        .where(Token.id >= floor, Token.account_id.is_not(None))
        .distinct()
        .subquery()
    )
    logins: dict[int, int] = dict(
        (
            await session.execute(
                select(logins_query.c.week, func.count()).group_by(logins_query.c.week)
            )
        ).all()
    )
    return [
        {
            "week": str(int(start.timestamp())),
            "statuses": str(statuses[i]),
            "logins": str(logins.get(i, 0)),
            "registrations": str(registrations[i]),
        }
        for i, start in enumerate(starts)
    ]

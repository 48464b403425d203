"""Mastodon's admin measures (`POST /api/v1/admin/measures`): quantities per day.

`new_users` counts accounts created each day; `active_users` counts accounts whose
tokens were last used that day (the only record of activity Shutter keeps: a token's
last use, shutter/auth/usage.py — so an account counts on the last day it was seen);
`opened_reports` and `resolved_reports` count reports filed and resolved.
Mastodon's other keys are answered with a total of 0 and no data, so its dashboard and
clients that ask for them keep working.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Date, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.accounts.models import Account
from shutter.auth.models import Token
from shutter.infra.errors import unprocessable
from shutter.infra.formats import iso
from shutter.moderation.models import Report

# Mastodon 4.3's measure keys.
KEYS = (
    "active_users", "new_users", "interactions", "opened_reports", "resolved_reports",
    "tag_accounts", "tag_uses", "tag_servers", "instance_accounts", "instance_media_attachments",
    "instance_reports", "instance_statuses", "instance_follows", "instance_followers",
)  # fmt: skip
MEASURED = ("new_users", "active_users", "opened_reports", "resolved_reports")
MAX_DAYS = 366


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=UTC)

    @property
    def until(self) -> datetime:
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=UTC)


def _day(raw: str, *, field: str) -> date:
    """`2026-12-01` or an ISO date-time (its date is taken)."""
    text = raw.strip()
    try:
        return date.fromisoformat(text[:10]) if len(text) >= 10 else date.fromisoformat(text)
    except ValueError:
        raise unprocessable(f"{field} is not a date (YYYY-MM-DD)", field=field) from None


def check_period(start_at: str, end_at: str) -> Period:
    start, end = _day(start_at, field="start_at"), _day(end_at, field="end_at")
    if end < start:
        raise unprocessable("end_at is before start_at", field="end_at")
    if (end - start).days >= MAX_DAYS:
        raise unprocessable(f"the period is longer than {MAX_DAYS} days", field="end_at")
    return Period(start, end)


def check_keys(keys: list[str]) -> list[str]:
    unknown = [key for key in keys if key not in KEYS]
    if unknown:
        raise unprocessable(f"keys names no measure: {unknown[0]}", field="keys")
    return list(dict.fromkeys(keys))


def _day_of(session: AsyncSession, column: Any) -> Any:
    """The UTC day of a timestamp column, in the database's dialect."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone("UTC", column), Date)
    return func.date(column)


async def _per_day(session: AsyncSession, query: Any, day: Any) -> dict[date, int]:
    rows = await session.execute(query.group_by(day))
    counts: dict[date, int] = {}
    for value, count in rows.all():
        key = value if isinstance(value, date) else date.fromisoformat(str(value))
        counts[key] = int(count)
    return counts


async def _new_users(session: AsyncSession, period: Period) -> dict[date, int]:
    day = _day_of(session, Account.created_at)
    query = select(day, func.count()).where(
        (Account.created_at >= period.since) & (Account.created_at < period.until)
    )
    return await _per_day(session, query, day)


def _active(period: Period) -> Any:
    return (
        Token.account_id.is_not(None)
        & (Token.last_used_at >= period.since)
        & (Token.last_used_at < period.until)
    )


async def _active_users(session: AsyncSession, period: Period) -> dict[date, int]:
    day = _day_of(session, Token.last_used_at)
    query = select(day, func.count(func.distinct(Token.account_id))).where(_active(period))
    return await _per_day(session, query, day)


async def _active_total(session: AsyncSession, period: Period) -> int:
    """Accounts active in the period, each once (an account with tokens used on two
    days counts on both days, once in the total)."""
    query = select(func.count(func.distinct(Token.account_id))).where(_active(period))
    return int(await session.scalar(query) or 0)


async def _reports(session: AsyncSession, period: Period, *, resolved: bool) -> dict[date, int]:
    column = Report.action_taken_at if resolved else Report.created_at
    day = _day_of(session, column)
    query = select(day, func.count()).where((column >= period.since) & (column < period.until))
    return await _per_day(session, query, day)


def _measure(key: str, *, total: int, data: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "key": key,
        "unit": None,
        "total": str(total),
        "human_value": None,
        "previous_total": None,
        "data": data,
    }


async def measures(
    session: AsyncSession, *, keys: list[str], period: Period
) -> list[dict[str, Any]]:
    """Admin::Measure entities for `keys`, in the order asked."""
    found: list[dict[str, Any]] = []
    for key in keys:
        if key not in MEASURED:
            found.append(_measure(key, total=0, data=[]))
            continue
        if key == "new_users":
            counts = await _new_users(session, period)
        elif key == "active_users":
            counts = await _active_users(session, period)
        else:
            counts = await _reports(session, period, resolved=key == "resolved_reports")
        data = [
            {
                "date": iso(datetime.combine(day, time.min, tzinfo=UTC)) or "",
                "value": str(counts.get(day, 0)),
            }
            for day in period.days()
        ]
        total = (
            await _active_total(session, period) if key == "active_users" else sum(counts.values())
        )
        found.append(_measure(key, total=total, data=data))
    return found

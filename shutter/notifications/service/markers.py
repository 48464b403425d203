"""Read positions (Mastodon's markers): how far a person has read Home and their
notifications, saved by any of their devices."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.infra.db import utcnow
from shutter.infra.errors import unprocessable
from shutter.infra.ids import parse_id
from shutter.notifications.models import Marker

TIMELINES = ("home", "notifications")


async def markers_of(
    session: AsyncSession, *, account_id: int, timelines: list[str]
) -> list[Marker]:
    wanted = [t for t in timelines if t in TIMELINES]
    if not wanted:
        return []
    rows = await session.scalars(
        select(Marker).where((Marker.account_id == account_id) & Marker.timeline.in_(wanted))
    )
    return list(rows)


async def do_set_markers(
    session: AsyncSession, *, account_id: int, positions: dict[str, str]
) -> list[Marker]:
    """Move read positions ({timeline: last read id}); each save bumps the version."""
    if not positions:
        raise unprocessable(
            "home[last_read_id] or notifications[last_read_id] is required", field="home"
        )
    parsed: dict[str, int] = {}
    for timeline, raw in positions.items():
        value = parse_id(raw)
        if value is None:
            raise unprocessable("last_read_id is not an id", field=f"{timeline}[last_read_id]")
        parsed[timeline] = value
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    now = utcnow()
    for timeline, value in parsed.items():
        # Upsert: two devices saving at once both land, one version after the other.
        insert = dialect.insert(Marker).values(
            account_id=account_id, timeline=timeline, last_read_id=value, version=1, updated_at=now
        )
        await session.execute(
            insert.on_conflict_do_update(
                index_elements=["account_id", "timeline"],
                set_={"last_read_id": value, "version": Marker.version + 1, "updated_at": now},
            )
        )
    rows = await session.scalars(
        select(Marker)
        .where((Marker.account_id == account_id) & Marker.timeline.in_(list(parsed)))
        .execution_options(populate_existing=True)
    )
    return list(rows)


async def last_read_id(session: AsyncSession, *, account_id: int, timeline: str) -> int:
    marker = await session.get(Marker, (account_id, timeline))
    return marker.last_read_id if marker else 0

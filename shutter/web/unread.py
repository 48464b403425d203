"""The navigation's unread count: notifications newer than the `notifications` marker.

Every signed-in page shows it ("Notifications, N new"); static/js/live.js keeps it
current from the user's stream (/web/stream) or, failing that, by polling /web/unread.
Counted up to UNREAD_CAP: the badge says "99+" past it.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from shutter.notifications import service as notifications

UNREAD_CAP = 100


async def unread_of(session: AsyncSession, account_id: int) -> int:
    return await notifications.unread_count(
        session, account_id=account_id, filters=notifications.Filters(), limit=UNREAD_CAP
    )

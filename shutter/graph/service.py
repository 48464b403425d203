"""The social graph: follows, follow requests and the visibility rules they imply."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.graph.models import Follow, FollowRequest


async def count_follow_requests(session: AsyncSession, *, target_id: int) -> int:
    return int(
        await session.scalar(
            select(func.count()).select_from(FollowRequest).where(
                FollowRequest.target_account_id == target_id
            )
        )
        or 0
    )


async def is_following(session: AsyncSession, *, account_id: int, target_id: int) -> bool:
    found = await session.scalar(
        select(Follow.id).where(
            (Follow.account_id == account_id) & (Follow.target_account_id == target_id)
        )
    )
    return found is not None


async def follower_ids_page(
    session: AsyncSession, *, account_id: int, after_id: int, limit: int
) -> list[int]:
    """Follower account ids of `account_id` greater than `after_id`, ascending (fan-out)."""
    rows = await session.scalars(
        select(Follow.account_id)
        .where((Follow.target_account_id == account_id) & (Follow.account_id > after_id))
        .order_by(Follow.account_id)
        .limit(limit)
    )
    return list(rows)

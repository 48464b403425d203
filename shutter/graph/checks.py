"""Blocks and mutes as other services ask about them: one query per question, batched.

A block hides two accounts from each other in both directions; a mute hides the muted
account's posts from the muter's feeds only, and only until it expires.
"""

from __future__ import annotations

from sqlalchemy import false, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.graph.models import AccountNote, Block, Endorsement, Mute
from shutter.policies import blocked_either_way_query, hidden_authors_query, mute_active


async def is_blocked_either_way(session: AsyncSession, *, a: int, b: int) -> bool:
    """Whether `a` blocked `b` or `b` blocked `a`."""
    found = await session.scalar(
        select(Block.id)
        .where(
            ((Block.account_id == a) & (Block.target_account_id == b))
            | ((Block.account_id == b) & (Block.target_account_id == a))
        )
        .limit(1)
    )
    return found is not None


async def is_muting(session: AsyncSession, *, account_id: int, target_id: int) -> bool:
    """Whether `account_id` mutes `target_id` now (an expired mute no longer counts)."""
    found = await session.scalar(
        select(Mute.id).where(
            (Mute.account_id == account_id) & (Mute.target_account_id == target_id) & mute_active()
        )
    )
    return found is not None


async def is_muting_notifications(
    session: AsyncSession, *, account_id: int, target_id: int
) -> bool:
    """Whether `account_id` mutes `target_id` with their notifications (Mastodon's default)."""
    found = await session.scalar(
        select(Mute.id).where(
            (Mute.account_id == account_id)
            & (Mute.target_account_id == target_id)
            & Mute.hide_notifications
            & mute_active()
        )
    )
    return found is not None


async def blocked_either_way_ids(session: AsyncSession, *, viewer_id: int) -> set[int]:
    """Accounts the viewer blocked and accounts that blocked the viewer."""
    return set(await session.scalars(blocked_either_way_query(viewer_id=viewer_id)))


async def hidden_account_ids(session: AsyncSession, *, viewer_id: int) -> set[int]:
    """Blocked either way, plus muted by the viewer: whose posts leave the viewer's feeds."""
    query = hidden_authors_query(viewer_id=viewer_id, include_mutes=True)
    return set(await session.scalars(query))


async def block_and_mute_edges(
    session: AsyncSession, *, viewer_id: int, others: list[int]
) -> tuple[set[int], set[int], dict[int, bool]]:
    """(blocked by the viewer, blocking the viewer, {muted: notifications too}) of `others`."""
    rows = await session.execute(
        union_all(
            select(literal("block"), Block.account_id, Block.target_account_id, false()).where(
                ((Block.account_id == viewer_id) & Block.target_account_id.in_(others))
                | ((Block.target_account_id == viewer_id) & Block.account_id.in_(others))
            ),
            select(
                literal("mute"), Mute.account_id, Mute.target_account_id, Mute.hide_notifications
            ).where(
                (Mute.account_id == viewer_id) & Mute.target_account_id.in_(others) & mute_active()
            ),
        )
    )
    blocking: set[int] = set()
    blocked_by: set[int] = set()
    muting: dict[int, bool] = {}
    for kind, source, target, notifications in rows.all():
        if kind == "mute":
            muting[target] = bool(notifications)
        elif source == viewer_id:
            blocking.add(target)
        else:
            blocked_by.add(source)
    return blocking, blocked_by, muting


async def notes_on(session: AsyncSession, *, viewer_id: int, others: list[int]) -> dict[int, str]:
    """The viewer's personal notes on `others` (Relationship's `note`), by account."""
    rows = await session.execute(
        select(AccountNote.target_account_id, AccountNote.comment).where(
            (AccountNote.account_id == viewer_id) & AccountNote.target_account_id.in_(others)
        )
    )
    return {target: comment for target, comment in rows.all()}


async def endorsed_of(session: AsyncSession, *, viewer_id: int, others: list[int]) -> set[int]:
    """Which of `others` the viewer features on its profile (Relationship's `endorsed`)."""
    rows = await session.scalars(
        select(Endorsement.target_account_id).where(
            (Endorsement.account_id == viewer_id) & Endorsement.target_account_id.in_(others)
        )
    )
    return set(rows)

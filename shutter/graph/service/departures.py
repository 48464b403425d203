"""A deleted account leaves the graph: its follows both ways (the other side's counters
corrected), follow requests, blocks and mutes, in batches; its personal notes (by it and
on it) and domain blocks after them (accounts.events.AccountDeleted,
shutter/graph/jobs.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.graph.events import FollowEnded
from shutter.graph.models import (
    AccountNote,
    Block,
    DomainBlock,
    Endorsement,
    Follow,
    FollowRequest,
    Mute,
    SuggestionDismissal,
)
from shutter.graph.service import adjust_in_order
from shutter.infra.domain import publish
from shutter.infra.jobs import JobKind

# One batch of edges per run, then the next batch as a job of its own.
REMOVE_ACCOUNT = JobKind("graph.remove_account", timeout_seconds=120)
BATCH = 500


async def _follows(session: AsyncSession, *, account_id: int, limit: int) -> int:
    """Delete up to `limit` follows from or to the account; the other side's counters move."""
    rows = (
        await session.execute(
            select(Follow.id, Follow.account_id, Follow.target_account_id)
            .where((Follow.account_id == account_id) | (Follow.target_account_id == account_id))
            .limit(limit)
        )
    ).all()
    if not rows:
        return 0
    changes: dict[int, tuple[int, int]] = {}
    for _, follower_id, target_id in rows:
        if follower_id == account_id:  # it followed target: target loses a follower
            followers, following = changes.get(target_id, (0, 0))
            changes[target_id] = (followers - 1, following)
        else:  # follower followed it: follower follows one fewer
            followers, following = changes.get(follower_id, (0, 0))
            changes[follower_id] = (followers, following - 1)
    changes.pop(account_id, None)
    await session.execute(delete(Follow).where(Follow.id.in_([row[0] for row in rows])))
    await adjust_in_order(session, changes)
    for _, follower_id, target_id in rows:
        if target_id == account_id:
            # As a removed follower: the account's posts leave the follower's feed (a Redis
            # feed by a job), notifications stay (they go with the account's own removal).
            await publish(
                session,
                FollowEnded(follower_id=follower_id, target_id=target_id, by_follower=False),
            )
    return len(rows)


async def _edges(session: AsyncSession, model: Any, *, account_id: int, limit: int) -> int:
    ids = list(
        await session.scalars(
            select(model.id)
            .where((model.account_id == account_id) | (model.target_account_id == account_id))
            .limit(limit)
        )
    )
    if ids:
        await session.execute(delete(model).where(model.id.in_(ids)))
    return len(ids)


async def do_remove_account(session: AsyncSession, *, account_id: int) -> bool:
    """One batch of the account's edges; whether any are left for another batch.

    The deleted account's own counters are left as they are: it is a tombstone, shown
    nowhere. Safe to run twice (what is gone is not counted again).
    """
    if await _follows(session, account_id=account_id, limit=BATCH) == BATCH:
        return True
    for model in (FollowRequest, Block, Mute, Endorsement):
        if await _edges(session, model, account_id=account_id, limit=BATCH) == BATCH:
            return True
    # Personal notes by it or on it, and its domain blocks: one statement each.
    await session.execute(
        delete(AccountNote).where(
            (AccountNote.account_id == account_id) | (AccountNote.target_account_id == account_id)
        )
    )
    await session.execute(delete(DomainBlock).where(DomainBlock.account_id == account_id))
    await session.execute(
        delete(SuggestionDismissal).where(
            (SuggestionDismissal.account_id == account_id)
            | (SuggestionDismissal.target_account_id == account_id)
        )
    )
    return False

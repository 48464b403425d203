"""Blocks, mutes and removing a follower: the graph's safety actions.

Decision (docs/decisions/0008-blocks-and-mutes.md): a blocked account's *posts* are
invisible to the other side, so every action on them answers 404 like a post that does
not exist; the *account* stays visible (as on Mastodon, whose relationship shows
`blocked_by`), so refused account actions (follow) answer 403.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.accounts import service as accounts
from shutter.graph import service as graph
from shutter.graph.events import FollowEnded
from shutter.graph.models import Block, Follow, FollowRequest, Mute
from shutter.infra.db import insert_ignoring_conflicts, utcnow
from shutter.infra.domain import publish
from shutter.infra.errors import forbidden
from shutter.infra.ids import ids, shard_of
from shutter.infra.pagination import PageParams, paginate
from shutter.policies import mute_active


async def _target(session: AsyncSession, *, account_id: int, target_id: int, verb: str) -> int:
    target = await accounts.access_account(session, target_id)
    if target.id == account_id:
        raise forbidden(f"You cannot {verb} yourself")
    return target.id


async def _sever(session: AsyncSession, *, a: int, b: int) -> None:
    """Delete follows and follow requests between `a` and `b` both ways, with their effects."""
    changes: dict[int, tuple[int, int]] = {}
    # Both directions in one fixed order, so a block and a counter-block running at once
    # take the row locks in the same order instead of waiting on each other.
    for source, target in sorted([(a, b), (b, a)]):
        if await graph.delete_edge(session, FollowRequest, account_id=source, target_id=target):
            await graph.close_request(session, target_id=target, requester_id=source)
        if await graph.delete_edge(session, Follow, account_id=source, target_id=target):
            followers, following = changes.get(target, (0, 0))
            changes[target] = (followers - 1, following)
            followers, following = changes.get(source, (0, 0))
            changes[source] = (followers, following - 1)
        # Unconditionally: a back-fill or fan-out may have raced the follow's removal.
        await publish(session, FollowEnded(follower_id=source, target_id=target, by_follower=False))
    if changes:
        await graph.adjust_in_order(session, changes)


async def do_block(session: AsyncSession, *, account_id: int, target_id: int) -> dict[str, Any]:
    """Block `target_id`: no follows either way, no posts in each other's feeds; idempotent."""
    target = await _target(session, account_id=account_id, target_id=target_id, verb="block")
    # A follow racing this block either commits first (and is deleted below) or sees it.
    await accounts.lock_accounts(session, [account_id, target])
    row = {
        "id": ids.next_id(shard_of(account_id)),
        "account_id": account_id,
        "target_account_id": target,
        "created_at": utcnow(),
    }
    await insert_ignoring_conflicts(session, Block.__table__, [row])
    await _sever(session, a=account_id, b=target)
    return await graph.one_relationship(session, viewer_id=account_id, target_id=target)


async def do_unblock(session: AsyncSession, *, account_id: int, target_id: int) -> dict[str, Any]:
    """Lift a block (follows it removed stay removed); idempotent."""
    target = await _target(session, account_id=account_id, target_id=target_id, verb="unblock")
    await session.execute(
        delete(Block).where((Block.account_id == account_id) & (Block.target_account_id == target))
    )
    return await graph.one_relationship(session, viewer_id=account_id, target_id=target)


async def do_mute(
    session: AsyncSession,
    *,
    account_id: int,
    target_id: int,
    notifications: bool = True,
    duration: int = 0,
) -> dict[str, Any]:
    """Mute `target_id` (for `duration` seconds, 0 = until unmuted); muting again updates."""
    target = await _target(session, account_id=account_id, target_id=target_id, verb="mute")
    expires_at = utcnow() + timedelta(seconds=duration) if duration else None
    row = {
        "id": ids.next_id(shard_of(account_id)),
        "account_id": account_id,
        "target_account_id": target,
        "hide_notifications": notifications,
        "expires_at": expires_at,
        "created_at": utcnow(),
    }
    # Insert-or-keep, then set the options: safe against a concurrent mute of the same pair.
    await insert_ignoring_conflicts(session, Mute.__table__, [row])
    await session.execute(
        update(Mute)
        .where((Mute.account_id == account_id) & (Mute.target_account_id == target))
        .values(hide_notifications=notifications, expires_at=expires_at)
    )
    return await graph.one_relationship(session, viewer_id=account_id, target_id=target)


async def do_unmute(session: AsyncSession, *, account_id: int, target_id: int) -> dict[str, Any]:
    """Unmute `target_id`; their posts come back, since a mute only filtered them."""
    target = await _target(session, account_id=account_id, target_id=target_id, verb="unmute")
    await session.execute(
        delete(Mute).where((Mute.account_id == account_id) & (Mute.target_account_id == target))
    )
    return await graph.one_relationship(session, viewer_id=account_id, target_id=target)


async def do_remove_follower(
    session: AsyncSession, *, account_id: int, follower_id: int
) -> dict[str, Any]:
    """End `follower_id`'s follow of `account_id` and take my posts out of their feed."""
    follower = await _target(
        session, account_id=account_id, target_id=follower_id, verb="remove from followers"
    )
    if await graph.delete_edge(session, Follow, account_id=follower, target_id=account_id):
        await graph.adjust_in_order(session, {follower: (0, -1), account_id: (-1, 0)})
        await publish(
            session, FollowEnded(follower_id=follower, target_id=account_id, by_follower=False)
        )
    return await graph.one_relationship(session, viewer_id=account_id, target_id=follower)


async def list_blocks(
    session: AsyncSession, *, account_id: int, page: PageParams
) -> graph.AccountPage:
    """Accounts `account_id` blocks, newest block first."""
    query = select(Block.id, Block.target_account_id).where(Block.account_id == account_id)
    return await graph.account_page(session, paginate(query, Block.id, page))


async def list_mutes(
    session: AsyncSession, *, account_id: int, page: PageParams
) -> graph.AccountPage:
    """Accounts `account_id` mutes now, newest mute first (expired mutes are gone)."""
    query = select(Mute.id, Mute.target_account_id).where(
        (Mute.account_id == account_id) & mute_active()
    )
    return await graph.account_page(session, paginate(query, Mute.id, page))

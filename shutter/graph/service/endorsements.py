"""Endorsements: accounts a user features on their profile (Mastodon's account pins).

Only a followed account may be endorsed, as on Mastodon; ending the follow (an
unfollow, a block, a removed follower: `FollowEnded`) ends the endorsement too.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from shutter import policies
from shutter.accounts import service as accounts
from shutter.accounts.models import Account
from shutter.graph.models import Endorsement
from shutter.graph.service import AccountPage, account_page, is_following, one_relationship
from shutter.infra.db import insert_ignoring_conflicts, utcnow
from shutter.infra.errors import unprocessable
from shutter.infra.ids import ids, shard_of
from shutter.infra.pagination import PageParams, paginate


async def do_endorse(session: AsyncSession, *, account: Account, target_id: int) -> dict[str, Any]:
    """Feature a followed account on the profile (again is no error); the Relationship."""
    target = await accounts.access_account(session, target_id)
    if not await is_following(session, account_id=account.id, target_id=target.id):
        raise unprocessable(
            "Validation failed: You must be already following the person you want to endorse"
        )
    row = {
        "id": ids.next_id(shard_of(account.id)),
        "account_id": account.id,
        "target_account_id": target.id,
        "created_at": utcnow(),
    }
    await insert_ignoring_conflicts(session, Endorsement.__table__, [row])
    return await one_relationship(session, viewer_id=account.id, target_id=target.id)


async def do_unendorse(
    session: AsyncSession, *, account: Account, target_id: int
) -> dict[str, Any]:
    """Stop featuring an account (not featured is no error); the Relationship."""
    target = await accounts.access_account(session, target_id)
    await remove_endorsement(session, account_id=account.id, target_id=target.id)
    return await one_relationship(session, viewer_id=account.id, target_id=target.id)


async def remove_endorsement(session: AsyncSession, *, account_id: int, target_id: int) -> None:
    await session.execute(
        delete(Endorsement).where(
            (Endorsement.account_id == account_id) & (Endorsement.target_account_id == target_id)
        )
    )


async def list_endorsements(
    session: AsyncSession, *, viewer_id: int | None, account_id: int, page: PageParams
) -> AccountPage:
    """The accounts `account_id` features, newest first (without those blocked either way
    with the viewer); paged by the endorsement's id."""
    query = select(Endorsement.id, Endorsement.target_account_id).where(
        Endorsement.account_id == account_id
    )
    if viewer_id is not None and viewer_id != account_id:
        hidden = policies.blocked_either_way_query(viewer_id=viewer_id)
        query = query.where(Endorsement.target_account_id.not_in(hidden))
    return await account_page(session, paginate(query, Endorsement.id, page))

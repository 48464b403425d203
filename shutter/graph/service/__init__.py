"""The social graph: follows and follow requests, and the edge writes the safety actions
(shutter/graph/service/safety.py) share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import BindParameter, Select, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from shutter import policies
from shutter.accounts import service as accounts
from shutter.accounts.models import Account
from shutter.graph import checks
from shutter.graph.checks import blocked_either_way_ids as blocked_either_way_ids
from shutter.graph.checks import hidden_account_ids as hidden_account_ids
from shutter.graph.checks import is_blocked_either_way as is_blocked_either_way
from shutter.graph.checks import is_muting as is_muting
from shutter.graph.checks import is_muting_notifications as is_muting_notifications
from shutter.graph.events import (
    FollowEnded,
    FollowRequestClosed,
    FollowRequested,
    FollowStarted,
)
from shutter.graph.models import Follow, FollowRequest
from shutter.graph.schemas import relationship_json
from shutter.infra.db import conflict_aware_insert, utcnow
from shutter.infra.domain import publish
from shutter.infra.errors import forbidden, not_found
from shutter.infra.ids import MAX_ID, ids, shard_of
from shutter.infra.pagination import PageParams, paginate
from shutter.policies import account_shown

INSERT_BATCH = 500


@dataclass
class AccountPage:
    """A page of an account list; `cursor_ids` are the row ids the Link header pages by."""

    accounts: list[Account]
    cursor_ids: list[int]


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


def followed_query(
    *,
    account_id: int | BindParameter[int],
    more_followers_than: int | None = None,
    at_most_followers: int | None = None,
    visible_only: bool = False,
) -> Select[int]:
    """Ids of the accounts `account_id` follows, as a subquery; optionally only those with
    more (or at most) this many followers (the feed's hybrid fan-out), or only those not
    hidden from `account_id` (blocked either way, muted)."""
    query = select(Follow.target_account_id).where(Follow.account_id == account_id)
    if visible_only:
        hidden = policies.hidden_authors_query(viewer_id=account_id, include_mutes=True)
        query = query.where(Follow.target_account_id.not_in(hidden))
    if more_followers_than is not None or at_most_followers is not None:
        query = query.join(Account, Account.id == Follow.target_account_id)
        if more_followers_than is not None:
            query = query.where(Account.followers_count > more_followers_than)
        if at_most_followers is not None:
            query = query.where(Account.followers_count <= at_most_followers)
    return query


async def followed_ids(session: AsyncSession, *, account_id: int) -> list[int]:
    """Ids of the accounts `account_id` follows."""
    rows = await session.scalars(
        select(Follow.target_account_id).where(Follow.account_id == account_id)
    )
    return list(rows)


async def _may_see_lists_of(
    session: AsyncSession, *, viewer_id: int | None, author: Account
) -> bool:
    relations = await policies.load_relations(session, viewer_id=viewer_id, author_ids={author.id})
    return policies.may_see_posts_of(author, relations)


# --- relationships -------------------------------------------------------------------


async def relationship(
    session: AsyncSession, *, viewer_id: int, target_ids: list[int]
) -> list[dict[str, Any]]:
    """Relationships of the viewer with each existing target, in the order asked.

    One query per table whatever the number of ids: accounts, follows, follow requests,
    blocks with mutes.
    """
    wanted = [i for i in dict.fromkeys(target_ids) if 0 <= i <= MAX_ID]
    if not wanted:
        return []
    found = await accounts.accounts_by_ids(session, set(wanted))
    existing = [i for i in wanted if i in found and account_shown(found[i])]
    if not existing:
        return []
    out_follows, in_follows = await _edges(session, Follow, viewer_id, existing)
    out_requests, in_requests = await _edges(session, FollowRequest, viewer_id, existing)
    blocking, blocked_by, muting = await checks.block_and_mute_edges(
        session, viewer_id=viewer_id, others=existing
    )
    endorsed = await checks.endorsed_of(session, viewer_id=viewer_id, others=existing)
    notes = await checks.notes_on(session, viewer_id=viewer_id, others=existing)
    return [
        relationship_json(
            target,
            following=target in out_follows,
            followed_by=target in in_follows,
            requested=target in out_requests,
            requested_by=target in in_requests,
            blocking=target in blocking,
            blocked_by=target in blocked_by,
            muting=target in muting,
            muting_notifications=muting.get(target, False),
            endorsed=target in endorsed,
            note=notes.get(target, ""),
        )
        for target in existing
    ]


async def _edges(
    session: AsyncSession,
    model: type[Follow] | type[FollowRequest],
    viewer_id: int,
    others: list[int],
) -> tuple[set[int], set[int]]:
    """(others the viewer points at, others pointing at the viewer) in one query."""
    rows = await session.execute(
        select(model.account_id, model.target_account_id).where(
            ((model.account_id == viewer_id) & model.target_account_id.in_(others))
            | ((model.target_account_id == viewer_id) & model.account_id.in_(others))
        )
    )
    outgoing: set[int] = set()
    incoming: set[int] = set()
    for source, target in rows.all():
        if source == viewer_id:
            outgoing.add(target)
        if target == viewer_id:
            incoming.add(source)
    return outgoing, incoming


async def one_relationship(
    session: AsyncSession, *, viewer_id: int, target_id: int
) -> dict[str, Any]:
    return (await relationship(session, viewer_id=viewer_id, target_ids=[target_id]))[0]


# --- follow and unfollow -------------------------------------------------------------


async def _insert_edges(
    session: AsyncSession,
    model: type[Follow] | type[FollowRequest],
    pairs: list[tuple[int, int]],
) -> list[tuple[int, int]]:
    """Insert (account_id, target_account_id) rows; returns the pairs that were new.

    ON CONFLICT DO NOTHING lets the unique (account_id, target_account_id) constraint
    settle races: of two concurrent follows only one inserts and returns its row, so the
    counters move once (PostgreSQL makes the second wait for the first to commit).
    """
    created: list[tuple[int, int]] = []
    # Batches keep each statement under SQLite's limit of bound parameters.
    for start in range(0, len(pairs), INSERT_BATCH):
        created += await _insert_batch(session, model, pairs[start : start + INSERT_BATCH])
    return created


async def _insert_batch(
    session: AsyncSession,
    model: type[Follow] | type[FollowRequest],
    pairs: list[tuple[int, int]],
) -> list[tuple[int, int]]:
    now = utcnow()
    rows = [
        {
            # Sharded by the follower: their follows live with the rest of their data.
            "id": ids.next_id(shard_of(account_id)),
            "account_id": account_id,
            "target_account_id": target_id,
            "created_at": now,
        }
        for account_id, target_id in pairs
    ]
    statement = (
        conflict_aware_insert(session, model)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["account_id", "target_account_id"])
        .returning(model.account_id, model.target_account_id)
    )
    result = await session.execute(statement)
    return [(source, target) for source, target in result.all()]


async def delete_edge(
    session: AsyncSession,
    model: type[Follow] | type[FollowRequest],
    *,
    account_id: int,
    target_id: int,
) -> bool:
    """Delete one edge; True if it existed (so only one of two racing deletes counts)."""
    result = await session.execute(
        delete(model)
        .where((model.account_id == account_id) & (model.target_account_id == target_id))
        .returning(model.id)
    )
    return result.first() is not None


async def _count_follow(
    session: AsyncSession, *, follower_id: int, target_id: int, delta: int
) -> None:
    """Move the follower's following and the target's followers counters by `delta`."""
    await adjust_in_order(session, {follower_id: (0, delta), target_id: (delta, 0)})


async def adjust_in_order(session: AsyncSession, changes: dict[int, tuple[int, int]]) -> None:
    """Apply {account id: (followers delta, following delta)} in ascending id order."""
    # Same lock order in every transaction: two accounts following each other at the same
    # moment would otherwise each hold one row and wait for the other's (a deadlock).
    for account_id in sorted(changes):
        followers, following = changes[account_id]
        await accounts.adjust_counts(session, account_id, followers=followers, following=following)


async def _start_following(session: AsyncSession, *, follower_id: int, target_id: int) -> None:
    """Create the follow if it is new: counters, and a back-fill of the follower's feed."""
    created = await _insert_edges(session, Follow, [(follower_id, target_id)])
    if created:
        await _count_follow(session, follower_id=follower_id, target_id=target_id, delta=1)
        await publish(session, FollowStarted(follower_id=follower_id, target_id=target_id))


def _refuse_self(follower_id: int, target_id: int) -> None:
    if follower_id == target_id:
        raise forbidden("You cannot follow or unfollow yourself")


async def do_follow(session: AsyncSession, *, follower_id: int, target_id: int) -> dict[str, Any]:
    """Follow `target_id`, or ask to if it is locked; idempotent; returns the Relationship."""
    target = await accounts.access_account(session, target_id)
    _refuse_self(follower_id, target.id)
    await accounts.lock_accounts(session, [follower_id, target.id])
    if await is_blocked_either_way(session, a=follower_id, b=target.id):
        # The account stays visible (as on Mastodon), so this is a refusal, not a 404.
        raise forbidden("You cannot follow this account")
    if not await is_following(session, account_id=follower_id, target_id=target.id):
        if target.locked:
            if await _insert_edges(session, FollowRequest, [(follower_id, target.id)]):
                await publish(
                    session, FollowRequested(requester_id=follower_id, target_id=target.id)
                )
        else:
            await _start_following(session, follower_id=follower_id, target_id=target.id)
            # A request left from when the account was locked is answered by this follow.
            if await delete_edge(
                session, FollowRequest, account_id=follower_id, target_id=target.id
            ):
                await close_request(session, target_id=target.id, requester_id=follower_id)
    return await one_relationship(session, viewer_id=follower_id, target_id=target.id)


async def do_unfollow(session: AsyncSession, *, follower_id: int, target_id: int) -> dict[str, Any]:
    """Stop following `target_id` (or withdraw the request); returns the Relationship."""
    target = await accounts.access_account(session, target_id)
    _refuse_self(follower_id, target.id)
    if await delete_edge(session, FollowRequest, account_id=follower_id, target_id=target.id):
        await close_request(session, target_id=target.id, requester_id=follower_id)
    if await delete_edge(session, Follow, account_id=follower_id, target_id=target.id):
        await _count_follow(session, follower_id=follower_id, target_id=target.id, delta=-1)
        await publish(
            session, FollowEnded(follower_id=follower_id, target_id=target.id, by_follower=True)
        )
    return await one_relationship(session, viewer_id=follower_id, target_id=target.id)


# --- follow requests -----------------------------------------------------------------


async def _take_request(session: AsyncSession, *, target_id: int, requester_id: int) -> Account:
    """Delete the pending request of `requester_id`; 404 if there is none."""
    requester = await accounts.access_account(session, requester_id)
    if not await delete_edge(session, FollowRequest, account_id=requester.id, target_id=target_id):
        raise not_found("Follow request")
    await close_request(session, target_id=target_id, requester_id=requester.id)
    return requester


async def close_request(session: AsyncSession, *, target_id: int, requester_id: int) -> None:
    """An answered or cancelled request no longer asks anything of the target."""
    await publish(session, FollowRequestClosed(requester_id=requester_id, target_id=target_id))


async def do_authorize_request(
    session: AsyncSession, *, target_id: int, requester_id: int
) -> dict[str, Any]:
    """Turn `requester_id`'s pending request into a follow; returns the Relationship."""
    requester = await _take_request(session, target_id=target_id, requester_id=requester_id)
    await _start_following(session, follower_id=requester.id, target_id=target_id)
    return await one_relationship(session, viewer_id=target_id, target_id=requester.id)


async def do_reject_request(
    session: AsyncSession, *, target_id: int, requester_id: int
) -> dict[str, Any]:
    """Drop `requester_id`'s pending request; returns the Relationship."""
    requester = await _take_request(session, target_id=target_id, requester_id=requester_id)
    return await one_relationship(session, viewer_id=target_id, target_id=requester.id)


async def do_approve_all_requests(session: AsyncSession, *, target_id: int) -> int:
    """Authorize every pending request of `target_id` (it went public); returns how many."""
    result = await session.execute(
        delete(FollowRequest)
        .where(FollowRequest.target_account_id == target_id)
        .returning(FollowRequest.account_id)
    )
    requesters = sorted(set(result.scalars().all()))
    created = await _insert_edges(session, Follow, [(r, target_id) for r in requesters])
    if not created:
        return 0
    new_followers = sorted(source for source, _ in created)
    changes = {follower_id: (0, 1) for follower_id in new_followers}
    changes[target_id] = (len(new_followers), 0)
    await adjust_in_order(session, changes)
    for follower_id in new_followers:
        await close_request(session, target_id=target_id, requester_id=follower_id)
        await publish(session, FollowStarted(follower_id=follower_id, target_id=target_id))
    return len(new_followers)


async def pending_requests(
    session: AsyncSession, *, target_id: int, page: PageParams
) -> AccountPage:
    """Accounts asking to follow `target_id`, newest request first."""
    query = select(FollowRequest.id, FollowRequest.account_id).where(
        FollowRequest.target_account_id == target_id
    )
    return await account_page(session, paginate(query, FollowRequest.id, page))


# --- follower and following lists ----------------------------------------------------


async def list_followers(
    session: AsyncSession, *, viewer_id: int | None, account_id: int, page: PageParams
) -> AccountPage:
    """Who follows `account_id`, newest follow first; empty for a locked account's strangers."""
    account = await accounts.access_account(session, account_id)
    if not await _may_see_lists_of(session, viewer_id=viewer_id, author=account):
        return AccountPage(accounts=[], cursor_ids=[])
    query = select(Follow.id, Follow.account_id).where(Follow.target_account_id == account.id)
    if viewer_id is not None:
        query = query.where(
            Follow.account_id.not_in(policies.blocked_either_way_query(viewer_id=viewer_id))
        )
    return await account_page(session, paginate(query, Follow.id, page))


async def list_following(
    session: AsyncSession, *, viewer_id: int | None, account_id: int, page: PageParams
) -> AccountPage:
    """Whom `account_id` follows, newest follow first; empty for a locked account's strangers."""
    account = await accounts.access_account(session, account_id)
    if not await _may_see_lists_of(session, viewer_id=viewer_id, author=account):
        return AccountPage(accounts=[], cursor_ids=[])
    query = select(Follow.id, Follow.target_account_id).where(Follow.account_id == account.id)
    if viewer_id is not None:
        query = query.where(
            Follow.target_account_id.not_in(policies.blocked_either_way_query(viewer_id=viewer_id))
        )
    return await account_page(session, paginate(query, Follow.id, page))


async def account_page(session: AsyncSession, query: Select[int, int]) -> AccountPage:
    """Run a (row id, account id) page query, then load its accounts in one more query."""
    result = await session.execute(query)
    rows: list[tuple[int, int]] = sorted(
        ((row_id, account_id) for row_id, account_id in result.all()), reverse=True
    )  # newest first, whichever direction the page was fetched in
    found = await accounts.accounts_by_ids(session, {account_id for _, account_id in rows})
    listed = [
        found[account_id]
        for _, account_id in rows
        if account_id in found and account_shown(found[account_id])
    ]
    # The cursor covers hidden rows too, so the next page starts after them.
    return AccountPage(accounts=listed, cursor_ids=[row_id for row_id, _ in rows])

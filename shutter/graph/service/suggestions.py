"""Whom to follow (Mastodon's suggestions) and the profile directory, from the real graph.

Suggestions come first from friends of friends (accounts followed by the accounts the
viewer follows, ranked by how many of them follow each), then from the instance's most
followed accounts, and for the website then from the accounts that posted lately: on a
new instance nobody follows anybody yet, and the first people need to find each other.
Never the viewer, anyone they follow or asked to follow, blocked
either way, muted, dismissed for good, or not listed in public places (policies).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, UnaryExpression, func, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from shutter import policies
from shutter.accounts import service as accounts
from shutter.accounts.models import Account
from shutter.graph.models import Follow, FollowRequest, SuggestionDismissal
from shutter.infra.db import insert_ignoring_conflicts, utcnow

FRIENDS_OF_FRIENDS = "friends_of_friends"
MOST_FOLLOWED = "most_followed"
RECENTLY_ACTIVE = "recently_active"
FRIENDS_SAMPLE = 200


@dataclass(frozen=True)
class Suggestion:
    account: Account
    sources: list[str]


def _excluded(viewer_id: int) -> Select[tuple[int]]:
    """Accounts never suggested to the viewer (a subquery of ids)."""
    return (
        union_all(
            select(Follow.target_account_id).where(Follow.account_id == viewer_id),
            select(FollowRequest.target_account_id).where(FollowRequest.account_id == viewer_id),
            select(SuggestionDismissal.target_account_id).where(
                SuggestionDismissal.account_id == viewer_id
            ),
            policies.hidden_authors_query(viewer_id=viewer_id, include_mutes=True),
        )
        .subquery()
        .select()
    )


def _listed() -> Select[int]:
    """Accounts that may show in public places to someone who does not follow them."""
    return select(Account.id).where(policies.account_shown_sql() & Account.silenced_at.is_(None))


@dataclass
class _Fill:
    """Listed accounts, not yet picked nor excluded, up to the limit in all."""

    session: AsyncSession
    viewer_id: int
    excluded: Select[tuple[int]]
    picked: list[int]
    limit: int

    async def by(self, having: ColumnElement[bool], order: UnaryExpression[Any]) -> list[int]:
        room = self.limit - len(self.picked)
        if room <= 0:
            return []
        found = list(
            await self.session.scalars(
                select(Account.id)
                .where(
                    Account.id.in_(_listed())
                    & (Account.id != self.viewer_id)
                    & Account.id.not_in(self.excluded)
                    & having
                    & Account.id.not_in(self.picked)
                )
                .order_by(order, Account.id.desc())
                .limit(room)
            )
        )
        self.picked = self.picked + found
        return found


async def suggestions(
    session: AsyncSession, *, viewer_id: int, limit: int, include_active: bool = False
) -> list[Suggestion]:
    """Whom the viewer might follow, best first; `include_active` fills up with accounts
    that posted lately (the website; Mastodon's API has no such source)."""
    excluded = _excluded(viewer_id)
    # The viewer's most recent follows only: each brings all its own follows into the
    # count, and a few hundred say enough about whom the viewer is after.
    followed = (
        select(Follow.target_account_id)
        .where(Follow.account_id == viewer_id)
        .order_by(Follow.id.desc())
        .limit(FRIENDS_SAMPLE)
        .scalar_subquery()
    )
    mutual = func.count()
    friends = list(
        await session.scalars(
            select(Follow.target_account_id)
            .where(
                Follow.account_id.in_(followed)
                & (Follow.target_account_id != viewer_id)
                & Follow.target_account_id.not_in(excluded)
                & Follow.target_account_id.in_(_listed())
            )
            .group_by(Follow.target_account_id)
            .order_by(mutual.desc(), Follow.target_account_id.desc())
            .limit(limit)
        )
    )
    # Then accounts ranked on their own, each source filling what the ones before left.
    fill = _Fill(session, viewer_id, excluded, picked=friends, limit=limit)
    popular = await fill.by(Account.followers_count > 0, Account.followers_count.desc())
    active: list[int] = []
    if include_active:
        active = await fill.by(Account.last_status_at.is_not(None), Account.last_status_at.desc())
    found = await accounts.accounts_by_ids(session, {*friends, *popular, *active})
    picked = [
        *((i, FRIENDS_OF_FRIENDS) for i in friends),
        *((i, MOST_FOLLOWED) for i in popular),
        *((i, RECENTLY_ACTIVE) for i in active),
    ]
    return [Suggestion(found[i], [source]) for i, source in picked if i in found]


async def do_dismiss(session: AsyncSession, *, viewer_id: int, target_id: int) -> None:
    """Never suggest this account again (again is no error); 404 for an unknown account."""
    target = await accounts.access_account(session, target_id)
    row = {"account_id": viewer_id, "target_account_id": target.id, "created_at": utcnow()}
    await insert_ignoring_conflicts(session, SuggestionDismissal.__table__, [row])


async def directory(
    session: AsyncSession,
    *,
    viewer_id: int | None,
    order: Literal["active", "new"],
    offset: int,
    limit: int,
) -> list[Account]:
    """Mastodon's profile directory: listed accounts (every account is discoverable here),
    by their last post (`active`) or newest first (`new`), without those blocked either
    way with the viewer or muted by them."""
    query = select(Account).where(Account.id.in_(_listed()))
    if viewer_id is not None:
        hidden = policies.hidden_authors_query(viewer_id=viewer_id, include_mutes=True)
        query = query.where(Account.id.not_in(hidden))
    if order == "active":
        query = query.order_by(Account.last_status_at.desc().nulls_last(), Account.id.desc())
    else:
        query = query.order_by(Account.id.desc())
    return list(await session.scalars(query.offset(offset).limit(limit)))

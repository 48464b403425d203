"""Exclusive lists (Mastodon 4.2): the members of an account's exclusive lists stay out
of its home feed. Read-only queries over the lists' tables (docs/decisions/0018-lists.md).

The home read filters by them (so joining, leaving or deleting a list, or switching its
exclusivity, shows at once, pulled authors included); fan-out and rebuilds skip them too
so a feed's window is not filled with entries the read would hide.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.lists.models import List, ListAccount


def excluded_authors_query(*, account_id: Any) -> Select[int]:
    """Ids of the accounts in `account_id`'s exclusive lists (a value or a bind parameter)."""
    return (
        select(ListAccount.account_id)
        .join(List, List.id == ListAccount.list_id)
        .where((List.account_id == account_id) & List.exclusive.is_(True))
    )


async def excluding(session: AsyncSession, *, author_id: int, account_ids: list[int]) -> set[int]:
    """Which of `account_ids` keep `author_id` out of their home feed."""
    if not account_ids:
        return set()
    rows = await session.scalars(
        select(List.account_id)
        .join(ListAccount, ListAccount.list_id == List.id)
        .where(
            (ListAccount.account_id == author_id)
            & List.exclusive.is_(True)
            & List.account_id.in_(account_ids)
        )
    )
    return set(rows)


async def is_excluded(session: AsyncSession, *, account_id: int, author_id: int) -> bool:
    return bool(await excluding(session, author_id=author_id, account_ids=[account_id]))

"""Lists: an account's named groups of the accounts it follows (Mastodon's lists).

Only followed accounts may be members (Mastodon answers 422 otherwise); an unfollow or a
block takes the account out of the follower's lists, an account's deletion takes its
lists and memberships (shutter/lists/jobs.py). An exclusive list keeps its members out
of its owner's home feed: the feed filters by the lists' table when read, and this
service tells the feed when a member joins or leaves one, so entries already stored go
(a member joins) or come back (a member leaves) as after an unfollow or a follow
(docs/decisions/0018-lists.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shutter import policies
from shutter.accounts.models import Account
from shutter.feed import service as feed
from shutter.graph.models import Follow
from shutter.infra.db import insert_ignoring_conflicts
from shutter.infra.errors import not_found, unprocessable
from shutter.infra.ids import ids, shard_of
from shutter.infra.pagination import PageParams, paginate
from shutter.lists.models import REPLIES_POLICIES, List, ListAccount

# Mastodon's limit of lists per account.
MAX_LISTS = 50
# Mastodon has none; a list's timeline is read by query over its members' posts, so it
# is bounded here (docs/decisions/0018-lists.md).
MAX_MEMBERS = 1000
MAX_TITLE = 255
# A deleted account's memberships in others' lists, removed per job run.
REMOVE_BATCH = 1000


def list_json(item: List) -> dict[str, Any]:
    return {
        "id": str(item.id),
        "title": item.title,
        "replies_policy": item.replies_policy,
        "exclusive": item.exclusive,
    }


@dataclass
class MemberPage:
    """A page of a list's members; `cursor_ids` are their account ids, which Mastodon
    pages a list's members by."""

    accounts: list[Account]
    cursor_ids: list[int]


def _title(title: str) -> str:
    clean = title.strip()
    if not clean:
        raise unprocessable("Title can't be blank", field="title")
    if len(clean) > MAX_TITLE:
        raise unprocessable(f"Title is too long (maximum is {MAX_TITLE} characters)", field="title")
    return clean


def _policy(policy: str) -> str:
    if policy not in REPLIES_POLICIES:
        raise unprocessable("Replies policy is not included in the list", field="replies_policy")
    return policy


async def owned_list(session: AsyncSession, *, owner_id: int, list_id: int) -> List:
    """The owner's list, or 404 (someone else's list is not found, as on Mastodon)."""
    found = await session.get(List, list_id)
    if found is None or found.account_id != owner_id:
        raise not_found("Record")
    return found


async def lists_of(session: AsyncSession, *, owner_id: int) -> list[List]:
    rows = await session.scalars(select(List).where(List.account_id == owner_id).order_by(List.id))
    return list(rows)


async def lists_containing(session: AsyncSession, *, owner_id: int, account_id: int) -> list[List]:
    """The owner's lists `account_id` is a member of."""
    rows = await session.scalars(
        select(List)
        .join(ListAccount, ListAccount.list_id == List.id)
        .where((List.account_id == owner_id) & (ListAccount.account_id == account_id))
        .order_by(List.id)
    )
    return list(rows)


async def do_create_list(
    session: AsyncSession, *, owner_id: int, title: str, replies_policy: str, exclusive: bool
) -> List:
    clean, policy = _title(title), _policy(replies_policy)
    count = await session.scalar(select(func.count(List.id)).where(List.account_id == owner_id))
    if (count or 0) >= MAX_LISTS:
        raise unprocessable(f"You cannot have more than {MAX_LISTS} lists")
    created = List(
        id=ids.next_id(shard_of(owner_id)),
        account_id=owner_id,
        title=clean,
        replies_policy=policy,
        exclusive=exclusive,
    )
    session.add(created)
    await session.flush()
    return created


async def do_update_list(
    session: AsyncSession,
    *,
    owner_id: int,
    list_id: int,
    title: str | None,
    replies_policy: str | None,
    exclusive: bool | None,
) -> List:
    """Change what was given; the rest stays (Mastodon's PUT takes any subset)."""
    found = await owned_list(session, owner_id=owner_id, list_id=list_id)
    clean = _title(title) if title is not None else found.title
    policy = _policy(replies_policy) if replies_policy is not None else found.replies_policy
    if exclusive is not None and exclusive != found.exclusive:
        members = await _member_ids(session, list_id=found.id)
        found.exclusive = exclusive
        await session.flush()  # the feed's checks below read the new value
        await _exclusivity_changed(session, owner_id=owner_id, member_ids=members, joined=exclusive)
    found.title, found.replies_policy = clean, policy
    await session.flush()
    return found


async def do_delete_list(session: AsyncSession, *, owner_id: int, list_id: int) -> None:
    found = await owned_list(session, owner_id=owner_id, list_id=list_id)
    members = await _member_ids(session, list_id=found.id) if found.exclusive else []
    await session.execute(delete(ListAccount).where(ListAccount.list_id == found.id))
    await session.execute(delete(List).where(List.id == found.id))
    await _exclusivity_changed(session, owner_id=owner_id, member_ids=members, joined=False)


async def members_page(
    session: AsyncSession, *, owner_id: int, list_id: int, page: PageParams | None
) -> MemberPage:
    """A page of the list's members by account id, highest first (as Mastodon pages
    them); every member when `page` is None (Mastodon's `limit=0`)."""
    found = await owned_list(session, owner_id=owner_id, list_id=list_id)
    query = (
        select(Account, ListAccount.account_id)
        .join(ListAccount, ListAccount.account_id == Account.id)
        .where((ListAccount.list_id == found.id) & policies.account_shown_sql())
    )
    if page is None:
        rows = (await session.execute(query.order_by(ListAccount.account_id.desc()))).all()
    else:
        rows = list((await session.execute(paginate(query, ListAccount.account_id, page))).all())
        if page.min_id is not None:
            rows.reverse()
    return MemberPage([row[0] for row in rows], [row[1] for row in rows])


async def do_add_members(
    session: AsyncSession, *, owner_id: int, list_id: int, account_ids: list[int]
) -> None:
    """Add followed accounts, all or none: an unknown account is a 404, one not followed or
    already a member a 422 (Mastodon's answers)."""
    found = await owned_list(session, owner_id=owner_id, list_id=list_id)
    wanted = list(dict.fromkeys(account_ids))
    if not wanted:
        return
    shown = set(
        await session.scalars(
            select(Account.id).where(Account.id.in_(wanted) & policies.account_shown_sql())
        )
    )
    if any(account_id not in shown for account_id in wanted):
        raise not_found("Record")
    followed = set(
        await session.scalars(
            select(Follow.target_account_id).where(
                (Follow.account_id == owner_id) & Follow.target_account_id.in_(wanted)
            )
        )
    )
    if any(account_id not in followed for account_id in wanted):
        raise unprocessable("Account is not followed", field="account_ids")
    present = set(await _member_ids(session, list_id=found.id))
    if present & set(wanted):
        raise unprocessable("Account has already been taken", field="account_ids")
    if len(present) + len(wanted) > MAX_MEMBERS:
        raise unprocessable(f"A list has at most {MAX_MEMBERS} accounts", field="account_ids")
    rows = [
        {"id": ids.next_id(shard_of(owner_id)), "list_id": found.id, "account_id": account_id}
        for account_id in wanted
    ]
    # A concurrent add of the same account is skipped rather than a conflict's error.
    await insert_ignoring_conflicts(session, ListAccount.__table__, rows)
    if found.exclusive:
        await _exclusivity_changed(session, owner_id=owner_id, member_ids=wanted, joined=True)


async def do_remove_members(
    session: AsyncSession, *, owner_id: int, list_id: int, account_ids: list[int]
) -> None:
    """Take accounts out of the list; ids that are not members are ignored (Mastodon)."""
    found = await owned_list(session, owner_id=owner_id, list_id=list_id)
    if not account_ids:
        return
    removed = list(
        await session.scalars(
            delete(ListAccount)
            .where((ListAccount.list_id == found.id) & ListAccount.account_id.in_(account_ids))
            .returning(ListAccount.account_id)
        )
    )
    if found.exclusive:
        await _exclusivity_changed(session, owner_id=owner_id, member_ids=removed, joined=False)


async def remove_from_owner_lists(session: AsyncSession, *, owner_id: int, account_id: int) -> None:
    """After `owner_id` stopped following `account_id` (an unfollow, a block either way,
    a removed follower): out of all the owner's lists, as Mastodon's unfollow does."""
    await session.execute(
        delete(ListAccount).where(
            (ListAccount.account_id == account_id)
            & ListAccount.list_id.in_(select(List.id).where(List.account_id == owner_id))
        )
    )


async def do_remove_account(session: AsyncSession, *, account_id: int) -> bool:
    """One batch of a deleted account's lists and memberships; whether more remain.

    Its own lists go whole (at most MAX_LISTS, each of at most MAX_MEMBERS members); its
    memberships in others' lists in batches. No feed work: its feed is dropped, and its
    posts leave every feed with it.
    """
    own = select(List.id).where(List.account_id == account_id)
    await session.execute(delete(ListAccount).where(ListAccount.list_id.in_(own)))
    await session.execute(delete(List).where(List.account_id == account_id))
    batch = list(
        await session.scalars(
            select(ListAccount.id).where(ListAccount.account_id == account_id).limit(REMOVE_BATCH)
        )
    )
    if batch:
        await session.execute(delete(ListAccount).where(ListAccount.id.in_(batch)))
    return len(batch) == REMOVE_BATCH


async def _member_ids(session: AsyncSession, *, list_id: int) -> list[int]:
    rows = await session.scalars(
        select(ListAccount.account_id).where(ListAccount.list_id == list_id)
    )
    return list(rows)


async def _exclusivity_changed(
    session: AsyncSession, *, owner_id: int, member_ids: list[int], joined: bool
) -> None:
    """Members who joined an exclusive list leave the owner's home feed (its stored
    entries, as after an unfollow); members who left one get their recent posts back (a
    back-fill, as after a follow), which the feed's job skips while another exclusive
    list of the owner still holds them. Reads filter by the lists meanwhile."""
    for member_id in member_ids:
        if joined:
            await feed.remove_author_from_feed(session, account_id=owner_id, author_id=member_id)
        else:
            feed.enqueue_backfill(session, account_id=owner_id, author_id=member_id)


def list_channel(list_id: int) -> str:
    """A list's `list` stream: its members' new posts and their deletions."""
    return f"list:{list_id}"


async def lists_with_member(session: AsyncSession, *, account_id: int) -> list[List]:
    """Every list `account_id` is a member of, whoever owns it (a new post's streams)."""
    rows = await session.scalars(
        select(List)
        .join(ListAccount, ListAccount.list_id == List.id)
        .where(ListAccount.account_id == account_id)
    )
    return list(rows)


# --- archives (shutter/archive: Mastodon's `lists.csv`) ---------------------------------


async def memberships(session: AsyncSession, *, owner_id: int) -> list[tuple[str, str]]:
    """(list title, member's username) of every member of the owner's lists, shown
    accounts only, list by list: the rows of Mastodon's `lists.csv`."""
    rows = await session.execute(
        select(List.title, Account.username)
        .join(ListAccount, ListAccount.list_id == List.id)
        .join(Account, Account.id == ListAccount.account_id)
        .where((List.account_id == owner_id) & policies.account_shown_sql())
        .order_by(List.id, ListAccount.id)
    )
    return [(title, username) for title, username in rows.all()]


async def do_add_to_titled_list(
    session: AsyncSession, *, owner_id: int, title: str, account_id: int
) -> bool:
    """An imported row: the account into the owner's list of that title, made if missing
    (the other settings Mastodon's defaults, and made even when the account cannot join,
    as Mastodon makes every list an import names). False, adding no one, for an account
    the owner does not follow; a member already is left as is, so a row applied twice
    changes nothing; a bad title or one list too many is `do_create_list`'s 422."""
    clean = _title(title)
    found = await session.scalar(
        select(List).where((List.account_id == owner_id) & (List.title == clean)).limit(1)
    )
    if found is None:
        found = await do_create_list(
            session, owner_id=owner_id, title=clean, replies_policy="list", exclusive=False
        )
    followed = await session.scalar(
        select(Follow.id).where(
            (Follow.account_id == owner_id) & (Follow.target_account_id == account_id)
        )
    )
    if followed is None:
        return False
    if account_id not in await _member_ids(session, list_id=found.id):
        await do_add_members(session, owner_id=owner_id, list_id=found.id, account_ids=[account_id])
    return True


async def do_keep_only(session: AsyncSession, *, owner_id: int, keep: dict[str, set[int]]) -> None:
    """An overwriting import, before its rows: the owner's lists whose titles it does not
    name go, and the named ones lose the members it does not list under them (as
    Mastodon's, which empties them and adds the rows back)."""
    for found in await lists_of(session, owner_id=owner_id):
        if found.title not in keep:
            await do_delete_list(session, owner_id=owner_id, list_id=found.id)
            continue
        members = await _member_ids(session, list_id=found.id)
        gone = [m for m in members if m not in keep[found.title]]
        if gone:
            await do_remove_members(session, owner_id=owner_id, list_id=found.id, account_ids=gone)

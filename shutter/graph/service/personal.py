"""An account's personal records about others — notes on accounts (Relationship's
`note`), blocked domains — and the followers it shares with others (familiar followers).

Shutter does not federate, so every account is on this instance's domain and a domain
block hides nobody; Mastodon keeps and lists the blocks all the same, and so does
Shutter, so a client that shows or edits the list works. A domain is normalised as
Mastodon does (lowercase, internationalised names in their ASCII form) and checked to be
a host name; anything else is a 422.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from shutter import policies
from shutter.accounts import service as accounts
from shutter.accounts.models import Account
from shutter.graph import service as graph
from shutter.graph.models import AccountNote, DomainBlock, Follow
from shutter.infra.db import conflict_aware_insert, utcnow
from shutter.infra.errors import unprocessable
from shutter.infra.ids import MAX_ID, ids, shard_of
from shutter.infra.pagination import PageParams, paginate

MAX_NOTE_CHARS = 2000
MAX_DOMAIN_CHARS = 253
_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")


async def do_set_note(
    session: AsyncSession, *, account_id: int, target_id: int, comment: str
) -> dict[str, Any]:
    """Keep `comment` as the account's note on the target (an empty one removes it)."""
    target = await accounts.access_account(session, target_id)
    if len(comment) > MAX_NOTE_CHARS:
        raise unprocessable(
            f"Comment is too long (maximum is {MAX_NOTE_CHARS} characters)", field="comment"
        )
    where = (AccountNote.account_id == account_id) & (AccountNote.target_account_id == target.id)
    if not comment:
        await session.execute(delete(AccountNote).where(where))
    else:
        values = {"comment": comment, "updated_at": utcnow()}
        await session.execute(
            conflict_aware_insert(session, AccountNote)
            .values(account_id=account_id, target_account_id=target.id, **values)
            .on_conflict_do_update(index_elements=["account_id", "target_account_id"], set_=values)
        )
    return await graph.one_relationship(session, viewer_id=account_id, target_id=target.id)


def normalize_domain(raw: str) -> str:
    """The domain as Mastodon keeps it, or a 422: a host name, lowercase, in ASCII."""
    text = raw.strip().rstrip(".")
    if "://" in text:  # a pasted address: its host (Mastodon takes the host of a URL)
        text = text.split("://", 1)[1].split("/", 1)[0]
    try:
        ascii_name = text.encode("idna").decode("ascii").lower()
    except UnicodeError:
        ascii_name = ""
    labels = ascii_name.split(".")
    if (
        not ascii_name
        or len(ascii_name) > MAX_DOMAIN_CHARS
        or not all(_LABEL.fullmatch(label) for label in labels)
    ):
        raise unprocessable("Domain is not a valid domain name", field="domain")
    return ascii_name


async def do_block_domain(session: AsyncSession, *, account_id: int, domain: str) -> None:
    """Block a domain; blocking it twice keeps one block."""
    await session.execute(
        conflict_aware_insert(session, DomainBlock)
        .values(
            id=ids.next_id(shard_of(account_id)),
            account_id=account_id,
            domain=normalize_domain(domain),
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["account_id", "domain"])
    )


async def do_unblock_domain(session: AsyncSession, *, account_id: int, domain: str) -> None:
    """Unblock a domain (nothing happens if it was not blocked)."""
    await session.execute(
        delete(DomainBlock).where(
            (DomainBlock.account_id == account_id)
            & (DomainBlock.domain == normalize_domain(domain))
        )
    )


async def list_domain_blocks(
    session: AsyncSession, *, account_id: int, page: PageParams
) -> tuple[list[str], list[int]]:
    """The account's blocked domains, newest block first, and their row ids (the cursors)."""
    query = select(DomainBlock.id, DomainBlock.domain).where(DomainBlock.account_id == account_id)
    rows = sorted((await session.execute(paginate(query, DomainBlock.id, page))).all())
    rows.reverse()
    return [domain for _, domain in rows], [row_id for row_id, _ in rows]


async def familiar_followers(
    session: AsyncSession, *, viewer_id: int, target_ids: list[int]
) -> list[tuple[int, list[Account]]]:
    """For each existing target, in the order asked: the accounts the viewer follows that
    follow it. Left empty where the viewer may not see the target's followers (a private
    account the viewer does not follow); accounts blocked either way never show."""
    wanted = [i for i in dict.fromkeys(target_ids) if 0 <= i <= MAX_ID]
    targets = await accounts.accounts_by_ids(session, set(wanted))
    existing = [i for i in wanted if i in targets and policies.account_shown(targets[i])]
    if not existing:
        return []
    relations = await policies.load_relations(
        session, viewer_id=viewer_id, author_ids=set(existing)
    )
    open_lists = [i for i in existing if policies.may_see_posts_of(targets[i], relations)]
    followed = select(Follow.target_account_id).where(Follow.account_id == viewer_id)
    rows = (
        await session.execute(
            select(Follow.target_account_id, Follow.account_id)
            .where(
                Follow.target_account_id.in_(open_lists)
                & Follow.account_id.in_(followed)
                & Follow.account_id.not_in(policies.blocked_either_way_query(viewer_id=viewer_id))
            )
            .order_by(Follow.id.desc())
        )
        if open_lists
        else None
    )
    pairs = rows.all() if rows is not None else []
    people = await accounts.accounts_by_ids(session, {follower for _, follower in pairs})
    found: dict[int, list[Account]] = {target: [] for target in existing}
    for target, follower in pairs:
        if follower in people and policies.account_shown(people[follower]):
            found[target].append(people[follower])
    return list(found.items())

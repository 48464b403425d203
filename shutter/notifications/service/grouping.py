"""Grouped notifications (Mastodon 4.3's /api/v2/notifications): one entry per group_key.

A page is a page of groups, ordered by the newest notification of each group inside the
page's bounds; each group then reports its totals over all time (count, most recent id,
the latest few senders). Four queries per page whatever its size: the groups, their
totals, their sample senders, their most recent notifications.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import String, case, cast, delete, false, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.infra.errors import not_found
from shutter.infra.ids import parse_id
from shutter.infra.pagination import PageParams, paginate
from shutter.notifications.models import Notification
from shutter.notifications.service import Filters, visible_query
from shutter.notifications.service.markers import last_read_id

SAMPLE_ACCOUNTS = 8
# The keys this server makes: `ungrouped-<id>`, `<type>-<hour>`, `favourite-<post>-<hour>`.
# A key of another shape (a NUL, any text from the path) names no group and goes no further.
_GROUP_KEY = re.compile(r"[a-z_]{1,40}(?:-[0-9]{1,20}){1,2}")


@dataclass
class Group:
    group_key: str
    latest: Notification
    count: int
    sample_account_ids: list[int]
    page_min_id: int | None = None
    page_max_id: int | None = None
    latest_page_at: datetime | None = None


@dataclass
class GroupPage:
    groups: list[Group] = field(default_factory=list)
    cursor_ids: list[int] = field(default_factory=list)


def _ungrouped() -> Any:
    return literal("ungrouped-").concat(cast(Notification.id, String))


def _group_column(grouped_types: list[str] | None = None) -> Any:
    """A notification's group: its group_key, or `ungrouped-<id>` when it stands alone.

    A client that names `grouped_types` gets the notifications of other types one by one.
    """
    if grouped_types is None:
        return func.coalesce(Notification.group_key, _ungrouped())
    return case(
        (
            Notification.type.in_(grouped_types) & Notification.group_key.is_not(None),
            Notification.group_key,
        ),
        else_=_ungrouped(),
    )


async def list_groups(
    session: AsyncSession,
    *,
    account_id: int,
    filters: Filters,
    page: PageParams,
    grouped_types: list[str] | None = None,
) -> GroupPage:
    """A page of notification groups, newest first."""
    base = visible_query(account_id=account_id, filters=filters)
    group = _group_column(grouped_types)
    bounded = base
    if page.max_id is not None:
        bounded = bounded.where(Notification.id < page.max_id)
    if page.since_id is not None:
        bounded = bounded.where(Notification.id > page.since_id)
    if page.min_id is not None:
        bounded = bounded.where(Notification.id > page.min_id)
    newest = func.max(Notification.id)
    query = bounded.with_only_columns(
        group.label("gk"), newest, func.min(Notification.id), func.max(Notification.created_at)
    ).group_by(group)
    if page.min_id is not None:
        query = query.order_by(newest.asc()).limit(page.limit)
    else:
        query = query.order_by(newest.desc()).limit(page.limit)
    rows = sorted((await session.execute(query)).all(), key=lambda r: r[1], reverse=True)
    if not rows:
        return GroupPage()
    groups = await _complete(session, base=base, group=group, keys=[r[0] for r in rows])
    out = GroupPage()
    for key, page_max, page_min, latest_at in rows:
        if key not in groups:
            continue
        item = groups[key]
        item.page_max_id, item.page_min_id, item.latest_page_at = page_max, page_min, latest_at
        out.groups.append(item)
        out.cursor_ids += [page_min, page_max]
    return out


async def _complete(
    session: AsyncSession, *, base: Any, group: Any, keys: list[str]
) -> dict[str, Group]:
    """Totals, sample senders and most recent notification of each group, batched."""
    named = [k for k in keys if not k.startswith("ungrouped-")]
    alone = [i for k in keys if k.startswith("ungrouped-") and (i := parse_id(k[10:]))]
    # The id and group_key conditions let the indexes find the rows; `group` then
    # keeps only the ones that really form these groups (grouped_types).
    in_groups = base.where(
        (Notification.group_key.in_(named) | Notification.id.in_(alone)) & group.in_(keys)
    )
    totals = await session.execute(
        in_groups.with_only_columns(group, func.count(), func.max(Notification.id)).group_by(group)
    )
    counts: dict[str, tuple[int, int]] = {k: (n, latest) for k, n, latest in totals.all()}
    ranked = in_groups.with_only_columns(
        group.label("gk"),
        Notification.from_account_id.label("sender"),
        func.row_number().over(partition_by=group, order_by=Notification.id.desc()).label("rank"),
    ).subquery()
    samples: dict[str, list[int]] = {}
    for key, sender, _rank in (
        await session.execute(
            select(ranked.c.gk, ranked.c.sender, ranked.c.rank)
            .where(ranked.c.rank <= SAMPLE_ACCOUNTS)
            .order_by(ranked.c.gk, ranked.c.rank)
        )
    ).all():
        samples.setdefault(key, []).append(sender)
    latest_ids = [latest for _, latest in counts.values()]
    latest_rows = {
        n.id: n
        for n in await session.scalars(select(Notification).where(Notification.id.in_(latest_ids)))
    }
    groups: dict[str, Group] = {}
    for key, (count, latest_id) in counts.items():
        if latest_id in latest_rows:
            groups[key] = Group(
                group_key=key,
                latest=latest_rows[latest_id],
                count=count,
                sample_account_ids=samples.get(key, []),
            )
    return groups


async def access_group(session: AsyncSession, *, account_id: int, group_key: str) -> Group:
    """One of the recipient's groups by key; 404 for an unknown or someone else's key."""
    base = visible_query(account_id=account_id)
    group = _group_column()
    if _GROUP_KEY.fullmatch(group_key) is None:
        raise not_found("Notification group")
    found = await _complete(session, base=base, group=group, keys=[group_key])
    if group_key not in found:
        raise not_found("Notification group")
    return found[group_key]


def _members(base: Any, group_key: str) -> Any:
    """`base` narrowed to one group's notifications (the key is checked by the caller)."""
    if group_key.startswith("ungrouped-"):
        return base.where(Notification.id == parse_id(group_key[10:]))
    return base.where(Notification.group_key == group_key)


async def group_senders(
    session: AsyncSession, *, account_id: int, group_key: str, page: PageParams
) -> tuple[list[int], list[int]]:
    """The senders of a group's notifications, newest first and each once, a page at a
    time; also the page's notification ids (the cursors). 404 for an unknown group."""
    await access_group(session, account_id=account_id, group_key=group_key)
    members = _members(visible_query(account_id=account_id), group_key)
    query = paginate(
        members.with_only_columns(Notification.id, Notification.from_account_id),
        Notification.id,
        page,
    )
    rows = sorted((await session.execute(query)).all(), reverse=True)
    senders = list(dict.fromkeys(sender for _, sender in rows))
    return senders, [notification_id for notification_id, _ in rows]


async def do_dismiss_group(session: AsyncSession, *, account_id: int, group_key: str) -> None:
    """Delete every notification of one of the recipient's groups; 404 if there is none."""
    await access_group(session, account_id=account_id, group_key=group_key)
    # Filtered notifications may share a group's key; they belong to their request.
    mine = select(Notification.id).where(
        (Notification.account_id == account_id) & (Notification.filtered == false())
    )
    doomed = _members(mine, group_key)
    await session.execute(delete(Notification).where(Notification.id.in_(doomed)))


async def unread_group_count(
    session: AsyncSession,
    *,
    account_id: int,
    filters: Filters,
    limit: int,
    grouped_types: list[str] | None = None,
) -> int:
    """Groups with a notification newer than the `notifications` marker, up to `limit`."""
    read_up_to = await last_read_id(session, account_id=account_id, timeline="notifications")
    base = visible_query(account_id=account_id, filters=filters)
    group = _group_column(grouped_types)
    unread = (
        base.where(Notification.id > read_up_to)
        .with_only_columns(group.label("gk"))
        .group_by(group)
        .limit(limit)
        .subquery()
    )
    return int(await session.scalar(select(func.count()).select_from(unread)) or 0)

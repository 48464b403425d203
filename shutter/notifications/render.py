"""Notifications, groups and notification requests as JSON, with their accounts and
statuses loaded in batches."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shutter import policies
from shutter.accounts import service as accounts
from shutter.accounts.models import Account
from shutter.accounts.render import render_accounts
from shutter.infra.context import AppContext
from shutter.infra.formats import iso
from shutter.notifications.models import Notification, NotificationRequest
from shutter.notifications.schemas import notification_json
from shutter.notifications.service import MODERATION_TYPES
from shutter.notifications.service.grouping import Group
from shutter.posts import render as post_render
from shutter.posts import service as posts
from shutter.posts.service import threads

# What a moderation notification is about (a report, an account warning) belongs to the
# moderation service, above this one: it registers how to render each type's subjects
# (ids → entity JSON, for the viewer) when it is assembled, as it subscribes to events.
SubjectRenderer = Callable[
    [AsyncSession, AppContext, list[int], Account], Awaitable[dict[int, dict[str, Any]]]
]
_SUBJECTS: dict[str, tuple[str, SubjectRenderer]] = {}


def renders_subject(type: str, key: str) -> Callable[[SubjectRenderer], SubjectRenderer]:
    """Register the renderer of `type`'s subjects, shown under `key` (`report`, …)."""

    def register(renderer: SubjectRenderer) -> SubjectRenderer:
        _SUBJECTS[type] = (key, renderer)
        return renderer

    return register


async def _subjects(
    session: AsyncSession, ctx: AppContext, rows: list[Notification], *, viewer: Account
) -> dict[int, dict[str, Any]]:
    """The subject fields of each notification that has one, by notification id."""
    wanted: dict[str, list[int]] = {}
    for n in rows:
        if n.subject_id is not None and n.type in _SUBJECTS:
            wanted.setdefault(n.type, []).append(n.subject_id)
    rendered: dict[tuple[str, int], dict[str, Any]] = {}
    for type, subject_ids in wanted.items():
        for subject_id, body in (
            await _SUBJECTS[type][1](session, ctx, subject_ids, viewer)
        ).items():
            rendered[(type, subject_id)] = body
    fields: dict[int, dict[str, Any]] = {}
    for n in rows:
        if n.subject_id is not None and (n.type, n.subject_id) in rendered:
            fields[n.id] = {_SUBJECTS[n.type][0]: rendered[(n.type, n.subject_id)]}
    return fields


def _subject_missing(n: Notification, subjects: dict[int, dict[str, Any]]) -> bool:
    """A moderation notification whose report or warning is gone is not shown."""
    return n.subject_id is not None and n.type in _SUBJECTS and n.id not in subjects


async def _load(
    session: AsyncSession,
    ctx: AppContext,
    *,
    viewer: Account,
    account_ids: set[int],
    status_ids: list[int],
    staff_view: frozenset[int] = frozenset(),
) -> tuple[dict[int, dict[str, Any]], dict[int, dict[str, Any]]]:
    """Rendered accounts and statuses by id: one query for the accounts, one batch of posts.
    The accounts of `staff_view` (who signed up, reported or was warned) are shown in any
    state: moderation's notifications are about them."""
    found = await accounts.accounts_by_ids(session, account_ids)
    shown = [a for a in found.values() if policies.account_shown(a) or a.id in staff_view]
    people = {a.id: body for a, body in zip(shown, await render_accounts(ctx, shown), strict=True)}
    items = await posts.hydrate(session, list(dict.fromkeys(status_ids)))
    # A notification whose post the viewer may no longer see (a private post after an
    # unfollow, say, or a comment on a post the viewer may not see) is left out, as the
    # post would be anywhere else.
    roots = await threads.roots_of(session, [i.post for i in items])
    relations = await policies.load_relations(
        session,
        viewer_id=viewer.id,
        author_ids={i.author.id for i in items} | {author.id for _, author in roots.values()},
    )
    items = [
        i
        for i in items
        if policies.may_open(i.post, i.author, relations, root=roots.get(i.post.root_id or 0))
    ]
    rendered = await post_render.render_items(session, ctx, items, viewer=viewer)
    # The viewer's notifications filters: a status a `hide` filter drops takes its
    # notifications along (as a post no longer seen does); `warn` marks it `filtered`.
    filters = await post_render.viewer_filters(session, viewer, needed=bool(items))
    statuses = {
        item.post.id: body
        for item, body in zip(items, rendered, strict=True)
        if filters.verdict(body, "notifications") is not None
    }
    return people, statuses


def _complete(
    n: Notification, people: dict[int, dict[str, Any]], statuses: dict[int, dict[str, Any]]
) -> bool:
    """A notification shows only with its sender and (if it has one) its post."""
    return n.from_account_id in people and (n.status_id is None or n.status_id in statuses)


async def notifications_json(
    session: AsyncSession, ctx: AppContext, rows: list[Notification], *, viewer: Account
) -> list[dict[str, Any]]:
    people, statuses = await _load(
        session,
        ctx,
        viewer=viewer,
        account_ids={n.from_account_id for n in rows},
        status_ids=[n.status_id for n in rows if n.status_id is not None],
        staff_view=frozenset(n.from_account_id for n in rows if n.type in MODERATION_TYPES),
    )
    subjects = await _subjects(session, ctx, rows, viewer=viewer)
    return [
        notification_json(
            n,
            account=people[n.from_account_id],
            status=statuses.get(n.status_id) if n.status_id else None,
        )
        | subjects.get(n.id, {})
        for n in rows
        if _complete(n, people, statuses) and not _subject_missing(n, subjects)
    ]


def _group_json(group: Group, subjects: dict[int, dict[str, Any]]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "group_key": group.group_key,
        "notifications_count": group.count,
        "type": group.latest.type,
        # Mastodon sends this one as a number, unlike every other id.
        "most_recent_notification_id": group.latest.id,
        "sample_account_ids": [str(i) for i in group.sample_account_ids],
    }
    if group.page_max_id is not None:
        body["page_min_id"] = str(group.page_min_id)
        body["page_max_id"] = str(group.page_max_id)
        body["latest_page_notification_at"] = iso(group.latest_page_at)
    if group.latest.status_id is not None:
        body["status_id"] = str(group.latest.status_id)
    return body | subjects.get(group.latest.id, {})


async def grouped_json(
    session: AsyncSession, ctx: AppContext, groups: list[Group], *, viewer: Account
) -> dict[str, Any]:
    """GroupedNotificationsResults: the groups, with their accounts and statuses once each."""
    people, statuses = await _load(
        session,
        ctx,
        viewer=viewer,
        account_ids={i for g in groups for i in g.sample_account_ids},
        status_ids=[g.latest.status_id for g in groups if g.latest.status_id is not None],
        staff_view=frozenset(
            i for g in groups if g.latest.type in MODERATION_TYPES for i in g.sample_account_ids
        ),
    )
    subjects = await _subjects(session, ctx, [g.latest for g in groups], viewer=viewer)
    shown = []
    for group in groups:
        group.sample_account_ids = [i for i in group.sample_account_ids if i in people]
        if (
            group.sample_account_ids
            and (group.latest.status_id is None or group.latest.status_id in statuses)
            and not _subject_missing(group.latest, subjects)
        ):
            shown.append(group)
    account_order = dict.fromkeys(i for g in shown for i in g.sample_account_ids)
    status_order = dict.fromkeys(g.latest.status_id for g in shown if g.latest.status_id)
    return {
        "accounts": [people[i] for i in account_order],
        "statuses": [statuses[i] for i in status_order if i is not None],
        "notification_groups": [_group_json(g, subjects) for g in shown],
    }


async def requests_json(
    session: AsyncSession, ctx: AppContext, rows: list[NotificationRequest], *, viewer: Account
) -> list[dict[str, Any]]:
    """NotificationRequests; `last_status` is null when the viewer may no longer see it."""
    people, statuses = await _load(
        session,
        ctx,
        viewer=viewer,
        account_ids={r.from_account_id for r in rows},
        status_ids=[r.last_status_id for r in rows if r.last_status_id is not None],
    )
    return [
        {
            "id": str(r.id),
            "created_at": iso(r.created_at),
            "updated_at": iso(r.updated_at),
            # A string, unlike the policy summary's counts, as Mastodon sends it.
            "notifications_count": str(r.notifications_count),
            "account": people[r.from_account_id],
            "last_status": statuses.get(r.last_status_id) if r.last_status_id else None,
        }
        for r in rows
        if r.from_account_id in people
    ]

"""Notification policy: which senders' notifications an account accepts, filters or drops.

A sub-concern used by the notifications' core (`service/__init__.py`, `do_create`), so it
never imports it. Mastodon 4.3's rules (NotifyService's conditions):

- a setting applies to a sender when it is `filter` or `drop` and the sender is one of
  its kind: limited (silenced) and not followed by the recipient; not followed; not a
  follower, or one for less than three days; an account younger than 30 days that the
  recipient does not follow; the author of a private mention that the recipient does
  not follow and that answers no private mention of the sender by the recipient;
- `drop` wins over `filter`: nothing is stored; a filtered notification is stored with
  `filtered` set, and a filtered mention counts in the sender's notification request;
- a sender whose request the recipient accepted (a permission) is never filtered, and
  moderation's types are never filtered (the core does not ask).

The settings a recipient never chose are Mastodon's defaults: private mentions and
limited accounts filtered, everything else accepted.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from shutter import policies
from shutter.accounts.models import Account
from shutter.graph import service as graph
from shutter.graph.models import Follow
from shutter.infra.db import utcnow
from shutter.infra.errors import unprocessable
from shutter.infra.ids import ids, shard_of
from shutter.notifications.models import (
    Notification,
    NotificationPermission,
    NotificationPolicy,
    NotificationRequest,
)
from shutter.posts.models import Post
from shutter.posts.service.entities import mentioned_ids

ACCEPT, FILTER, DROP = "accept", "filter", "drop"
CHOICES = (ACCEPT, FILTER, DROP)
NEW_ACCOUNT_DAYS = 30
NEW_FOLLOWER_DAYS = 3
# How far up a thread a private mention looks for the recipient's own private mention.
THREAD_DEPTH = 100
# Mastodon's cap on the counts of a request and of the policy's summary.
MAX_MEANINGFUL_COUNT = 100


@dataclass
class Settings:
    """An account's policy, as Mastodon's v2 entity names it."""

    for_not_following: str = ACCEPT
    for_not_followers: str = ACCEPT
    for_new_accounts: str = ACCEPT
    for_private_mentions: str = FILTER
    for_limited_accounts: str = FILTER

    def as_dict(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


SETTING_NAMES = tuple(f.name for f in fields(Settings))


async def settings_of(session: AsyncSession, *, account_id: int) -> Settings:
    """The account's policy, or the defaults when it never chose one."""
    row = await session.get(NotificationPolicy, account_id)
    if row is None:
        return Settings()
    return Settings(**{name: getattr(row, name) for name in SETTING_NAMES})


async def do_change_settings(
    session: AsyncSession, *, account_id: int, changes: dict[str, str]
) -> Settings:
    """Change some of the account's settings (names and values checked by the route's
    parameters, and again here); the others keep their value. Returns the whole policy."""
    for name, value in changes.items():
        if name not in SETTING_NAMES or value not in CHOICES:
            raise unprocessable(f"{name} must be accept, filter or drop", field=name)
    settings = replace(await settings_of(session, account_id=account_id), **changes)
    values = settings.as_dict()
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    now = utcnow()
    await session.execute(
        dialect.insert(NotificationPolicy)
        .values(account_id=account_id, updated_at=now, **values)
        .on_conflict_do_update(index_elements=["account_id"], set_={**values, "updated_at": now})
    )
    return settings


async def is_permitted(session: AsyncSession, *, account_id: int, from_account_id: int) -> bool:
    found = await session.get(NotificationPermission, (account_id, from_account_id))
    return found is not None


async def do_permit(session: AsyncSession, *, account_id: int, from_account_id: int) -> None:
    """Let `from_account_id` through `account_id`'s policy from now on (safe twice)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    await session.execute(
        dialect.insert(NotificationPermission)
        .values(account_id=account_id, from_account_id=from_account_id, created_at=utcnow())
        .on_conflict_do_nothing()
    )


# --- the verdict ---------------------------------------------------------------------------


class _Facts:
    """What the settings ask about a sender, each read once and only when asked."""

    def __init__(
        self,
        session: AsyncSession,
        *,
        recipient: Account,
        sender: Account,
        mention_post_id: int | None,
    ) -> None:
        self.session = session
        self.recipient = recipient
        self.sender = sender
        self.mention_post_id = mention_post_id
        self._following: bool | None = None

    async def not_following(self) -> bool:
        if self._following is None:
            self._following = await graph.is_following(
                self.session, account_id=self.recipient.id, target_id=self.sender.id
            )
        return not self._following

    async def limited(self) -> bool:
        return self.sender.silenced_at is not None and await self.not_following()

    async def not_follower(self) -> bool:
        since = await self.session.scalar(
            select(Follow.created_at).where(
                (Follow.account_id == self.sender.id)
                & (Follow.target_account_id == self.recipient.id)
            )
        )
        return since is None or since > utcnow() - timedelta(days=NEW_FOLLOWER_DAYS)

    async def new_account(self) -> bool:
        young = self.sender.created_at > utcnow() - timedelta(days=NEW_ACCOUNT_DAYS)
        return young and await self.not_following()

    async def unsolicited_private_mention(self) -> bool:
        if self.mention_post_id is None:
            return False
        post = await self.session.get(Post, self.mention_post_id)
        if post is None or post.visibility != policies.DIRECT:
            return False
        return await self.not_following() and not await self._answers_recipient(post)

    async def _answers_recipient(self, post: Post) -> bool:
        """Whether the post replies (at any depth) to a private mention of the sender
        by the recipient: a conversation the recipient started is never filtered."""
        parent_id, seen = post.in_reply_to_id, 0
        while parent_id is not None and seen < THREAD_DEPTH:
            parent = await self.session.get(Post, parent_id)
            if parent is None:
                return False
            if (
                parent.account_id == self.recipient.id
                and parent.visibility == policies.DIRECT
                and self.sender.id in mentioned_ids(parent)
            ):
                return True
            parent_id, seen = parent.in_reply_to_id, seen + 1
        return False


async def verdict(
    session: AsyncSession,
    *,
    recipient: Account,
    sender: Account,
    mention_post_id: int | None,
) -> str:
    """`accept`, `filter` or `drop` for a notification from `sender` to `recipient`
    (of a filterable type; `mention_post_id` is the post of a mention)."""
    settings = await settings_of(session, account_id=recipient.id)
    facts = _Facts(session, recipient=recipient, sender=sender, mention_post_id=mention_post_id)
    checks = (
        (settings.for_limited_accounts, facts.limited),
        (settings.for_not_following, facts.not_following),
        (settings.for_not_followers, facts.not_follower),
        (settings.for_new_accounts, facts.new_account),
        (settings.for_private_mentions, facts.unsolicited_private_mention),
    )
    outcome = ACCEPT
    # Drop settings first: one that applies decides alone, as Mastodon's DropCondition.
    for wanted in (DROP, FILTER):
        for setting, applies in checks:
            if setting == wanted and await applies():
                outcome = wanted
                break
        if outcome != ACCEPT:
            break
    if outcome != ACCEPT and await is_permitted(
        session, account_id=recipient.id, from_account_id=sender.id
    ):
        return ACCEPT
    return outcome


# --- requests: the filtered mentions of one sender -------------------------------------


def filtered_mentions(*, account_id: int, from_account_id: int) -> Any:
    return (
        (Notification.account_id == account_id)
        & (Notification.from_account_id == from_account_id)
        & (Notification.type == "mention")
        & Notification.filtered
    )


async def do_reconsider_request(
    session: AsyncSession, *, account_id: int, from_account_id: int, create: bool = True
) -> None:
    """Bring the sender's request in line with its filtered mentions: made on the first
    (unless `create` is false), its count and last post updated, deleted with the last
    (Mastodon's `reconsider_existence!`)."""
    same = (NotificationRequest.account_id == account_id) & (
        NotificationRequest.from_account_id == from_account_id
    )
    if not create and await session.scalar(select(NotificationRequest.id).where(same)) is None:
        return
    mentions = (
        select(Notification.status_id)
        .where(filtered_mentions(account_id=account_id, from_account_id=from_account_id))
        .order_by(Notification.id.desc())
        .limit(MAX_MEANINGFUL_COUNT)
        .subquery()
    )
    count, last_status_id = (
        await session.execute(select(func.count(), func.max(mentions.c.status_id)))
    ).one()
    if not count:
        await session.execute(delete(NotificationRequest).where(same))
        return
    now = utcnow()
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    changes = {"notifications_count": count, "last_status_id": last_status_id, "updated_at": now}
    await session.execute(
        dialect.insert(NotificationRequest)
        .values(
            id=ids.next_id(shard_of(account_id)),
            account_id=account_id,
            from_account_id=from_account_id,
            created_at=now,
            **changes,
        )
        .on_conflict_do_update(index_elements=["account_id", "from_account_id"], set_=changes)
    )

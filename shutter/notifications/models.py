from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from shutter.infra.db import Base, UTCDateTime, utcnow


class Notification(Base):
    """`from_account_id` did `type` to `account_id` (sharded by the recipient)."""

    __tablename__ = "notifications"
    __table_args__ = (
        # One notification per action: a job run twice finds the row and does nothing.
        UniqueConstraint("account_id", "type", "from_account_id", "status_key"),
        Index("ix_notifications_account", "account_id", "id"),
        Index("ix_notifications_group", "account_id", "group_key", "id"),
        Index("ix_notifications_status", "status_id"),
        Index("ix_notifications_from", "from_account_id"),
        # A notification request's notifications: one recipient's from one sender.
        Index("ix_notifications_sender", "account_id", "from_account_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE")
    )
    type: Mapped[str] = mapped_column(String(20))
    from_account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE")
    )
    # A deleted post takes the notifications about it along.
    status_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("posts.id", ondelete="CASCADE")
    )
    # What a moderation notification is about: the report (`admin.report`) or the
    # account warning (`moderation_warning`), rendered by the service that owns it.
    subject_id: Mapped[int | None] = mapped_column(BigInteger)
    # status_id, else subject_id, else 0: NULLs never collide in a unique key, and
    # follows have no status.
    status_key: Mapped[int] = mapped_column(BigInteger, default=0)
    # Shared by notifications shown as one group; None means never grouped.
    group_key: Mapped[str | None] = mapped_column(String(80))
    # Held back by the recipient's notification policy (service/policy.py): kept out of
    # lists, counts, streams and pushes until its request is accepted.
    filtered: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Marker(Base):
    """Where an account stopped reading a timeline (`home` or `notifications`)."""

    __tablename__ = "markers"

    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    timeline: Mapped[str] = mapped_column(String(20), primary_key=True)
    last_read_id: Mapped[int] = mapped_column(BigInteger)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PushSubscription(Base):
    """Where the notifications of one access token are pushed (Web Push), and which
    (service/push.py). One per token, as on Mastodon; a purged token takes it along."""

    __tablename__ = "push_subscriptions"
    __table_args__ = (Index("ix_push_subscriptions_account", "account_id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    token_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("oauth_tokens.id", ondelete="CASCADE"), unique=True
    )
    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE")
    )
    endpoint: Mapped[str] = mapped_column(Text)
    key_p256dh: Mapped[str] = mapped_column(String(100))
    key_auth: Mapped[str] = mapped_column(String(32))
    # The notification types pushed, separated by spaces (Mastodon's alerts that are true).
    alerts: Mapped[str] = mapped_column(String(300))
    policy: Mapped[str] = mapped_column(String(10))
    # The token itself, sealed with a key derived from the instance's secret: Mastodon's
    # payload carries it back to the app (tokens are otherwise stored only hashed).
    sealed_token: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class NotificationPolicy(Base):
    """What an account does with notifications from some kinds of senders: `accept`,
    `filter` (into a notification request) or `drop` (Mastodon's NotificationPolicy).
    No row means Mastodon's defaults (service/policy.py)."""

    __tablename__ = "notification_policies"

    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    for_not_following: Mapped[str] = mapped_column(String(10))
    for_not_followers: Mapped[str] = mapped_column(String(10))
    for_new_accounts: Mapped[str] = mapped_column(String(10))
    for_private_mentions: Mapped[str] = mapped_column(String(10))
    for_limited_accounts: Mapped[str] = mapped_column(String(10))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class NotificationRequest(Base):
    """The filtered mentions one sender made to one recipient, waiting to be accepted or
    dismissed; the count and last post are recomputed from them on every change."""

    __tablename__ = "notification_requests"
    __table_args__ = (
        UniqueConstraint("account_id", "from_account_id"),
        Index("ix_notification_requests_account", "account_id", "id"),
        Index("ix_notification_requests_from", "from_account_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE")
    )
    from_account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE")
    )
    last_status_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("posts.id", ondelete="SET NULL")
    )
    notifications_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class NotificationPermission(Base):
    """`account_id` accepted `from_account_id`'s notification request: the policy no
    longer filters that sender (Mastodon's NotificationPermission)."""

    __tablename__ = "notification_permissions"
    __table_args__ = (Index("ix_notification_permissions_from", "from_account_id"),)

    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    from_account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

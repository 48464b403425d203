from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shutter.infra.db import Base, UTCDateTime, utcnow


class Follow(Base):
    """`account_id` follows `target_account_id` (sharded by the follower)."""

    __tablename__ = "follows"
    __table_args__ = (
        UniqueConstraint("account_id", "target_account_id"),
        Index("ix_follows_target", "target_account_id", "account_id"),
        # Followers / following lists page by the follow's id.
        Index("ix_follows_target_id", "target_account_id", "id"),
        Index("ix_follows_account_id", "account_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE")
    )
    target_account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FollowRequest(Base):
    """A pending follow of a locked account, waiting for the target to authorize it."""

    __tablename__ = "follow_requests"
    __table_args__ = (
        UniqueConstraint("account_id", "target_account_id"),
        Index("ix_follow_requests_target", "target_account_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE")
    )
    target_account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Block(Base):
    """`account_id` blocks `target_account_id`: neither sees nor reaches the other."""

    __tablename__ = "blocks"
    __table_args__ = (
        UniqueConstraint("account_id", "target_account_id"),
        # "Who blocked me" (relationships, hidden ids) and the blocker's list by row id.
        Index("ix_blocks_target", "target_account_id", "account_id"),
        Index("ix_blocks_account_id", "account_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE")
    )
    target_account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Mute(Base):
    """`account_id` mutes `target_account_id`: their posts leave the muter's feeds, silently."""

    __tablename__ = "mutes"
    __table_args__ = (
        UniqueConstraint("account_id", "target_account_id"),
        Index("ix_mutes_account_id", "account_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE")
    )
    target_account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE")
    )
    # Mastodon's `notifications` option: also hide their notifications (the default).
    hide_notifications: Mapped[bool] = mapped_column(Boolean, default=True)
    # Mastodon's `duration`: a mute with an end stops applying by itself (None: forever).
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AccountNote(Base):
    """A private note an account keeps about another (Relationship's `note`)."""

    __tablename__ = "account_notes"
    __table_args__ = (Index("ix_account_notes_target", "target_account_id"),)

    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    target_account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    comment: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DomainBlock(Base):
    """An account blocks a whole domain (Mastodon's account domain block).

    Shutter does not federate, so no account lives on another domain and nothing is
    hidden by it; the blocks are kept and listed as Mastodon keeps them.
    """

    __tablename__ = "account_domain_blocks"
    __table_args__ = (
        UniqueConstraint("account_id", "domain"),
        Index("ix_account_domain_blocks_account_id", "account_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE")
    )
    domain: Mapped[str] = mapped_column(String(253))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Endorsement(Base):
    """`account_id` features `target_account_id` on its profile (Mastodon's account pin)."""

    __tablename__ = "endorsements"
    __table_args__ = (
        UniqueConstraint("account_id", "target_account_id"),
        Index("ix_endorsements_account_id", "account_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE")
    )
    target_account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SuggestionDismissal(Base):
    """`account_id` asked never to be suggested `target_account_id` again."""

    __tablename__ = "suggestion_dismissals"

    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    target_account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

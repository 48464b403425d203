"""Lists: an account's named groups of accounts it follows, with their own timeline.

Read by the feed (exclusive lists keep their members out of the home feed) as well as
written by the lists service.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from shutter.infra.db import Base, UTCDateTime, utcnow

# Mastodon's `replies_policy`: which replies (comments) of members the list shows.
REPLIES_POLICIES = ("followed", "list", "none")


class List(Base):
    """A list owned by `account_id` (Mastodon's List)."""

    __tablename__ = "lists"
    __table_args__ = (Index("ix_lists_account", "account_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE")
    )
    title: Mapped[str] = mapped_column(String(255))
    replies_policy: Mapped[str] = mapped_column(String(10), default="list")
    # Members' posts leave the owner's home feed (Mastodon 4.2).
    exclusive: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ListAccount(Base):
    """`account_id` is a member of `list_id` (pages of members go by account id, along
    the unique key's index, as Mastodon's)."""

    __tablename__ = "list_accounts"
    __table_args__ = (
        UniqueConstraint("list_id", "account_id"),
        # The lists an account is in: fan-out, unfollows, "lists containing this account".
        Index("ix_list_accounts_account", "account_id", "list_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    list_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("lists.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

from __future__ import annotations

from sqlalchemy import BigInteger, Index
from sqlalchemy.orm import Mapped, mapped_column

from shutter.infra.db import Base


class FeedEntry(Base):
    """One post in one account's home feed, written by fan-out (SQL store of the feed)."""

    __tablename__ = "feed_entries"
    __table_args__ = (
        Index("ix_feed_entries_post", "post_id"),
        Index("ix_feed_entries_author", "account_id", "author_id"),
    )

    account_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    post_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    author_id: Mapped[int] = mapped_column(BigInteger)

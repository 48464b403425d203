from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shutter.infra.db import Base, UTCDateTime, utcnow


class Filter(Base):
    """An account's filter (Mastodon's CustomFilter): keywords and statuses that, in the
    filter's contexts, show with a warning (`warn`) or not at all (`hide`)."""

    __tablename__ = "filters"
    __table_args__ = (Index("ix_filters_account", "account_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE")
    )
    title: Mapped[str] = mapped_column(Text)
    # Comma-separated contexts (home, notifications, public, thread, account), in order.
    context: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(10), default="warn")
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FilterKeyword(Base):
    """A phrase of a filter; a v1 filter is one of these (its id is the v1 id)."""

    __tablename__ = "filter_keywords"
    __table_args__ = (Index("ix_filter_keywords_filter", "filter_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    filter_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("filters.id", ondelete="CASCADE"))
    keyword: Mapped[str] = mapped_column(Text)
    whole_word: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FilterStatus(Base):
    """A status a filter matches by id. Goes with the post (the foreign key cascades)."""

    __tablename__ = "filter_statuses"
    __table_args__ = (
        UniqueConstraint("filter_id", "post_id"),
        Index("ix_filter_statuses_post", "post_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    filter_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("filters.id", ondelete="CASCADE"))
    post_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("posts.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

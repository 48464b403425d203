from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from shutter.infra.db import Base, UTCDateTime, utcnow


class Media(Base):
    """An uploaded file and its processed variants; moves processing → ready or failed.

    `kind` is Mastodon's attachment type (image, gifv, video); `error` says why processing
    failed; `attempts` counts processing runs, so the last retry can end in `failed`.
    """

    __tablename__ = "media"
    __table_args__ = (
        Index("ix_media_account", "account_id", "id"),
        Index("ix_media_post", "post_id", "position"),
        Index("ix_media_scheduled", "scheduled_status_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE")
    )
    post_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("posts.id", ondelete="SET NULL")
    )
    # Held for a scheduled post until it is published (then `post_id`) or cancelled: the
    # purge of unattached uploads leaves it alone meanwhile. No foreign key: the table
    # belongs to posts, above media; the account's deletion takes both.
    scheduled_status_id: Mapped[int | None] = mapped_column(BigInteger)
    position: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(12), default="processing")
    kind: Mapped[str] = mapped_column(String(12), default="image")
    description: Mapped[str | None] = mapped_column(Text)
    focus_x: Mapped[float] = mapped_column(Float, default=0.0)
    focus_y: Mapped[float] = mapped_column(Float, default=0.0)
    blurhash: Mapped[str | None] = mapped_column(String(100))
    original_key: Mapped[str | None] = mapped_column(String(200))
    variants: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

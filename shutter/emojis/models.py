from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, String, false, true
from sqlalchemy.orm import Mapped, mapped_column

from shutter.infra.db import Base, UTCDateTime, utcnow


class CustomEmoji(Base):
    """An instance's custom emoji (Mastodon's CustomEmoji): `:shortcode:` in a caption, a
    name or a bio shows its image. Shortcodes are case-sensitive, as Mastodon's."""

    __tablename__ = "custom_emojis"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    shortcode: Mapped[str] = mapped_column(String(100), unique=True)
    # Public blobs (infra/storage.py `e/…`): the image as uploaded (re-encoded), and a
    # still PNG of its first frame, the same file when it was still already.
    image_key: Mapped[str] = mapped_column(String(200))
    static_key: Mapped[str] = mapped_column(String(200))
    category: Mapped[str | None] = mapped_column(String(100))
    visible_in_picker: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    disabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from shutter.infra.db import Base, UTCDateTime, utcnow


class Rule(Base):
    """One of the instance's rules, as admins wrote them (Mastodon's Rule entity).

    Removing a rule only sets `deleted_at`, as Mastodon does: reports will name the
    rules they invoke, and those must still read after a rule is withdrawn.
    """

    __tablename__ = "instance_rules"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    text: Mapped[str] = mapped_column(Text)
    hint: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

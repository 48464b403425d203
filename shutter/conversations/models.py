from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shutter.infra.db import Base, UTCDateTime, utcnow


class Conversation(Base):
    """One account's direct-message thread with a set of other accounts (Instagram's
    inbox: one thread per set of people), Mastodon's AccountConversation.

    `participant_key` is the others' ids, sorted and comma-joined ("" when the owner
    wrote to no one else), so a set maps to one row per owner. Pages are ordered by
    `last_status_id`, as Mastodon's are.
    """

    __tablename__ = "conversations"
    __table_args__ = (
        UniqueConstraint("account_id", "participant_key"),
        Index("ix_conversations_account_last", "account_id", "last_status_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE")
    )
    participant_key: Mapped[str] = mapped_column(String(1000))
    participant_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    last_status_id: Mapped[int | None] = mapped_column(BigInteger)
    unread: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ConversationStatus(Base):
    """A direct post or comment in a conversation, so that deleting the last message
    moves `last_status_id` back to the one before (or drops the conversation)."""

    __tablename__ = "conversation_statuses"
    __table_args__ = (Index("ix_conversation_statuses_post", "post_id"),)

    conversation_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    post_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )

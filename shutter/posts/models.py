from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
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


class Post(Base):
    """A post (Mastodon's status): a caption over 1–6 media, or a text reply."""

    __tablename__ = "posts"
    __table_args__ = (
        Index("ix_posts_account", "account_id", "id"),
        Index("ix_posts_thread", "root_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE")
    )
    caption: Mapped[str] = mapped_column(Text, default="")
    # public, unlisted, private or direct: who may see it is decided in shutter/policies.py.
    visibility: Mapped[str] = mapped_column(String(10), default="public")
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    spoiler_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    in_reply_to_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    in_reply_to_account_id: Mapped[int | None] = mapped_column(BigInteger)
    # The top post of a comment's thread, so a whole thread is one index range.
    root_id: Mapped[int | None] = mapped_column(BigInteger)
    app_id: Mapped[int | None] = mapped_column(BigInteger)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Tags and mentions parsed from the caption, as rendering needs them:
    # {"tags": [display name, …], "mentions": [{"id": "…", "username": "…"}, …]}.
    # The post_tags and mentions tables hold the same for queries.
    entities: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Counters move with `x = x + 1` in the transaction that writes the like or comment;
    # they are not part of the cached JSON's key, pages select them and patch them in.
    favourites_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    replies_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PostEdit(Base):
    """One revision of a post, as GET /api/v1/statuses/:id/history lists it."""

    __tablename__ = "post_edits"
    __table_args__ = (Index("ix_post_edits_post", "post_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    post_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("posts.id", ondelete="CASCADE"))
    caption: Mapped[str] = mapped_column(Text)
    media_descriptions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IdempotencyKey(Base):
    """Maps a client's Idempotency-Key to the post it created, so a retry returns it."""

    __tablename__ = "idempotency_keys"

    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    post_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ScheduledStatus(Base):
    """A post to publish at `scheduled_at` (Mastodon's ScheduledStatus): `params` are the
    post's parameters as checked when it was scheduled, checked again when it is
    published; its media wait for it in `media.scheduled_status_id`."""

    __tablename__ = "scheduled_statuses"
    __table_args__ = (
        Index("ix_scheduled_statuses_account", "account_id", "id"),
        Index("ix_scheduled_statuses_account_at", "account_id", "scheduled_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE")
    )
    scheduled_at: Mapped[datetime] = mapped_column(UTCDateTime)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Like(Base):
    """An account likes a post (Mastodon's favourite); at most one per pair."""

    __tablename__ = "likes"
    __table_args__ = (
        UniqueConstraint("account_id", "post_id"),
        Index("ix_likes_post", "post_id", "id"),
        Index("ix_likes_account", "account_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE")
    )
    post_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("posts.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Bookmark(Base):
    """An account saved a post; only that account ever sees it."""

    __tablename__ = "bookmarks"
    __table_args__ = (
        UniqueConstraint("account_id", "post_id"),
        Index("ix_bookmarks_account", "account_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE")
    )
    post_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("posts.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Tag(Base):
    """A hashtag: `name` normalised (NFKC, casefolded), `display_name` as first written."""

    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PostTag(Base):
    """A post carries a tag (a hashtag timeline is an index range on tag_id, post_id)."""

    __tablename__ = "post_tags"
    __table_args__ = (Index("ix_post_tags_tag", "tag_id", "post_id"),)

    post_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True
    )


class Mention(Base):
    """A post mentions a local account by @username."""

    __tablename__ = "mentions"
    __table_args__ = (Index("ix_mentions_account", "account_id", "post_id"),)

    post_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )


class Pin(Base):
    """An author pinned one of their own posts to the top of their profile (at most 5)."""

    __tablename__ = "status_pins"
    __table_args__ = (
        UniqueConstraint("account_id", "post_id"),
        Index("ix_status_pins_account_id", "account_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE")
    )
    post_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("posts.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ConversationMute(Base):
    """An account muted a thread (Mastodon's conversation): `post_id` is its top post.

    Notifications about any post of the thread stop for that account; the notifications
    service reads this table to decide.
    """

    __tablename__ = "conversation_mutes"

    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    post_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TagFollow(Base):
    """An account follows a hashtag: public posts carrying it reach its home feed."""

    __tablename__ = "tag_follows"
    __table_args__ = (
        UniqueConstraint("account_id", "tag_id"),
        # Fan-out reads a tag's followers in account order; the list pages by row id.
        Index("ix_tag_follows_tag", "tag_id", "account_id"),
        Index("ix_tag_follows_account_id", "account_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE")
    )
    tag_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("tags.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FeaturedTag(Base):
    """A hashtag an account shows on its profile (its count and last use read from posts)."""

    __tablename__ = "featured_tags"
    __table_args__ = (UniqueConstraint("account_id", "tag_id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE")
    )
    tag_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("tags.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, Text, false, null
from sqlalchemy.orm import Mapped, mapped_column

from shutter.infra.db import Base, UTCDateTime, utcnow

# Assigned to `Account.approved_at` to store NULL despite the column's default.
PENDING: Any = null()


class Account(Base):
    """A person's public profile; its id's shard is the home of all their data."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    username: Mapped[str] = mapped_column(String(30))
    username_lower: Mapped[str] = mapped_column(String(30), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    website: Mapped[str] = mapped_column(String(200), default="")
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    # `source.privacy` and `source.sensitive`: the defaults of new posts. No audience
    # chosen means "by the lock" (shutter/policies.py default_visibility).
    default_visibility: Mapped[str | None] = mapped_column(String(10))
    default_sensitive: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # `source.language`: the language new posts are written in, ISO 639 (None: not chosen).
    default_language: Mapped[str | None] = mapped_column(String(10))
    avatar_key: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), default="user")
    followers_count: Mapped[int] = mapped_column(Integer, default=0)
    following_count: Mapped[int] = mapped_column(Integer, default=0)
    statuses_count: Mapped[int] = mapped_column(Integer, default=0)
    last_status_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The other states (shutter/accounts/service/states.py), each the time it began and
    # NULL when it does not hold. Who is shown is decided in shutter/policies.py only.
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # cannot log in
    silenced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # Mastodon's "limited"
    sensitized_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # media forced sensitive
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # by the owner
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # a tombstone
    # None while a sign-up awaits approval (SHUTTER_REGISTRATIONS=approval): its token is
    # refused (auth/deps.py) and others do not find it (shutter/accounts/service/).
    # Approved unless said otherwise, so an account made any other way (the CLI, an
    # import, a benchmark's seed) is never pending by accident; a pending sign-up
    # writes NULL explicitly (`PENDING`).
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def privacy(self) -> str:
        """The audience of new posts (`source.privacy`): as chosen, else by the lock."""
        return self.default_visibility or ("private" if self.locked else "public")


class Credential(Base):
    """How an account logs in; kept apart from the public profile."""

    __tablename__ = "credentials"

    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    email: Mapped[str] = mapped_column(String(254))
    email_lower: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What the person wrote when asking to join (Mastodon's sign-up `reason`), and the
    # invite they came with: private facts of the sign-up, for whoever approves it.
    signup_reason: Mapped[str | None] = mapped_column(Text)
    invite_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CredentialToken(Base):
    """A single-use link mailed to an account (shutter/accounts/service/links.py): a password
    reset, or the confirmation of an address. Only the token's SHA-256 is stored, and a
    link is deleted when followed."""

    __tablename__ = "credential_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(20))
    # The address the link was mailed to: the one it confirms (or, for a new address,
    # the one that becomes the account's).
    email: Mapped[str] = mapped_column(String(254))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Invite(Base):
    """An invite link (`{base_url}/invite/{code}`): it lets people sign up while
    registrations are closed, and without approval. Expiring one sets `expires_at`."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    max_uses: Mapped[int | None] = mapped_column(Integer)  # None: unlimited
    uses: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None: never
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

"""Accounts: sign-up, credentials, profiles and the counters shown on them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.accounts.events import AccountOpened
from shutter.accounts.models import PENDING, Account, Credential
from shutter.accounts.service import links
from shutter.auth.credentials import hash_password
from shutter.graph.models import FollowRequest
from shutter.infra.context import AppContext
from shutter.infra.db import account_changed, utcnow
from shutter.infra.domain import publish
from shutter.infra.errors import ApiError, not_found, unprocessable
from shutter.infra.ids import ids, parse_id
from shutter.infra.settings import Settings
from shutter.media import service as media
from shutter.policies import account_shown

# Mastodon's rule without its inner dashes (mentions here stop at a dash): letters,
# digits and underscores, with dots allowed only inside. A name of dots (`.`, `..`) or
# with one at an end would read as a path segment in profile URLs.
USERNAME_RE = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,28}[A-Za-z0-9_])?")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 8
MAX_PASSWORD = 1024


def check_email(email: str, *, field: str = "email") -> None:
    if len(email) > 254 or not EMAIL_RE.fullmatch(email):
        raise unprocessable(f"{field} is not a valid address", field=field)


def check_new_password(password: str, *, field: str = "password") -> None:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise unprocessable(
            f"{field} must be {MIN_PASSWORD} to {MAX_PASSWORD} characters", field=field
        )


def check_signup(*, username: str, email: str, password: str) -> None:
    if not USERNAME_RE.fullmatch(username):
        raise unprocessable(
            "username must be 1–30 letters, digits, underscores or dots, "
            "and neither start nor end with a dot",
            field="username",
        )
    check_email(email)
    check_new_password(password)


async def email_taken(session: AsyncSession, email: str, *, by_other_than: int = 0) -> bool:
    """Whether an account (other than `by_other_than`) has this address, in any case."""
    return (
        await session.scalar(
            select(Credential.account_id).where(
                Credential.email_lower == email.lower(), Credential.account_id != by_other_than
            )
        )
    ) is not None


def _taken_error(field: str) -> ApiError:
    """Mastodon's answer to a name or address in use (its `ERR_TAKEN`)."""
    message = f"{field} is already taken"
    details = {field: [{"error": "ERR_TAKEN", "description": message}]}
    return ApiError(422, f"Validation failed: {message}", details=details)


async def _taken(session: AsyncSession, *, username: str, email: str) -> None:
    # A deleted account's tombstone keeps its name: nobody else may take it (its links,
    # mentions and the memory of others would point at a stranger). Its address is free.
    if await session.scalar(select(Account.id).where(Account.username_lower == username.lower())):
        raise _taken_error("username")
    if await email_taken(session, email):
        raise _taken_error("email")


async def do_create_account(
    session: AsyncSession,
    *,
    settings: Settings,
    username: str,
    email: str,
    password: str,
    role: str = "user",
    approved: bool = True,
    signup_reason: str | None = None,
    invite_id: int | None = None,
) -> Account:
    """Create an account with its credential; 422 when a rule or uniqueness fails.

    An account not `approved` is pending until `registrations.do_approve_account`.

    When confirmation is required the address is confirmed by the link of a mail sent
    now (shutter/accounts/service/links.py), and until then the account's tokens serve little
    (auth/deps.py); otherwise the account is accepted as it signed up.
    """
    check_signup(username=username, email=email, password=password)
    await _taken(session, username=username, email=email)
    password_hash = await hash_password(settings, password)
    now = utcnow()
    confirm_by_mail = settings.require_email_confirmation
    account = Account(
        id=ids.next_id(ids.new_shard()),
        username=username,
        username_lower=username.lower(),
        display_name="",
        note="",
        website="",
        locked=False,
        role=role,
        approved_at=now if approved else PENDING,
        created_at=now,
        updated_at=now,
    )
    session.add(account)
    session.add(
        Credential(
            account_id=account.id,
            email=email,
            email_lower=email.lower(),
            password_hash=password_hash,
            confirmed_at=None if confirm_by_mail else now,
            signup_reason=signup_reason,
            invite_id=invite_id,
            created_at=now,
        )
    )
    try:
        await session.flush()
    except IntegrityError:  # a concurrent sign-up took the name between check and insert
        raise unprocessable("username or email is already taken", field="username") from None
    if confirm_by_mail:
        links.enqueue_link(session, purpose=links.CONFIRM_EMAIL, email=email, account_id=account.id)
    return account


async def access_account(session: AsyncSession, account_id: int | str) -> Account:
    """The shown account with this id (policies.account_shown), or 404 (also while it
    awaits approval, as Mastodon hides pending accounts)."""
    account = await _by_id(session, account_id)
    if account is None or not account_shown(account):
        raise not_found("Account")
    return account


async def _by_id(session: AsyncSession, account_id: int | str) -> Account | None:
    key = parse_id(account_id)
    return None if key is None else await session.get(Account, key)


def _entity_shown(account: Account) -> bool:
    # Mastodon still answers with a suspended account's entity (`suspended: true`, the
    # name and nothing else: accounts/schemas.py); a deleted one is shown the same way.
    # A deactivated or pending account is not found at all.
    if account.deleted_at is not None:
        return True
    return account.approved_at is not None and account.deactivated_at is None


async def access_account_entity(session: AsyncSession, account_id: int | str) -> Account:
    """The account `GET /api/v1/accounts/:id` shows: a shown one, or a suspended or
    deleted one (Mastodon's `suspended: true`); 404 otherwise."""
    account = await _by_id(session, account_id)
    if account is None or not _entity_shown(account):
        raise not_found("Account")
    return account


async def account_entities(session: AsyncSession, account_ids: list[int]) -> list[Account]:
    """The accounts `access_account_entity` would show among `account_ids`, in that order
    (Mastodon 4.3's `GET /api/v1/accounts?id[]=`: the others are left out)."""
    found = await accounts_by_ids(session, set(account_ids))
    return [found[i] for i in account_ids if i in found and _entity_shown(found[i])]


async def lock_accounts(session: AsyncSession, account_ids: list[int]) -> None:
    """Hold these accounts' rows (ascending id, so never a deadlock) until the commit.

    Serialises actions whose checks read what the other writes, such as a follow (is
    there a block?) and a block (delete the follows): otherwise, on PostgreSQL, each can
    miss the other's uncommitted row and both commit. SQLite's single writer already
    serialises them, and SQLAlchemy leaves FOR UPDATE out there.
    """
    await session.execute(
        select(Account.id)
        .where(Account.id.in_(sorted(set(account_ids))))
        .order_by(Account.id)
        .with_for_update()
    )


async def accounts_by_ids(session: AsyncSession, account_ids: set[int]) -> dict[int, Account]:
    if not account_ids:
        return {}
    rows = await session.scalars(select(Account).where(Account.id.in_(account_ids)))
    return {account.id: account for account in rows}


async def lookup_account(session: AsyncSession, acct: str) -> Account:
    """Resolve `username` or `username@this-host` (no federation: other hosts are 404), as
    `access_account_entity` shows it."""
    username = acct.strip().lstrip("@").split("@", 1)[0].lower()
    account = await session.scalar(select(Account).where(Account.username_lower == username))
    if account is None or not _entity_shown(account):
        raise not_found("Account")
    return account


@dataclass
class ProfileChanges:
    """Profile fields to change; None leaves a field as it is."""

    display_name: str | None = None
    note: str | None = None
    locked: bool | None = None
    website: str | None = None
    privacy: str | None = None
    sensitive: bool | None = None
    language: str | None = None  # "" forgets the choice


# Audiences a person may choose as the default of their posts (as Mastodon's setting).
DEFAULT_AUDIENCES = ("public", "unlisted", "private")
# ISO 639-1 (`en`) or 639-3 (`ast`), as Mastodon's language setting takes them.
_LANGUAGE = re.compile(r"[a-z]{2,3}")
# An http(s) address without spaces, quotes or angle brackets.
_WEBSITE = re.compile(r"https?://[^\s\"'<>`\\]{1,190}")


def _apply_defaults(account: Account, changes: ProfileChanges) -> None:
    if changes.privacy is not None:
        if changes.privacy not in DEFAULT_AUDIENCES:
            raise unprocessable(
                "source[privacy] must be one of " + ", ".join(DEFAULT_AUDIENCES),
                field="source[privacy]",
            )
        account.default_visibility = changes.privacy
    if changes.sensitive is not None:
        account.default_sensitive = changes.sensitive
    if changes.language is not None:
        language = changes.language.strip().lower()
        if language and not _LANGUAGE.fullmatch(language):
            raise unprocessable(
                "source[language] must be an ISO 639 code", field="source[language]"
            )
        account.default_language = language or None


def _apply_profile(account: Account, changes: ProfileChanges, settings: Settings) -> None:
    if changes.display_name is not None:
        if len(changes.display_name) > settings.max_display_name_chars:
            raise unprocessable(
                f"display_name is longer than {settings.max_display_name_chars} characters",
                field="display_name",
            )
        account.display_name = changes.display_name
    if changes.note is not None:
        if len(changes.note) > settings.max_bio_chars:
            raise unprocessable(
                f"note is longer than {settings.max_bio_chars} characters", field="note"
            )
        account.note = changes.note
    if changes.website is not None:
        if changes.website and not _WEBSITE.fullmatch(changes.website):
            raise unprocessable("website must be an http(s) URL", field="website")
        account.website = changes.website
    if changes.locked is not None:
        account.locked = changes.locked
    _apply_defaults(account, changes)


async def do_update_credentials(
    session: AsyncSession,
    *,
    ctx: AppContext,
    account: Account,
    changes: ProfileChanges,
    avatar: object | None = None,
) -> Account:
    """Update the profile; an avatar is processed last, once every field is valid."""
    was_locked = account.locked
    _apply_profile(account, changes, ctx.settings)
    if avatar is not None:
        account.avatar_key = await media.process_avatar(ctx, avatar)
    account.updated_at = utcnow()
    account_changed(session, account.id)
    await session.flush()
    if was_locked and not account.locked:
        # Mastodon's rule: opening a locked account lets everyone who asked in.
        await publish(session, AccountOpened(account_id=account.id))
        await session.refresh(account)  # the counts the approvals changed
    return account


async def adjust_counts(
    session: AsyncSession,
    account_id: int,
    *,
    followers: int = 0,
    following: int = 0,
    statuses: int = 0,
    last_status_at: datetime | None = None,
) -> None:
    """Change an account's counters in the caller's transaction (never below zero)."""
    values: dict[str, object] = {"updated_at": utcnow()}
    for column, delta in (
        (Account.followers_count, followers),
        (Account.following_count, following),
        (Account.statuses_count, statuses),
    ):
        if delta:
            values[column.key] = case((column + delta < 0, 0), else_=column + delta)
    if last_status_at is not None:
        values["last_status_at"] = last_status_at
    await session.execute(
        update(Account)
        .where(Account.id == account_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    account_changed(session, account_id)


async def count_follow_requests(session: AsyncSession, *, target_id: int) -> int:
    """How many ask to follow `target_id` (the `follow_requests_count` of its source)."""
    return int(
        await session.scalar(
            select(func.count())
            .select_from(FollowRequest)
            .where(FollowRequest.target_account_id == target_id)
        )
        or 0
    )

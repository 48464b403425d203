"""Credentials: what a login (a username or an e-mail) names, and whether a password is
its own. Accounts keep the password hashes (`accounts.models.Credential`); checking them
is authentication's, and every log-in path (OAuth password grant, the authorize page,
sign-in forms) comes through here."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.accounts.models import Account, Credential
from shutter.infra.settings import Settings

# Mastodon's answer to an account whose address is not confirmed yet, when confirmation
# is required (SHUTTER_REQUIRE_EMAIL_CONFIRMATION).
UNCONFIRMED = "Your login is missing a confirmed e-mail address"
# Mastodon's answer to a disabled account (accounts/service/states.py `disable`): its
# log-ins and its tokens.
DISABLED = "Your login is currently disabled"


def password_hasher(settings: Settings) -> PasswordHasher:
    return PasswordHasher(
        time_cost=settings.argon2_time_cost, memory_cost=settings.argon2_memory_kib, parallelism=1
    )


# Verifying against a real hash of a throwaway password costs unknown logins the same
# time as known ones, so response times do not reveal which usernames exist.
_dummy_hashes: dict[tuple[int, int], str] = {}


@dataclass(frozen=True)
class Login:
    """What a login (a username or an e-mail) names."""

    normalised: str  # as accounts are looked up: spaces around dropped, lower case
    account: Account | None
    password_hash: str | None


async def find_login(session: AsyncSession, login: str) -> Login:
    """The account whose username or e-mail is `login`, in any case, spaces around ignored.

    Log-in limits count against what this finds (shutter/auth/service/grants.py), so every
    spelling that names an account shares its budget.
    """
    normalised = login.strip().lower()
    row = (
        await session.execute(
            select(Account, Credential.password_hash)
            .join(Credential, Credential.account_id == Account.id)
            .where((Credential.email_lower == normalised) | (Account.username_lower == normalised))
        )
    ).first()
    if row is None:
        return Login(normalised, None, None)
    return Login(normalised, row[0], row[1])


async def check_password(found: Login, *, settings: Settings, password: str) -> Account | None:
    """The login's account if `password` is its password and it is active, else None."""
    hasher = password_hasher(settings)
    if found.account is None or found.password_hash is None:
        key = (settings.argon2_time_cost, settings.argon2_memory_kib)
        if key not in _dummy_hashes:
            _dummy_hashes[key] = await asyncio.to_thread(hasher.hash, "not-a-real-password")
        await asyncio.to_thread(_verify, hasher, _dummy_hashes[key], password)
        return None
    if not await asyncio.to_thread(_verify, hasher, found.password_hash, password):
        return None
    if found.account.suspended_at is not None or found.account.deleted_at is not None:
        return None
    return found.account


def _verify(hasher: PasswordHasher, password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def password_matches(settings: Settings, password_hash: str, password: str) -> bool:
    """Whether `password` is the one hashed in `password_hash` (off the event loop)."""
    return await asyncio.to_thread(_verify, password_hasher(settings), password_hash, password)


async def hash_password(settings: Settings, password: str) -> str:
    return await asyncio.to_thread(password_hasher(settings).hash, password)


async def log_in_refusal(
    session: AsyncSession, *, settings: Settings, account: Account
) -> str | None:
    """Why a log-in with the right password is refused (answered with 403), or None:
    the address is unconfirmed when confirmation is required (`UNCONFIRMED`), or the
    account is disabled (`DISABLED`)."""
    if await confirmation_missing(session, settings=settings, account_id=account.id):
        return UNCONFIRMED
    if account.disabled_at is not None:
        return DISABLED
    return None


async def confirmation_missing(
    session: AsyncSession, *, settings: Settings, account_id: int
) -> bool:
    """Whether a log-in must be refused (`UNCONFIRMED`): confirmation is required and
    this account's address is not confirmed."""
    if not settings.require_email_confirmation:
        return False
    confirmed_at = await session.scalar(
        select(Credential.confirmed_at).where(Credential.account_id == account_id)
    )
    return confirmed_at is None

"""Single-use links mailed to an account: a password reset, the confirmation of its
address at sign-up, the confirmation of a new address.

A request that asks for a link only enqueues `accounts.send_link` with the address (and
the account, when known). The job makes the token — 256 random bits — stores its
SHA-256, commits, and mails the link (shutter/accounts/jobs.py). So:

- a request does the same work whether the address names an account or not (a password
  reset must not tell);
- the token is never stored, neither in `credential_tokens` nor in the job's payload:
  reading the database or its backups yields no usable link;
- a mail that fails to send retries with the job; each run makes a new token and deletes
  the account's earlier ones of that purpose, so only the last link mailed works.

A link is single-use (deleted as it is followed, by one conditional DELETE, so of two
racing uses one wins) and expires (SHUTTER_PASSWORD_RESET_TTL_SECONDS,
SHUTTER_EMAIL_CONFIRMATION_TTL_SECONDS).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.accounts import mails
from shutter.accounts.models import Account, Credential, CredentialToken
from shutter.infra.db import utcnow
from shutter.infra.jobs import JobKind, enqueue
from shutter.infra.mail import SMTP_TIMEOUT_SECONDS, Mail
from shutter.infra.settings import Settings
from shutter.policies import account_usable

PASSWORD_RESET = "password_reset"
CONFIRM_EMAIL = "confirm_email"  # the address the account signed up with
CHANGE_EMAIL = "change_email"  # a new address, the account's once confirmed
PURPOSES = (PASSWORD_RESET, CONFIRM_EMAIL, CHANGE_EMAIL)

SEND_LINK = JobKind("accounts.send_link", timeout_seconds=2 * SMTP_TIMEOUT_SECONDS)


def enqueue_link(
    session: AsyncSession, *, purpose: str, email: str, account_id: int | None = None
) -> None:
    """Mail a link for `purpose` to `email` from a job, once the transaction commits.

    A password reset names the address alone (`account_id` None): the job looks it up.
    """
    assert purpose in PURPOSES
    assert (account_id is None) == (purpose == PASSWORD_RESET)
    enqueue(session, SEND_LINK, {"purpose": purpose, "email": email, "account_id": account_id})


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _lifetime(settings: Settings, purpose: str) -> timedelta:
    if purpose == PASSWORD_RESET:
        return timedelta(seconds=settings.password_reset_ttl_seconds)
    return timedelta(seconds=settings.email_confirmation_ttl_seconds)


def link_url(settings: Settings, purpose: str, raw: str) -> str:
    if purpose == PASSWORD_RESET:
        return f"{settings.base_url}/auth/password/reset?{urlencode({'token': raw})}"
    # Mastodon's confirmation link, for both the first address and a new one.
    return f"{settings.base_url}/auth/confirmation?{urlencode({'confirmation_token': raw})}"


@dataclass(frozen=True)
class _Recipient:
    account: Account
    credential: Credential


async def _recipient(
    session: AsyncSession, *, purpose: str, email: str, account_id: int | None
) -> _Recipient | None:
    """Whom the link is for, if it is still wanted; None makes the job send nothing.

    Wanted: an active account; for a reset, the one with that address; for a first
    confirmation, an account still unconfirmed at that address; for a new address, one
    whose address is another.
    """
    query = select(Account, Credential).join(Credential, Credential.account_id == Account.id)
    if purpose == PASSWORD_RESET:
        query = query.where(Credential.email_lower == email.lower())
    else:
        query = query.where(Account.id == account_id)
    row = (await session.execute(query)).first()
    if row is None or not account_usable(row[0]):
        return None
    account, credential = row
    if purpose == CONFIRM_EMAIL and (
        credential.confirmed_at is not None or credential.email_lower != email.lower()
    ):
        return None
    if purpose == CHANGE_EMAIL and credential.email_lower == email.lower():
        return None
    return _Recipient(account, credential)


async def do_issue_link(
    session: AsyncSession, *, settings: Settings, purpose: str, email: str, account_id: int | None
) -> Mail | None:
    """A new token for `purpose`, replacing the account's earlier ones, and the mail
    that carries it; None when no link is wanted (see `_recipient`). The caller commits
    before it sends the mail."""
    found = await _recipient(session, purpose=purpose, email=email, account_id=account_id)
    if found is None:
        return None
    await discard_links(session, account_id=found.account.id, purposes=(purpose,))
    raw = secrets.token_urlsafe(32)
    lifetime = _lifetime(settings, purpose)
    now = utcnow()
    session.add(
        CredentialToken(
            token_hash=_digest(raw),
            account_id=found.account.id,
            purpose=purpose,
            email=email if purpose == CHANGE_EMAIL else found.credential.email,
            expires_at=now + lifetime,
            created_at=now,
        )
    )
    await session.flush()
    url = link_url(settings, purpose, raw)
    username = found.account.username
    if purpose == PASSWORD_RESET:
        return mails.password_reset(
            settings, to=found.credential.email, username=username, url=url, lifetime=lifetime
        )
    return mails.confirm_address(
        settings,
        to=email,
        username=username,
        url=url,
        lifetime=lifetime,
        new=purpose == CHANGE_EMAIL,
    )


async def redeem_link(
    session: AsyncSession, *, purposes: tuple[str, ...], raw: str
) -> CredentialToken | None:
    """Use a link once: its row, deleted in the caller's transaction (which a refusal
    after this rolls back, so the link stays usable); None if unknown, used or expired."""
    if not raw or len(raw) > 200:
        return None
    row = (
        await session.execute(
            delete(CredentialToken)
            .where(
                CredentialToken.token_hash == _digest(raw),
                CredentialToken.purpose.in_(purposes),
                CredentialToken.expires_at > utcnow(),
            )
            .returning(CredentialToken)
        )
    ).scalar_one_or_none()
    return row


async def find_link(session: AsyncSession, *, purpose: str, raw: str) -> CredentialToken | None:
    """The link's row if it may still be used (for a page that shows its form)."""
    if not raw or len(raw) > 200:
        return None
    return await session.scalar(
        select(CredentialToken).where(
            CredentialToken.token_hash == _digest(raw),
            CredentialToken.purpose == purpose,
            CredentialToken.expires_at > utcnow(),
        )
    )


async def discard_links(
    session: AsyncSession, *, account_id: int, purposes: tuple[str, ...] = PURPOSES
) -> None:
    """Make the account's links of these purposes unusable (used, replaced or expired)."""
    await session.execute(
        delete(CredentialToken).where(
            CredentialToken.account_id == account_id, CredentialToken.purpose.in_(purposes)
        )
    )

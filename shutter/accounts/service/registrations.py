"""Who may sign up, and the approval of those who must wait (SHUTTER_REGISTRATIONS).

`open`: anyone. `approval`: anyone, but the account is pending until an admin or
moderator approves it — its token is refused with Mastodon's 403 "Your login is
currently pending approval" (auth/deps.py) and nobody else finds it. `closed`: only
with an invite. An invite always lets its holder in at once (Mastodon's rule), and
without the `reason` asked of those who wait.
"""

from __future__ import annotations

from functools import partial
from typing import Protocol

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.accounts import mails
from shutter.accounts.events import AccountSignedUp
from shutter.accounts.models import Account, Credential
from shutter.accounts.service import do_create_account
from shutter.accounts.service.invites import use_invite
from shutter.infra.db import account_changed, utcnow
from shutter.infra.domain import publish
from shutter.infra.errors import ApiError, forbidden, not_found, unprocessable
from shutter.infra.mail import Mail, enqueue_mail
from shutter.infra.settings import Settings

MAX_REASON = 1000


class MailComposer(Protocol):
    def __call__(self, *, to: str, username: str) -> Mail: ...


CLOSED = "Registrations are closed: signing up needs an invite"


def check_reason(reason: str | None, *, required: bool) -> str | None:
    """The reason to store (None when blank); 422 when one is required and missing."""
    text = (reason or "").strip()
    if len(text) > MAX_REASON:
        raise unprocessable(f"reason is longer than {MAX_REASON} characters", field="reason")
    if required and not text:
        raise unprocessable(
            "reason is required: tell the moderators why you want to join", field="reason"
        )
    return text or None


async def do_sign_up(
    session: AsyncSession,
    *,
    settings: Settings,
    username: str,
    email: str,
    password: str,
    reason: str | None = None,
    invite_code: str | None = None,
) -> Account:
    """Create an account as the registrations mode allows; 403 while closed without an
    invite, 422 for a bad invite code, a missing reason or any sign-up rule. Everything
    happens in the caller's transaction: a refusal leaves no account and no invite use."""
    code = (invite_code or "").strip()
    mode = settings.registrations
    if mode == "closed" and not code:
        raise ApiError(403, CLOSED)
    invite_id = await use_invite(session, code) if code else None
    approved = mode == "open" or invite_id is not None
    account = await do_create_account(
        session,
        settings=settings,
        username=username,
        email=email,
        password=password,
        approved=approved,
        signup_reason=check_reason(reason, required=not approved),
        invite_id=invite_id,
    )
    await publish(session, AccountSignedUp(account_id=account.id, pending=not approved))
    return account


async def _pending(session: AsyncSession, account_id: int) -> Account:
    account = await session.get(Account, account_id)
    if account is None:
        raise not_found("Account")
    if account.approved_at is not None:
        raise forbidden("The account is not awaiting approval")
    return account


async def _tell(session: AsyncSession, account: Account, compose: MailComposer) -> None:
    """Mail the person who signed up (once the caller's transaction commits)."""
    credential = await session.get(Credential, account.id)
    if credential is not None:
        enqueue_mail(session, compose(to=credential.email, username=account.username))


async def do_approve_account(
    session: AsyncSession, *, settings: Settings, account_id: int
) -> Account:
    """Let a pending account in, and mail them: from the commit on its token works. 404
    for no such account, 403 for one that is not pending (Mastodon's admin API answers
    so)."""
    account = await _pending(session, account_id)
    account.approved_at = utcnow()
    account.updated_at = account.approved_at
    account_changed(session, account.id)  # callers remembered as pending are read again
    await session.flush()
    await _tell(session, account, partial(mails.sign_up_approved, settings))
    return account


async def do_reject_account(session: AsyncSession, *, settings: Settings, account_id: int) -> None:
    """Refuse a pending account, and mail them: it is deleted with its credential and
    tokens, and its username and address are free again (Mastodon's reject). 404 / 403
    as approval."""
    account = await _pending(session, account_id)
    account_changed(session, account.id)
    await _tell(session, account, partial(mails.sign_up_rejected, settings))
    # The foreign keys cascade (credentials, links, tokens); a pending account has
    # nothing else, since its token could not act.
    await session.execute(delete(Account).where(Account.id == account.id))


async def account_id_named(session: AsyncSession, username: str) -> int:
    """The id of the account with this username, whatever its state (for operators);
    404 if there is none."""
    account_id = await session.scalar(
        select(Account.id).where(Account.username_lower == username.strip().lstrip("@").lower())
    )
    if account_id is None:
        raise not_found("Account")
    return int(account_id)

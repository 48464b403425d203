"""Account states: suspended, silenced (Mastodon's "limited"), disabled, sensitized,
deactivated by the owner, and deleted (a tombstone whose data jobs remove).

Each state is the time it began, NULL when it does not hold; each change here is
idempotent, moves `updated_at` (the account's cached JSON and remembered callers are
read again) and, where services above must react, publishes a domain event. Who is
shown is decided in shutter/policies.py only (`account_shown`, `listed_for`); who may log
in, in shutter/auth (`check_password`, `log_in_refusal`, `authenticate`).

- suspended, deactivated, deleted: hidden everywhere; every token is revoked and every
  open stream ends at once (`do_end_access`).
- disabled: shown as before, but no log-in, and its tokens are refused (Mastodon's 403)
  while it lasts; open streams end at once.
- silenced: hidden from the public places of those who do not follow it, and its
  notifications reach only its followers.
- sensitized: its media show as sensitive (posts/schemas.py).
- deleted: the address is freed and the profile emptied now, the username stays taken;
  `AccountDeleted` makes every service above remove its data by jobs, and this
  service's own job (`PURGE`) removes its media (and avatar) and tokens.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, delete, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.accounts.events import AccountDeleted
from shutter.accounts.models import Account, Credential, CredentialToken, Invite
from shutter.auth.service import access_revoked
from shutter.auth.sessions import do_delete_tokens, do_end_access
from shutter.infra.context import session_context
from shutter.infra.db import account_changed, utcnow
from shutter.infra.domain import publish
from shutter.infra.errors import not_found, unprocessable
from shutter.infra.jobs import JobKind, enqueue
from shutter.media.service.cleanup import do_delete_account_media

# The account's own data after a deletion: media (through the media service, so every
# storage backend loses the files), tokens and mailed links. Batched, so each run is short.
PURGE = JobKind("accounts.purge", timeout_seconds=120)
PURGE_BATCH = 500

# The states `shutter accounts list --state` knows, in the order one is reported.
STATES = ("deleted", "suspended", "deactivated", "pending", "disabled", "silenced", "active")


def state_of(account: Account) -> str:
    """The account's most telling state (an operator's listing)."""
    if account.deleted_at is not None:
        return "deleted"
    if account.suspended_at is not None:
        return "suspended"
    if account.deactivated_at is not None:
        return "deactivated"
    if account.approved_at is None:
        return "pending"
    if account.disabled_at is not None:
        return "disabled"
    if account.silenced_at is not None:
        return "silenced"
    return "active"


def _holds(state: str) -> ColumnElement[bool]:
    a: Any = Account
    return {
        "deleted": a.deleted_at.is_not(None),
        "suspended": a.suspended_at.is_not(None),
        "deactivated": a.deactivated_at.is_not(None),
        "pending": a.approved_at.is_(None),
        "disabled": a.disabled_at.is_not(None),
        "silenced": a.silenced_at.is_not(None),
        "active": true(),
    }[state]


def _state_sql(state: str) -> ColumnElement[bool]:
    """`state_of(account) == state` as a SQL condition: it holds, and none before it."""
    condition = _holds(state)
    for earlier in STATES[: STATES.index(state)]:
        condition &= ~_holds(earlier)
    return condition


async def list_accounts(
    session: AsyncSession, *, state: str | None = None, role: str | None = None
) -> list[Account]:
    """Every account (for operators), oldest first; only those in `state` (`STATES`) or
    with `role` when given. 422 for an unknown state."""
    query = select(Account).order_by(Account.id)
    if state is not None:
        if state not in STATES:
            raise unprocessable("state must be one of " + ", ".join(STATES), field="state")
        query = query.where(_state_sql(state))
    if role is not None:
        query = query.where(Account.role == role)
    return list(await session.scalars(query))


async def account_named(session: AsyncSession, username: str) -> Account:
    """The account with this username whatever its state (for operators); 404 if none."""
    account = await session.scalar(
        select(Account).where(Account.username_lower == username.strip().lstrip("@").lower())
    )
    if account is None:
        raise not_found("Account")
    return account


def _changed(session: AsyncSession, account: Account) -> None:
    account.updated_at = utcnow()
    account_changed(session, account.id)


async def _end_access(session: AsyncSession, account: Account) -> None:
    """Every token of the account revoked and its open streams ended, on every instance."""
    await do_end_access(session, events=session_context(session).events, account_id=account.id)


async def suspend(session: AsyncSession, account: Account) -> None:
    """Hide the account everywhere; its tokens and open streams end."""
    if account.suspended_at is not None:
        return
    account.suspended_at = utcnow()
    _changed(session, account)
    await _end_access(session, account)
    await session.flush()


async def unsuspend(session: AsyncSession, account: Account) -> None:
    """Show the account again (its tokens stay ended: the person logs in again)."""
    if account.suspended_at is None or account.deleted_at is not None:
        return
    account.suspended_at = None
    _changed(session, account)
    await session.flush()


async def silence(session: AsyncSession, account: Account) -> None:
    """Mastodon's "limit": hidden from the public places of those who do not follow it."""
    if account.silenced_at is not None:
        return
    account.silenced_at = utcnow()
    _changed(session, account)
    await session.flush()


async def unsilence(session: AsyncSession, account: Account) -> None:
    """Lift a silence."""
    if account.silenced_at is None:
        return
    account.silenced_at = None
    _changed(session, account)
    await session.flush()


async def disable(session: AsyncSession, account: Account) -> None:
    """The account cannot log in and its tokens are refused (Mastodon's 403 "Your login is
    currently disabled") until it is enabled; open streams end now. Its content stays."""
    if account.disabled_at is not None:
        return
    account.disabled_at = utcnow()
    _changed(session, account)
    # The tokens stay (enabling restores them, as on Mastodon); the event ends the streams,
    # whose recheck then refuses a disabled account (auth/revocation.py).
    access_revoked(session, session_context(session).events, account_id=account.id)
    await session.flush()


async def enable(session: AsyncSession, account: Account) -> None:
    """Let a disabled account log in again; its tokens work again."""
    if account.disabled_at is None:
        return
    account.disabled_at = None
    _changed(session, account)
    await session.flush()


async def sensitize(session: AsyncSession, account: Account) -> None:
    """Force the account's media to show as sensitive (old posts and new)."""
    if account.sensitized_at is not None:
        return
    account.sensitized_at = utcnow()
    _changed(session, account)
    await session.flush()


async def unsensitize(session: AsyncSession, account: Account) -> None:
    """Lift a forced sensitive mark (each post's own mark stays)."""
    if account.sensitized_at is None:
        return
    account.sensitized_at = None
    _changed(session, account)
    await session.flush()


async def deactivate(session: AsyncSession, account: Account) -> None:
    """The owner's "temporarily deactivate": hidden everywhere, every token and stream
    ends; logging in again with the password makes it active (`reactivate`)."""
    if account.deactivated_at is not None:
        return
    account.deactivated_at = utcnow()
    _changed(session, account)
    await _end_access(session, account)
    await session.flush()


async def reactivate(session: AsyncSession, account: Account) -> None:
    """Undo a deactivation (its owner logged in: auth.events.DeactivatedAccountLoggedIn)."""
    if account.deactivated_at is None or account.deleted_at is not None:
        return
    account.deactivated_at = None
    _changed(session, account)
    await session.flush()


async def delete_account(session: AsyncSession, account: Account) -> None:
    """Make the account a tombstone now: hidden everywhere, tokens and streams end, the
    address is freed (it may sign up again), the profile emptied; the username stays
    reserved. Jobs then remove its data (`AccountDeleted`, `PURGE`)."""
    if account.deleted_at is not None:
        return
    now = utcnow()
    account.deleted_at = now
    account.display_name = ""
    account.note = ""
    account.website = ""
    account.locked = False
    account.statuses_count = 0
    account.last_status_at = None
    _changed(session, account)
    await _end_access(session, account)
    # The credential holds the address and the password: gone, so no log-in finds the
    # account and the address is free. Links and invites go with it.
    await session.execute(delete(CredentialToken).where(CredentialToken.account_id == account.id))
    await session.execute(delete(Invite).where(Invite.account_id == account.id))
    await session.execute(delete(Credential).where(Credential.account_id == account.id))
    await session.flush()
    await publish(session, AccountDeleted(account_id=account.id))
    enqueue(session, PURGE, {"account_id": account.id})


async def do_purge(session: AsyncSession, *, account_id: int) -> bool:
    """One batch of a deleted account's own data: its media rows (their files and the
    avatar's go after the commit, from every storage backend), then its tokens. Returns
    whether anything is left for another batch. Safe to run twice."""
    account = await session.get(Account, account_id)
    if account is None or account.deleted_at is None:
        return False  # gone, or not deleted (nothing of it may be removed)
    ctx = session_context(session)
    media = await do_delete_account_media(
        session, ctx=ctx, account_id=account_id, limit=PURGE_BATCH
    )
    if media == PURGE_BATCH:
        return True
    if account.avatar_key is not None:
        account.avatar_key = None
        _changed(session, account)
    tokens = await do_delete_tokens(session, account_id=account_id, limit=PURGE_BATCH)
    return tokens == PURGE_BATCH

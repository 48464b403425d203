"""Passwords: changing one (the current one asked) and resetting a forgotten one by mail.

A new password ends access that came from the old one: a change ends every other token
and session of the account (the one that changed it stays logged in), a reset ends them
all, and both cancel the account's pending password-reset and address-change links. The
owner hears of it by mail either way.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from shutter.accounts import mails
from shutter.accounts.models import Account, Credential
from shutter.accounts.service import check_email, check_new_password, links
from shutter.auth.credentials import hash_password, password_matches
from shutter.auth.service import Caller
from shutter.auth.sessions import do_end_access
from shutter.infra.context import AppContext
from shutter.infra.db import utcnow
from shutter.infra.errors import unprocessable
from shutter.infra.mail import enqueue_mail
from shutter.policies import account_usable

INVALID_LINK = "token is invalid or has expired"


async def check_current_password(
    session: AsyncSession, *, ctx: AppContext, account_id: int, password: str
) -> Credential:
    """The account's credential if `password` is its password, else 422.

    Each try counts against the account's log-in limit (the key `authenticate_login`
    uses), so a stolen token guesses no faster than a log-in form.
    """
    limiter = ctx.ratelimiter
    await limiter.check(limiter.login, "login", f"account:{account_id}")
    credential = await session.get(Credential, account_id)
    if credential is None or not await password_matches(
        ctx.settings, credential.password_hash, password
    ):
        raise unprocessable("current_password is incorrect", field="current_password")
    return credential


async def _set_password(
    session: AsyncSession,
    *,
    ctx: AppContext,
    account: Account,
    credential: Credential,
    password: str,
    keep_token_id: int | None,
) -> None:
    credential.password_hash = await hash_password(ctx.settings, password)
    await links.discard_links(
        session, account_id=account.id, purposes=(links.PASSWORD_RESET, links.CHANGE_EMAIL)
    )
    await do_end_access(
        session, events=ctx.events, account_id=account.id, keep_token_id=keep_token_id
    )
    enqueue_mail(
        session,
        mails.password_changed(ctx.settings, to=credential.email, username=account.username),
    )


async def do_change_password(
    session: AsyncSession, *, ctx: AppContext, caller: Caller, current_password: str, password: str
) -> None:
    """Set a new password for the caller's account; every other token of it ends."""
    assert caller.account is not None, "a user token"
    check_new_password(password)
    credential = await check_current_password(
        session, ctx=ctx, account_id=caller.account.id, password=current_password
    )
    await _set_password(
        session,
        ctx=ctx,
        account=caller.account,
        credential=credential,
        password=password,
        keep_token_id=caller.token_id,
    )


async def do_request_password_reset(session: AsyncSession, *, ctx: AppContext, email: str) -> None:
    """Mail a reset link to `email` if an account has it.

    The same work whether or not one does (one job enqueued; the job looks the address
    up), so neither the answer nor its time tells. Limited per address here, per client
    address at the gate.
    """
    address = email.strip().lower()
    check_email(address)
    limiter = ctx.ratelimiter
    await limiter.check(limiter.mail, "password_reset", f"email:{address}")
    links.enqueue_link(session, purpose=links.PASSWORD_RESET, email=address)


async def do_reset_password(
    session: AsyncSession,
    *,
    ctx: AppContext,
    token: str,
    password: str,
    password_confirmation: str | None = None,
) -> None:
    """Set the password a reset link was mailed for; the link is used up and every token
    of the account ends. The new password is checked first: a refused one leaves the
    link usable."""
    check_new_password(password)
    if password_confirmation is not None and password_confirmation != password:
        raise unprocessable(
            "password_confirmation does not match password", field="password_confirmation"
        )
    link = await links.redeem_link(session, purposes=(links.PASSWORD_RESET,), raw=token)
    account = await session.get(Account, link.account_id) if link is not None else None
    credential = await session.get(Credential, link.account_id) if link is not None else None
    if link is None or account is None or credential is None or not account_usable(account):
        raise unprocessable(INVALID_LINK, field="token")
    if credential.confirmed_at is None and credential.email_lower == link.email.lower():
        # The link reached the address: as good as its confirmation.
        credential.confirmed_at = utcnow()
    await _set_password(
        session,
        ctx=ctx,
        account=account,
        credential=credential,
        password=password,
        keep_token_id=None,
    )

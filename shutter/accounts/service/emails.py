"""E-mail addresses: confirming the one an account signed up with, and changing it.

Confirmation (when SHUTTER_REQUIRE_EMAIL_CONFIRMATION is on) follows Mastodon: the
sign-up mails a link to `/auth/confirmation`; until it is followed the account's tokens
serve only verify_credentials and the resend (auth/deps.py), and the password grant is
refused. A change is confirmed at the new address: the request (current password asked)
mails a link there and a notice to the old one, and the address changes only when the
link is followed. Whether the new address is taken is checked then, not in the request,
so asking tells no one whether an address is registered.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.accounts import mails
from shutter.accounts.models import Account, Credential
from shutter.accounts.service import check_email, email_taken, links
from shutter.accounts.service.passwords import check_current_password
from shutter.infra.context import AppContext
from shutter.infra.db import account_changed, utcnow
from shutter.infra.errors import ApiError, forbidden, unprocessable
from shutter.infra.mail import enqueue_mail
from shutter.policies import account_usable

ONLY_UNCONFIRMED = "This method is only available while the e-mail address is unconfirmed"
INVALID_LINK = "This confirmation link is invalid or has expired"
ADDRESS_TAKEN = "This address is used by another account"


async def _set_address(session: AsyncSession, credential: Credential, email: str) -> None:
    credential.email = email
    credential.email_lower = email.lower()
    try:
        await session.flush()
    except IntegrityError:  # taken between the check and the write
        raise unprocessable(ADDRESS_TAKEN, field="email") from None


async def do_resend_confirmation(
    session: AsyncSession, *, ctx: AppContext, account: Account, email: str | None = None
) -> None:
    """Mail the confirmation link again (Mastodon's POST /api/v1/emails/confirmations),
    to `email` instead when given: a mistyped address can be corrected until confirmed."""
    credential = await session.get(Credential, account.id)
    if credential is None or credential.confirmed_at is not None:
        raise forbidden(ONLY_UNCONFIRMED)
    limiter = ctx.ratelimiter
    await limiter.check(limiter.mail, "confirmation", f"account:{account.id}")
    if email is not None and email.strip().lower() != credential.email_lower:
        address = email.strip()
        check_email(address)
        # As at sign-up, which tells the same (Mastodon does too).
        if await email_taken(session, address, by_other_than=account.id):
            raise unprocessable("email is already taken", field="email")
        await _set_address(session, credential, address)
    links.enqueue_link(
        session, purpose=links.CONFIRM_EMAIL, email=credential.email, account_id=account.id
    )


async def do_confirm_email(session: AsyncSession, *, token: str) -> Account:
    """Follow a confirmation link: the address is confirmed, or (a new address) becomes
    the account's. The link is used up; any refusal leaves everything as it was."""
    link = await links.redeem_link(
        session, purposes=(links.CONFIRM_EMAIL, links.CHANGE_EMAIL), raw=token
    )
    account = await session.get(Account, link.account_id) if link is not None else None
    credential = await session.get(Credential, link.account_id) if link is not None else None
    if link is None or account is None or credential is None or not account_usable(account):
        raise ApiError(404, INVALID_LINK)
    if link.purpose == links.CONFIRM_EMAIL:
        if credential.email_lower != link.email.lower():  # corrected since: an old link
            raise ApiError(404, INVALID_LINK)
    else:
        if await email_taken(session, link.email, by_other_than=account.id):
            raise unprocessable(ADDRESS_TAKEN, field="email")
        await _set_address(session, credential, link.email)
        # Links mailed to the old address (a reset, say) must not outlive the change.
        await links.discard_links(session, account_id=account.id)
    credential.confirmed_at = utcnow()
    account_changed(session, account.id)  # remembered callers carry the confirmation
    return account


async def do_request_email_change(
    session: AsyncSession, *, ctx: AppContext, account: Account, email: str, current_password: str
) -> None:
    """Mail a link to the new address, and a notice to the old one."""
    address = email.strip()
    check_email(address)
    credential = await check_current_password(
        session, ctx=ctx, account_id=account.id, password=current_password
    )
    if address.lower() == credential.email_lower:
        raise unprocessable("email is the account's address already", field="email")
    limiter = ctx.ratelimiter
    await limiter.check(limiter.mail, "email_change", f"account:{account.id}")
    links.enqueue_link(session, purpose=links.CHANGE_EMAIL, email=address, account_id=account.id)
    enqueue_mail(
        session,
        mails.address_changing(
            ctx.settings, to=credential.email, username=account.username, new_email=address
        ),
    )

"""The owner's management of two-factor authentication (routes: auth/two_factor_api.py):
set up (password asked; a secret, its otpauth:// URI and QR code, not yet in force),
confirm with a first code (in force from then; the recovery codes shown once), disable
and make new recovery codes (password and a code asked). Enabling, disabling and new
codes are mailed to the owner. The codes themselves are checked in `second_factor.py`,
which log-ins use; why auth owns these tables is said there.

Every refusal is a 422 (429 when guessing too fast) and changes nothing.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

import pyotp
import segno
from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.accounts.models import Account, Credential
from shutter.auth import mails
from shutter.auth.credentials import password_matches
from shutter.auth.models import RecoveryCode, TwoFactor
from shutter.auth.service import second_factor
from shutter.infra.context import AppContext
from shutter.infra.db import insert_ignoring_conflicts, utcnow
from shutter.infra.errors import unprocessable
from shutter.infra.mail import enqueue_mail

NOT_ENABLED = "two-factor authentication is not enabled"
WRONG_CODE = "code is incorrect"


@dataclass(frozen=True)
class Status:
    enabled_at: datetime | None
    recovery_codes_left: int


@dataclass(frozen=True)
class Setup:
    """What an authenticator app needs: the secret, as a URI, and the URI as a QR code."""

    secret: str
    uri: str
    qr_svg: str


async def status(session: AsyncSession, account_id: int) -> Status:
    row = await second_factor.enabled_row(session, account_id)
    if row is None:
        return Status(None, 0)
    return Status(row.enabled_at, await second_factor.recovery_codes_left(session, account_id))


async def _check_password(
    session: AsyncSession, *, ctx: AppContext, account_id: int, password: str
) -> Credential:
    """The account's credential if `password` is its own, else 422. Counted against the
    account's log-in limit, as every password check is."""
    limiter = ctx.ratelimiter
    await limiter.check(limiter.login, "login", f"account:{account_id}")
    credential = await session.get(Credential, account_id)
    if credential is None or not await password_matches(
        ctx.settings, credential.password_hash, password
    ):
        raise unprocessable("current_password is incorrect", field="current_password")
    return credential


def _provisioning(ctx: AppContext, account: Account, secret: str) -> Setup:
    domain = urlsplit(ctx.settings.base_url).netloc
    uri = pyotp.TOTP(
        secret, digits=second_factor.DIGITS, interval=second_factor.STEP_SECONDS
    ).provisioning_uri(name=f"{account.username}@{domain}", issuer_name=domain)
    svg = io.BytesIO()
    segno.make(uri, error="m", micro=False).save(
        svg, kind="svg", scale=4, xmldecl=False, svgns=True, nl=False, title="Two-factor setup"
    )
    return Setup(secret, uri, svg.getvalue().decode())


async def do_setup(
    session: AsyncSession, *, ctx: AppContext, account: Account, password: str
) -> Setup:
    """A new secret for the account, waiting for its first code; a setup not confirmed
    yet is replaced."""
    await _check_password(session, ctx=ctx, account_id=account.id, password=password)
    secret = pyotp.random_base32()
    sealed = second_factor.seal_secret(ctx.settings, secret)
    # Inserted if absent, then replaced unless in force: two setups racing both succeed
    # (the last one's secret stays) rather than one colliding on the key.
    row = {"account_id": account.id, "sealed_secret": sealed, "created_at": utcnow()}
    await insert_ignoring_conflicts(session, TwoFactor.__table__, [row])
    replaced = await session.scalar(
        update(TwoFactor)
        .where(TwoFactor.account_id == account.id, TwoFactor.enabled_at.is_(None))
        .values(sealed_secret=sealed, last_step=None)
        .returning(TwoFactor.account_id)
        .execution_options(synchronize_session=False)
    )
    if replaced is None:
        raise unprocessable("two-factor authentication is already enabled; disable it first")
    return _provisioning(ctx, account, secret)


async def _replace_recovery_codes(session: AsyncSession, account_id: int) -> list[str]:
    await session.execute(delete(RecoveryCode).where(RecoveryCode.account_id == account_id))
    codes = second_factor.new_recovery_codes()
    session.add_all(
        RecoveryCode(
            account_id=account_id,
            code_hash=second_factor.recovery_hash(account_id, second_factor.normalised(code)),
        )
        for code in codes
    )
    await session.flush()
    return codes


async def _notify(session: AsyncSession, ctx: AppContext, account: Account, change: str) -> None:
    credential = await session.get(Credential, account.id)
    if credential is not None:
        mail = mails.two_factor_changed(
            ctx.settings, to=credential.email, username=account.username, change=change
        )
        enqueue_mail(session, mail)


async def do_confirm(
    session: AsyncSession, *, ctx: AppContext, account: Account, code: str, address: str | None
) -> list[str]:
    """Put the account's set-up secret in force with a current code from it; the new
    recovery codes, shown this once."""
    row = await session.get(TwoFactor, account.id, populate_existing=True)
    if row is None or row.enabled_at is not None:
        raise unprocessable("two-factor authentication is not being set up", field="code")
    await second_factor.throttle_second_factor(ctx, account.id, address=address)
    typed = second_factor.normalised(code)
    if not await second_factor.use_totp(session, ctx.settings, row, typed):
        raise unprocessable(WRONG_CODE, field="code")
    enabled = await session.scalar(
        update(TwoFactor)
        .where(TwoFactor.account_id == account.id, TwoFactor.enabled_at.is_(None))
        .values(enabled_at=utcnow())
        .returning(TwoFactor.account_id)
        .execution_options(synchronize_session=False)
    )
    if enabled is None:  # a confirmation racing this one won
        raise unprocessable("two-factor authentication is not being set up", field="code")
    codes = await _replace_recovery_codes(session, account.id)
    await _notify(session, ctx, account, mails.ENABLED)
    return codes


async def _check_owner(
    session: AsyncSession,
    *,
    ctx: AppContext,
    account: Account,
    password: str,
    code: str,
    address: str | None,
) -> None:
    """422 unless two-factor authentication is on, `password` is the account's and `code`
    a current or recovery code of it (which is then used)."""
    if await second_factor.enabled_row(session, account.id) is None:
        raise unprocessable(NOT_ENABLED, field="code")
    await _check_password(session, ctx=ctx, account_id=account.id, password=password)
    await second_factor.throttle_second_factor(ctx, account.id, address=address)
    if not await second_factor.check_code(session, ctx.settings, account.id, code):
        raise unprocessable(WRONG_CODE, field="code")


async def do_disable(
    session: AsyncSession,
    *,
    ctx: AppContext,
    account: Account,
    password: str,
    code: str,
    address: str | None,
) -> None:
    await _check_owner(
        session, ctx=ctx, account=account, password=password, code=code, address=address
    )
    await session.execute(delete(RecoveryCode).where(RecoveryCode.account_id == account.id))
    await session.execute(delete(TwoFactor).where(TwoFactor.account_id == account.id))
    await _notify(session, ctx, account, mails.DISABLED)


async def do_regenerate_recovery_codes(
    session: AsyncSession,
    *,
    ctx: AppContext,
    account: Account,
    password: str,
    code: str,
    address: str | None,
) -> list[str]:
    """New recovery codes in place of the old ones, shown this once."""
    await _check_owner(
        session, ctx=ctx, account=account, password=password, code=code, address=address
    )
    codes = await _replace_recovery_codes(session, account.id)
    await _notify(session, ctx, account, mails.RECOVERY_CODES)
    return codes

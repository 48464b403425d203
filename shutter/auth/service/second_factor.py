"""The second factor of a log-in: TOTP codes (RFC 6238) and single-use recovery codes.

Why auth owns the tables (`two_factor`, `two_factor_recovery_codes`) rather than accounts,
which owns the credentials: a second factor is checked where the password is, at
log-in, and the check writes — it records the time step a code used (a code is not
taken twice) and deletes a recovery code used. Every log-in path is auth's or above it
(the password grant, the authorize page, the website), and auth is the lowest service:
were the tables accounts', the log-in would have to write a higher service's tables or
call up to it. So auth owns them, with the routes that manage them
(`auth/two_factor_api.py`, rules in `two_factor.py` beside this); reading the owner's
address for a notice mail is reading accounts' table, which any service may.

Secrets: the TOTP secret is sealed with Fernet (AES-128-CBC and HMAC-SHA256) under a
key derived from the instance's secret key by HKDF, so that a database dump alone does
not yield it (docs/decisions/0015-two-factor.md). Recovery codes carry 80 random bits,
so their SHA-256 (with the account id) is stored, unkeyed: they keep working if the
secret key is lost, which is when a person needs them.

The website's log-in calls `requires_second_factor` and `verify_second_factor`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from functools import cache

import pyotp
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.auth.models import RecoveryCode, TwoFactor
from shutter.infra.context import AppContext
from shutter.infra.settings import Settings

STEP_SECONDS = 30
DIGITS = 6
# A code of the step before or after the current one is taken too (clocks drift, people
# type slowly), as Mastodon does.
DRIFT_STEPS = 1
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"  # base32: no 0/O, 1/l to confuse
_RECOVERY_CHARS = 16  # 80 bits
_TOTP = re.compile(r"[0-9]{6}")
_RECOVERY = re.compile(f"[{_RECOVERY_ALPHABET}]{{{_RECOVERY_CHARS}}}")


def derived_key(settings: Settings, purpose: str) -> bytes:
    """A Fernet key for `purpose`, derived from the instance's secret key."""
    return _derive(settings.secret, purpose)


@cache
def _derive(secret: str, purpose: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode())
    return base64.urlsafe_b64encode(hkdf.derive(secret.encode()))


def _sealer(settings: Settings) -> Fernet:
    return Fernet(derived_key(settings, "shutter two-factor secret"))


def seal_secret(settings: Settings, secret: str) -> str:
    return _sealer(settings).encrypt(secret.encode()).decode()


def open_secret(settings: Settings, sealed: str) -> str | None:
    """The secret, or None when it cannot be opened (the secret key changed)."""
    try:
        return _sealer(settings).decrypt(sealed.encode()).decode()
    except InvalidToken:
        return None


def new_recovery_codes() -> list[str]:
    """Fresh codes as shown to the person, in groups of four: `abcd-efgh-jkmn-pqrs`."""
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_CHARS))
        codes.append("-".join(raw[i : i + 4] for i in range(0, _RECOVERY_CHARS, 4)))
    return codes


def recovery_hash(account_id: int, code: str) -> str:
    return hashlib.sha256(f"{account_id}:{code}".encode()).hexdigest()


def normalised(code: str) -> str:
    """A code as typed, without spaces and dashes, in lower case."""
    return "".join(char for char in code if char not in " -\t").lower()


def clock() -> float:
    """Now, in seconds (tests set the time codes are checked at)."""
    return time.time()


def current_step(now: float | None = None) -> int:
    return int(now if now is not None else clock()) // STEP_SECONDS


def matching_step(secret: str, code: str, *, now: float | None = None) -> int | None:
    """The time step near now whose code is `code`, if any."""
    if not _TOTP.fullmatch(code):
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    step = current_step(now)
    for candidate in range(step - DRIFT_STEPS, step + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None


async def claim_step(session: AsyncSession, account_id: int, step: int) -> bool:
    """Record `step` as the last one used, unless it or a later one was: so a code is
    taken once, even by two log-ins racing with it."""
    claimed = await session.scalar(
        update(TwoFactor)
        .where(
            TwoFactor.account_id == account_id,
            or_(TwoFactor.last_step.is_(None), TwoFactor.last_step < step),
        )
        .values(last_step=step)
        .returning(TwoFactor.account_id)
        .execution_options(synchronize_session=False)
    )
    return claimed is not None


async def use_totp(session: AsyncSession, settings: Settings, row: TwoFactor, code: str) -> bool:
    """Whether `code` is a current TOTP code of `row`'s secret not used before (it is
    then used)."""
    secret = open_secret(settings, row.sealed_secret)
    if secret is None:
        return False
    step = matching_step(secret, code)
    return step is not None and await claim_step(session, row.account_id, step)


async def use_recovery_code(session: AsyncSession, account_id: int, code: str) -> bool:
    """Whether `code` is an unused recovery code of the account (it is then used up)."""
    if not _RECOVERY.fullmatch(code):
        return False
    used = await session.scalar(
        delete(RecoveryCode)
        .where(
            RecoveryCode.account_id == account_id,
            RecoveryCode.code_hash == recovery_hash(account_id, code),
        )
        .returning(RecoveryCode.code_hash)
        .execution_options(synchronize_session=False)
    )
    return used is not None


async def enabled_row(session: AsyncSession, account_id: int) -> TwoFactor | None:
    row = await session.get(TwoFactor, account_id, populate_existing=True)
    return row if row is not None and row.enabled_at is not None else None


async def requires_second_factor(session: AsyncSession, account_id: int) -> bool:
    """Whether a log-in of the account must give a code after its password."""
    enabled = await session.scalar(
        select(TwoFactor.enabled_at).where(TwoFactor.account_id == account_id)
    )
    return enabled is not None


async def recovery_codes_left(session: AsyncSession, account_id: int) -> int:
    count = await session.scalar(
        select(func.count()).select_from(RecoveryCode).where(RecoveryCode.account_id == account_id)
    )
    return int(count or 0)


async def throttle_second_factor(ctx: AppContext, account_id: int, *, address: str | None) -> None:
    """Count a code tried against the account's and the address's budgets; 429 (with
    `Retry-After`) once either is spent, before the code is looked at."""
    limiter = ctx.ratelimiter
    if address:
        await limiter.check(limiter.two_factor_ip, "two_factor", f"ip:{address}")
    await limiter.check(limiter.two_factor, "two_factor", f"account:{account_id}")


async def check_code(session: AsyncSession, settings: Settings, account_id: int, code: str) -> bool:
    """Whether `code` is a current TOTP code or an unused recovery code of the account's
    enabled second factor, using it up; unthrottled (callers throttle first)."""
    row = await enabled_row(session, account_id)
    if row is None:
        return False
    typed = normalised(code)
    if await use_totp(session, settings, row, typed):
        return True
    return await use_recovery_code(session, account_id, typed)


async def look_at_code(
    session: AsyncSession, settings: Settings, account_id: int, code: str
) -> None:
    """The reads `check_code` makes, changing nothing: for a log-in whose password was
    wrong, so that its time does not tell it from one whose password was right."""
    row = await enabled_row(session, account_id)
    secret = open_secret(settings, row.sealed_secret) if row is not None else None
    typed = normalised(code)
    if secret is not None:
        matching_step(secret, typed)
    await session.scalar(
        select(RecoveryCode.code_hash).where(
            RecoveryCode.account_id == account_id,
            RecoveryCode.code_hash == recovery_hash(account_id, typed),
        )
    )


async def verify_second_factor(
    session: AsyncSession, account_id: int, code: str, *, ctx: AppContext, address: str | None
) -> bool:
    """Whether `code` (TOTP or recovery code) is good for the account's log-in; it is used
    up if so. Throttled per account and per `address` (the client's IP): raises the 429
    `ApiError` when spent. False as well when the account has no second factor enabled.

    The caller's transaction must commit for the use to stick (a recovery code, a step).
    """
    await throttle_second_factor(ctx, account_id, address=address)
    return await check_code(session, ctx.settings, account_id, code)

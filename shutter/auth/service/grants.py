"""OAuth grants (RFC 6749): client credentials, password, authorization code with PKCE,
refresh token; and the codes the authorize page hands out. Each turns into a token
through the package's `issue_token`."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.accounts.models import Account
from shutter.auth.credentials import check_password, find_login, log_in_refusal
from shutter.auth.events import DeactivatedAccountLoggedIn
from shutter.auth.models import App, AuthorizationCode, Token
from shutter.auth.scopes import parse_scopes, within
from shutter.auth.service import (
    CODE_LIFETIME,
    Device,
    IssuedToken,
    OAuthError,
    access_revoked,
    digest,
    issue_token,
    new_secret,
    requested_scopes,
)
from shutter.auth.service.second_factor import requires_second_factor
from shutter.infra.db import utcnow
from shutter.infra.domain import publish
from shutter.infra.errors import ApiError
from shutter.infra.events import EventBus
from shutter.infra.ratelimit import RateLimiter
from shutter.infra.settings import Settings

# The password grant's answer for an account with two-factor authentication.
TWO_FACTOR_REQUIRED = (
    "This account uses two-factor authentication: log in through the authorization page "
    "(/oauth/authorize)"
)


async def grant_client_credentials(
    session: AsyncSession, *, app: App, scope: str | None, device: Device | None = None
) -> IssuedToken:
    return await issue_token(
        session,
        app=app,
        account=None,
        scopes=requested_scopes(app, scope),
        with_refresh=False,
        device=device,
    )


@dataclass(frozen=True)
class LoginAttempt:
    """A log-in's password checked: the account its login names (whatever the password),
    and that account if the password is its own and it may log in."""

    named: Account | None
    account: Account | None


async def attempt_login(
    session: AsyncSession, *, settings: Settings, limiter: RateLimiter, login: str, password: str
) -> LoginAttempt:
    """Check a log-in's password; every log-in path goes here (or through
    `authenticate_login`).

    The attempt counts against the log-in limit of the account the login names (of the
    normalised login when it names none) before the password is checked: 429 once spent.
    Guesses at one account share one budget however it is named (username or e-mail,
    case, spaces), and a refused guess costs no password hash.
    """
    found = await find_login(session, login)
    who = f"account:{found.account.id}" if found.account else f"login:{found.normalised}"
    await limiter.check(limiter.login, "login", who)
    account = await check_password(found, settings=settings, password=password)
    return LoginAttempt(found.account, account)


async def authenticate_login(
    session: AsyncSession, *, settings: Settings, limiter: RateLimiter, login: str, password: str
) -> Account | None:
    """The account a log-in names if the password is its own (see `attempt_login`)."""
    attempt = await attempt_login(
        session, settings=settings, limiter=limiter, login=login, password=password
    )
    return attempt.account


async def grant_password(
    session: AsyncSession,
    *,
    settings: Settings,
    limiter: RateLimiter,
    app: App,
    username: str | None,
    password: str | None,
    scope: str | None,
    device: Device | None = None,
) -> IssuedToken:
    if not username or not password:
        raise OAuthError("invalid_request", "username and password are required")
    scopes = requested_scopes(app, scope)
    attempt = await attempt_login(
        session, settings=settings, limiter=limiter, login=username, password=password
    )
    # Refused whatever the password, as Mastodon does: the grant has no room for a code,
    # and its answer must not tell a guesser that the password was right.
    if attempt.named is not None and await requires_second_factor(session, attempt.named.id):
        raise OAuthError("invalid_grant", TWO_FACTOR_REQUIRED)
    account = attempt.account
    if account is None:
        raise OAuthError("invalid_grant", "The username or password is incorrect")
    reactivated = await admit_log_in(session, settings=settings, account=account)
    issued = await issue_token(session, app=app, account=account, scopes=scopes, device=device)
    issued.reactivated = reactivated
    return issued


async def admit_log_in(session: AsyncSession, *, settings: Settings, account: Account) -> bool:
    """The last step of every log-in (password grant, authorize page, website) once the
    password (and any second factor) was right: 403 with Mastodon's message when the
    account may not log in (`log_in_refusal`), else `do_log_in` (True: reactivated)."""
    refusal = await log_in_refusal(session, settings=settings, account=account)
    if refusal is not None:
        raise ApiError(403, refusal)  # as Mastodon answers; the password was right
    return await do_log_in(session, account=account)


async def do_log_in(session: AsyncSession, *, account: Account) -> bool:
    """What a log-in admitted by the password and `log_in_refusal` changes: an account
    its owner deactivated is active again (True), as on Instagram."""
    if account.deactivated_at is None:
        return False
    await publish(session, DeactivatedAccountLoggedIn(account_id=account.id))
    return True


def pkce_matches(verifier: str, challenge: str, method: str | None) -> bool:
    """RFC 7636 with S256 only: `plain` would hand the code to whoever saw the challenge
    (codes stored with it before it was refused fail here)."""
    if (method or "S256") != "S256":
        return False
    computed = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    return hmac.compare_digest(computed.decode(), challenge)


class CodeReplayed(OAuthError):
    """A used authorization code came again, so it has likely leaked (RFC 6749 §4.1.2).

    The tokens issued from it are revoked in the session: the route answers this error
    instead of raising it, so that the revocation commits.
    """

    def __init__(self) -> None:
        super().__init__("invalid_grant", "The authorization code is invalid or expired")


async def grant_authorization_code(
    session: AsyncSession,
    *,
    events: EventBus,
    app: App,
    code: str | None,
    redirect_uri: str | None,
    code_verifier: str | None,
    device: Device | None = None,
) -> IssuedToken:
    """Redeem a code once, with the redirect URI it was issued for (RFC 6749 §4.1.3)."""
    if not code:
        raise OAuthError("invalid_request", "code is required")
    if not redirect_uri:
        raise OAuthError("invalid_request", "redirect_uri is required")
    code_hash = digest(code)
    stored = await session.get(AuthorizationCode, code_hash)
    if stored is None or stored.app_id != app.id:
        raise OAuthError("invalid_grant", "The authorization code is invalid or expired")
    if stored.used_at is not None:
        await _revoke_issued_from(session, events, code_hash=code_hash)
        raise CodeReplayed()
    if stored.expires_at < utcnow():
        raise OAuthError("invalid_grant", "The authorization code is invalid or expired")
    if redirect_uri != stored.redirect_uri:
        raise OAuthError("invalid_grant", "redirect_uri does not match the authorization request")
    if stored.code_challenge and not (
        code_verifier
        and pkce_matches(code_verifier, stored.code_challenge, stored.code_challenge_method)
    ):
        raise OAuthError("invalid_grant", "The PKCE code_verifier does not match")
    # Claimed with a condition, so of two redemptions racing only one gets a token; the
    # other is a replay.
    claimed = await session.scalar(
        update(AuthorizationCode)
        .where(AuthorizationCode.code_hash == code_hash, AuthorizationCode.used_at.is_(None))
        .values(used_at=utcnow())
        .returning(AuthorizationCode.code_hash)
        .execution_options(synchronize_session=False)
    )
    if claimed is None:
        await _revoke_issued_from(session, events, code_hash=code_hash)
        raise CodeReplayed()
    account = await _active_account(session, stored.account_id)
    return await issue_token(
        session,
        app=app,
        account=account,
        scopes=stored.scopes.split(),
        code_hash=code_hash,
        device=device,
    )


async def _active_account(session: AsyncSession, account_id: int) -> Account:
    """The account a grant is for; a suspended, disabled, deactivated or deleted one gets
    no new token (a deactivated owner logs in with their password again)."""
    account = await session.get(Account, account_id)
    if account is None or (
        account.suspended_at is not None
        or account.disabled_at is not None
        or account.deactivated_at is not None
        or account.deleted_at is not None
    ):
        raise OAuthError("invalid_grant", "The account is not active")
    return account


async def _revoke_issued_from(session: AsyncSession, events: EventBus, *, code_hash: str) -> None:
    revoked = await session.execute(
        update(Token)
        .where(Token.code_hash == code_hash, Token.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .returning(Token.id, Token.account_id)
    )
    for token_id, account_id in revoked:
        if account_id is not None:
            access_revoked(session, events, account_id=account_id, token_id=token_id)


async def grant_refresh_token(
    session: AsyncSession,
    *,
    events: EventBus,
    app: App,
    refresh_token: str | None,
    scope: str | None,
    device: Device | None = None,
) -> IssuedToken:
    """Exchange a refresh token for a new pair; the old access token is revoked (rotation)."""
    if not refresh_token:
        raise OAuthError("invalid_request", "refresh_token is required")
    old = await session.scalar(select(Token).where(Token.refresh_hash == digest(refresh_token)))
    if old is None or old.app_id != app.id or old.revoked_at is not None or old.account_id is None:
        raise OAuthError("invalid_grant", "The refresh token is invalid")
    scopes = old.scopes.split()
    if scope:
        try:
            requested = parse_scopes(scope)
        except ValueError as exc:
            raise OAuthError("invalid_scope", str(exc)) from None
        if not within(requested, scopes):
            raise OAuthError("invalid_scope", "A refresh cannot widen the token's scopes")
        scopes = requested
    old.revoked_at = utcnow()
    old.refresh_hash = None
    access_revoked(session, events, account_id=old.account_id, token_id=old.id)
    account = await _active_account(session, old.account_id)
    return await issue_token(
        session, app=app, account=account, scopes=scopes, code_hash=old.code_hash, device=device
    )


async def do_create_code(
    session: AsyncSession,
    *,
    app: App,
    account: Account,
    redirect_uri: str,
    scopes: list[str],
    code_challenge: str | None,
    code_challenge_method: str | None,
) -> str:
    raw = new_secret()
    session.add(
        AuthorizationCode(
            code_hash=digest(raw),
            app_id=app.id,
            account_id=account.id,
            redirect_uri=redirect_uri,
            scopes=" ".join(scopes),
            code_challenge=code_challenge,
            code_challenge_method=code_challenge_method if code_challenge else None,
            expires_at=utcnow() + CODE_LIFETIME,
        )
    )
    await session.flush()
    return raw

"""OAuth 2: apps, tokens, callers and revocation; the grants that issue tokens are in
`grants.py` beside this.

Tokens, refresh tokens and codes are 256-bit random strings; only their SHA-256 is
stored, so reading the database does not yield a usable credential.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import Select, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.accounts.models import Account, Credential
from shutter.auth.models import App, Token
from shutter.auth.redirects import check_redirect_uris
from shutter.auth.scopes import parse_scopes, within
from shutter.auth.usage import Device, Usage
from shutter.infra.db import account_changed, utcnow
from shutter.infra.errors import ApiError, unprocessable
from shutter.infra.events import Event, EventBus, access_channel
from shutter.infra.ids import ids

CODE_LIFETIME = timedelta(minutes=10)

# An app's website: an http(s) URI (RFC 3986) with a host name, as its entity documents
# it (`format: uri`), since clients show it as a link. No user part, no IP literal.
_URI_CHAR = r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})"
_WEBSITE = re.compile(
    r"https?://[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]{1,5})?"
    rf"(?:/{_URI_CHAR}*)?(?:\?(?:{_URI_CHAR}|\?)*)?(?:#(?:{_URI_CHAR}|\?)*)?"
)


class OAuthError(ApiError):
    """An RFC 6749 error: `{"error": code, "error_description": text}`."""

    def __init__(self, code: str, description: str, status: int = 400) -> None:
        super().__init__(status, code, extra={"error_description": description})


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    return secrets.token_urlsafe(32)


async def do_register_app(
    session: AsyncSession,
    *,
    name: str,
    redirect_uris: str | list[str],
    scopes: str | None,
    website: str | None,
) -> App:
    uris = check_redirect_uris(redirect_uris)
    if website and not _WEBSITE.fullmatch(website):
        raise unprocessable("website must be an http(s) URL", field="website")
    try:
        scope_list = parse_scopes(scopes)
    except ValueError as exc:
        raise ApiError(422, f"Validation failed: scopes: {exc}") from None
    app = App(
        id=ids.next_id(0),
        name=name.strip(),
        website=website or None,
        redirect_uris="\n".join(uris),
        scopes=" ".join(scope_list),
        client_id=secrets.token_urlsafe(32),
        client_secret=secrets.token_urlsafe(32),
    )
    session.add(app)
    await session.flush()
    return app


async def access_client(
    session: AsyncSession, client_id: str | None, client_secret: str | None
) -> App:
    """The app these client credentials belong to, or `invalid_client` (401)."""
    if not client_id or not client_secret:
        raise OAuthError("invalid_client", "Client authentication failed", 401)
    app = await session.scalar(select(App).where(App.client_id == client_id))
    # Compared as bytes: compare_digest refuses str with non-ASCII characters (a 500).
    if app is None or not hmac.compare_digest(app.client_secret.encode(), client_secret.encode()):
        raise OAuthError("invalid_client", "Client authentication failed", 401)
    return app


async def app_by_client_id(session: AsyncSession, client_id: str) -> App | None:
    if not client_id:
        return None
    return await session.scalar(select(App).where(App.client_id == client_id))


def requested_scopes(app: App, raw: str | None) -> list[str]:
    try:
        requested = parse_scopes(raw, default=app.scopes)
    except ValueError as exc:
        raise OAuthError("invalid_scope", str(exc)) from None
    if not within(requested, app.scopes.split()):
        raise OAuthError("invalid_scope", "The requested scope exceeds what the app registered")
    return requested


@dataclass
class IssuedToken:
    token: Token
    raw: str
    raw_refresh: str | None
    # The log-in made the account, which its owner had deactivated, active again.
    reactivated: bool = False


async def issue_token(
    session: AsyncSession,
    *,
    app: App,
    account: Account | None,
    scopes: list[str],
    with_refresh: bool = True,
    code_hash: str | None = None,
    device: Device | None = None,
) -> IssuedToken:
    """A new token; `code_hash` names the authorization code it comes from (directly or
    by refreshes), so that a replay of the code can take it back; `device` is the client
    it is issued to (for the owner's sessions list)."""
    raw = new_secret()
    raw_refresh = new_secret() if with_refresh and account is not None else None
    token = Token(
        id=ids.next_id(0 if account is None else account.id),
        token_hash=digest(raw),
        refresh_hash=digest(raw_refresh) if raw_refresh else None,
        app_id=app.id,
        account_id=account.id if account else None,
        scopes=" ".join(scopes),
        created_at=utcnow(),
        code_hash=code_hash,
        issued_ip=device.ip if device else None,
        issued_user_agent=device.user_agent if device else None,
    )
    session.add(token)
    await session.flush()
    return IssuedToken(token, raw, raw_refresh)


async def do_revoke(session: AsyncSession, *, events: EventBus, app: App, raw_token: str) -> None:
    """Revoke an access or refresh token of this app (unknown tokens are not an error)."""
    hashed = digest(raw_token)
    revoked = await session.execute(
        update(Token)
        .where(
            ((Token.token_hash == hashed) | (Token.refresh_hash == hashed))
            & (Token.app_id == app.id)
            & Token.revoked_at.is_(None)
        )
        .values(revoked_at=utcnow())
        .returning(Token.id, Token.account_id)
    )
    for token_id, account_id in revoked:
        if account_id is not None:  # app tokens have no caller to forget, nor streams
            access_revoked(session, events, account_id=account_id, token_id=token_id)


def access_revoked(
    session: AsyncSession, events: EventBus, *, account_id: int, token_id: int | None = None
) -> None:
    """Note, in the transaction that does it, that a token of the account (every token of
    it when `token_id` is None) stops authenticating.

    After the commit, every instance forgets the account's remembered callers
    (`account_changed`) and ends the token's open streams (auth/revocation.py). Whatever
    ends access (revocation, a new password, suspension, deletion) calls this.
    """
    account_changed(session, account_id)
    event: Event = {"event": "revoked"}
    if token_id is not None:
        event["token_id"] = token_id
    events.publish(session, access_channel(account_id), event)


@dataclass(frozen=True)
class Caller:
    """Who is calling: the token's scopes, its app and (for user tokens) the account."""

    token_id: int
    app_id: int
    scopes: frozenset[str]
    account: Account | None
    expires_at: datetime | None = None
    # Whether the account's address is confirmed (app tokens: True). Routes refuse an
    # unconfirmed one when confirmation is required (auth/deps.py).
    confirmed: bool = True
    # When the token was last known used; shared, and changed, by every request of a
    # remembered caller (auth/usage.py), so it takes no part in comparisons.
    usage: Usage = field(default_factory=Usage, compare=False)


@cache
def _caller_query() -> Select[Token, Account, datetime | None]:
    # Built once: every API request runs it, and building it (and its cache key) per
    # request cost about as much as running it.
    # The credential's confirmation comes in the same statement (a primary-key join),
    # not in a query of its own on every request.
    return (
        select(Token, Account, Credential.confirmed_at)
        .outerjoin(Account, Account.id == Token.account_id)
        .outerjoin(Credential, Credential.account_id == Token.account_id)
        .where(Token.token_hash == bindparam("token_hash"))
    )


async def authenticate(session: AsyncSession, raw_token: str) -> Caller | None:
    """The caller behind a bearer token, or None when it is unknown, revoked or expired."""
    row = (await session.execute(_caller_query(), {"token_hash": digest(raw_token)})).first()
    if row is None:
        return None
    token, account, confirmed_at = row
    if token.revoked_at is not None:
        return None
    if token.expires_at is not None and token.expires_at < utcnow():
        return None
    if account is not None and (
        account.suspended_at is not None
        or account.deactivated_at is not None
        or account.deleted_at is not None
    ):
        # Their tokens were revoked when it happened; one issued in a race is refused too.
        # A disabled account's tokens stay, refused by the routes (auth/deps.py).
        return None
    scopes = frozenset(token.scopes.split())
    confirmed = account is None or confirmed_at is not None
    usage = Usage(token.last_used_at)
    return Caller(token.id, token.app_id, scopes, account, token.expires_at, confirmed, usage)


async def access_app(session: AsyncSession, app_id: int) -> App:
    app = await session.get(App, app_id)
    if app is None:
        raise ApiError(401, "The access token is invalid")
    return app


async def issue_sign_up_token(
    session: AsyncSession, *, caller: Caller, account: Account, device: Device | None = None
) -> IssuedToken:
    """The first token of an account signed up with an app token: that token's scopes.

    Not every scope the app registered (which Mastodon gives): an app token narrowed to
    `write:accounts` must not mint a wider user token.
    """
    app = await access_app(session, caller.app_id)
    token = await session.get(Token, caller.token_id)
    # The token's own order (what the client asked for); the set if it is gone.
    scopes = token.scopes.split() if token is not None else sorted(caller.scopes)
    return await issue_token(session, app=app, account=account, scopes=scopes, device=device)

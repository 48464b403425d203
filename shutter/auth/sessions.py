"""An account's sessions (its live tokens) and authorised apps: listing and ending them.

A password change ends every token of the account but the one that changed it; a reset
by mail ends them all; the owner may end one token, every other one, or every token of
an app. Unused authorization codes go too when all of the account's (or an app's) access
ends, or an authorize page opened before would still yield a token after it. Each ended
token's streams end within moments on every instance, and every instance forgets its
remembered callers (`access_revoked`, auth/revocation.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.auth.models import App, AuthorizationCode, Token
from shutter.auth.service import access_revoked
from shutter.infra.db import utcnow
from shutter.infra.errors import not_found
from shutter.infra.events import EventBus


def _live(account_id: int) -> ColumnElement[bool]:
    """The account's tokens that still authenticate (neither revoked nor expired)."""
    return (
        (Token.account_id == account_id)
        & Token.revoked_at.is_(None)
        & (Token.expires_at.is_(None) | (Token.expires_at > utcnow()))
    )


async def list_sessions(session: AsyncSession, *, account_id: int) -> list[tuple[Token, App]]:
    """The account's live tokens with their apps, the most recently used first (a token
    never used counts as used when issued)."""
    result = await session.execute(
        select(Token, App).join(App, App.id == Token.app_id).where(_live(account_id))
    )
    rows = [(token, app) for token, app in result]
    return sorted(
        rows, key=lambda row: (row[0].last_used_at or row[0].created_at, row[0].id), reverse=True
    )


@dataclass(frozen=True)
class AuthorizedApp:
    """An app holding live tokens of an account: what they grant together, and when."""

    app: App
    scopes: list[str]
    authorized_at: datetime  # its oldest live token's issue
    last_used_at: datetime | None  # its tokens' latest use


def group_by_app(sessions: Sequence[tuple[Token, App]]) -> list[AuthorizedApp]:
    """`list_sessions` grouped per app, in the order of each app's latest session."""
    tokens_of: dict[int, list[Token]] = {}
    apps: dict[int, App] = {}
    for token, app in sessions:
        tokens_of.setdefault(app.id, []).append(token)
        apps[app.id] = app
    grouped = []
    for app_id, tokens in tokens_of.items():
        scopes = list(dict.fromkeys(scope for token in tokens for scope in token.scopes.split()))
        uses = [token.last_used_at for token in tokens if token.last_used_at is not None]
        grouped.append(
            AuthorizedApp(
                app=apps[app_id],
                scopes=scopes,
                authorized_at=min(token.created_at for token in tokens),
                last_used_at=max(uses, default=None),
            )
        )
    return grouped


async def do_revoke_session(
    session: AsyncSession, *, events: EventBus, account_id: int, token_id: int
) -> None:
    """Revoke one live token of the account; 404 if it has none of that id (another
    account's token included: the answer does not tell it exists)."""
    revoked = await session.scalar(
        update(Token)
        .where(_live(account_id), Token.id == token_id)
        .values(revoked_at=utcnow())
        .returning(Token.id)
        .execution_options(synchronize_session=False)
    )
    if revoked is None:
        raise not_found("Session")
    access_revoked(session, events, account_id=account_id, token_id=token_id)


async def do_revoke_app(
    session: AsyncSession, *, events: EventBus, account_id: int, app_id: int
) -> int:
    """Revoke every token the app holds for the account, and its unused codes for it;
    404 if the app holds no live token of the account. Returns how many were revoked."""
    revoked = (
        (
            await session.execute(
                update(Token)
                .where(_live(account_id), Token.app_id == app_id)
                .values(revoked_at=utcnow())
                .returning(Token.id)
                .execution_options(synchronize_session=False)
            )
        )
        .scalars()
        .all()
    )
    if not revoked:
        raise not_found("Authorized app")
    await session.execute(
        delete(AuthorizationCode).where(
            AuthorizationCode.account_id == account_id,
            AuthorizationCode.app_id == app_id,
            AuthorizationCode.used_at.is_(None),
        )
    )
    for token_id in revoked:
        access_revoked(session, events, account_id=account_id, token_id=token_id)
    return len(revoked)


async def do_end_access(
    session: AsyncSession, *, events: EventBus, account_id: int, keep_token_id: int | None = None
) -> int:
    """Revoke every token of the account except `keep_token_id`, and its unused codes, in
    the caller's transaction; returns how many tokens were revoked."""
    still_valid = (Token.account_id == account_id) & Token.revoked_at.is_(None)
    if keep_token_id is not None:
        still_valid &= Token.id != keep_token_id
    revoked = (
        (
            await session.execute(
                update(Token)
                .where(still_valid)
                .values(revoked_at=utcnow())
                .returning(Token.id)
                .execution_options(synchronize_session=False)
            )
        )
        .scalars()
        .all()
    )
    await session.execute(
        delete(AuthorizationCode).where(
            AuthorizationCode.account_id == account_id, AuthorizationCode.used_at.is_(None)
        )
    )
    if keep_token_id is None:
        # One event for the account: every stream of it ends.
        access_revoked(session, events, account_id=account_id)
    else:
        for token_id in revoked:
            access_revoked(session, events, account_id=account_id, token_id=token_id)
    return len(revoked)


async def do_delete_tokens(session: AsyncSession, *, account_id: int, limit: int) -> int:
    """Delete up to `limit` of a deleted account's tokens (revoked when it was deleted) and
    its authorization codes; returns how many tokens went (fewer than `limit`: all)."""
    ids = list(
        await session.scalars(select(Token.id).where(Token.account_id == account_id).limit(limit))
    )
    if ids:
        await session.execute(delete(Token).where(Token.id.in_(ids)))
    await session.execute(
        delete(AuthorizationCode).where(AuthorizationCode.account_id == account_id)
    )
    return len(ids)

"""Who is calling: bearer-token dependencies for routes, with Mastodon's scope checks."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import timedelta
from functools import partial
from typing import Annotated, Any

from fastapi import BackgroundTasks, Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.accounts.models import Account
from shutter.auth import service
from shutter.auth.callers import caller_cache
from shutter.auth.credentials import DISABLED, UNCONFIRMED
from shutter.auth.gate import caller_version
from shutter.auth.scopes import covers
from shutter.auth.service import Caller
from shutter.auth.usage import device_of, do_record_use
from shutter.infra.context import AppContext
from shutter.infra.db import on_replica, utcnow
from shutter.infra.deps import ReadSession, context_of
from shutter.infra.errors import ApiError
from shutter.infra.http import bearer_token
from shutter.infra.replicas import client_key


async def optional_caller(
    request: Request, session: ReadSession, background: BackgroundTasks
) -> Caller | None:
    """The token's caller; 401 for a token that is present but not valid.

    It shares the request's read session (FastAPI resolves a dependency once per
    request), so a read route costs one session, not two. A user token's use is
    recorded after the response, at most once per interval (auth/usage.py).
    """
    raw = bearer_token(request.headers.get("authorization"), request.query_params)
    if raw is None:
        return None
    caller = await caller_of_token(request, session, background, raw)
    if caller is None:
        raise ApiError(401, "The access token is invalid")
    return caller


async def caller_of_token(
    request: Request, session: AsyncSession, background: BackgroundTasks, raw: str
) -> Caller | None:
    """The caller of a raw token however it came (a bearer header, the website's
    session cookie), or None when it is not valid; remembered, counted and recorded
    as `optional_caller` says."""
    ctx = context_of(request)
    load = partial(_load_caller, request, ctx, session, raw)
    # Reads may use a caller this process remembers (see shutter/auth/callers.py); a
    # write reads its caller in its own request, and so does a read served by a replica,
    # whose lag would let a remembered caller outlive a change.
    if request.method == "GET" and not on_replica(session):
        caller = await caller_cache(ctx).lookup(raw, load, caller_version(request))
    else:
        caller = await load()
    if caller is None:
        return None
    # From now on this token's requests count against its account's budget (or, for an
    # app token, its own), no longer against its address.
    await ctx.ratelimiter.learn_caller(raw, caller.account.id if caller.account else None)
    if caller.account is not None:
        _record_use(request, ctx, background, caller)
    return caller


def _record_use(
    request: Request, ctx: AppContext, background: BackgroundTasks, caller: Caller
) -> None:
    """Write the token's last use after the response if it is due (no query if not)."""
    now = utcnow()
    interval = timedelta(seconds=ctx.settings.token_use_interval_seconds)
    if caller.usage.claim(now, interval):
        background.add_task(
            do_record_use,
            ctx,
            token_id=caller.token_id,
            device=device_of(request),
            used_at=now,
            interval=interval,
        )


async def _load_caller(
    request: Request, ctx: AppContext, session: AsyncSession, raw: str
) -> Caller | None:
    caller = await service.authenticate(session, raw)
    if caller is None and on_replica(session):
        # A token issued a moment ago may not have reached the replica yet.
        async with ctx.db.read() as primary:
            caller = await service.authenticate(primary, raw)
        if caller is not None:
            await ctx.db.sticky.mark(client_key(request))
    return caller


OptionalCaller = Annotated[Caller | None, Depends(optional_caller)]


def _check_scope(caller: Caller, scope: str | None) -> None:
    """`scope` may name alternatives separated by spaces; any one of them suffices."""
    if scope and not any(covers(caller.scopes, option) for option in scope.split()):
        raise ApiError(403, "This action is outside the authorized scopes")


def app_token(scope: str | None = None) -> Callable[..., Coroutine[Any, Any, Caller]]:
    """Any valid token, user or app-only (for sign-up and app endpoints)."""

    async def dependency(caller: OptionalCaller) -> Caller:
        if caller is None:
            raise ApiError(401, "The access token is invalid")
        _check_scope(caller, scope)
        return caller

    return dependency


def _check_confirmed(request: Request, caller: Caller) -> None:
    """Mastodon's rule while an account's address is unconfirmed (and confirmation is
    required): its token serves only the routes that say so (verify_credentials, the
    resend of the confirmation mail)."""
    if not caller.confirmed and context_of(request).settings.require_email_confirmation:
        raise ApiError(403, UNCONFIRMED)


# Mastodon's answer to the token of an account awaiting approval (SHUTTER_REGISTRATIONS).
PENDING_APPROVAL = "Your login is currently pending approval"


def _check_approved(caller: Caller) -> None:
    """Mastodon's rule while an account awaits approval: its token (issued at sign-up,
    or by a log-in) serves only the routes that say so (the confirmation mail's resend)."""
    if caller.account is not None and caller.account.approved_at is None:
        raise ApiError(403, PENDING_APPROVAL)


def _check_enabled(caller: Caller) -> None:
    """Mastodon's rule for a disabled account: every route refuses its tokens (they work
    again once it is enabled)."""
    if caller.account is not None and caller.account.disabled_at is not None:
        raise ApiError(403, DISABLED)


def user_caller(
    scope: str | None = None, *, unconfirmed: bool = False, pending: bool = False
) -> Callable[..., Coroutine[Any, Any, Caller]]:
    """The caller of a user token holding `scope` (for routes that need the token itself);
    401 without one, 403 if out of scope, the address is unconfirmed or the account
    awaits approval (unless `unconfirmed` / `pending` allow it)."""

    async def dependency(request: Request, caller: OptionalCaller) -> Caller:
        if caller is None:
            raise ApiError(401, "The access token is invalid")
        if caller.account is None:
            raise ApiError(422, "This method requires an authenticated user")
        _check_scope(caller, scope)
        _check_enabled(caller)
        if not unconfirmed:
            _check_confirmed(request, caller)
        if not pending:
            _check_approved(caller)
        return caller

    return dependency


def user(
    scope: str | None = None, *, unconfirmed: bool = False, pending: bool = False
) -> Callable[..., Coroutine[Any, Any, Account]]:
    """The account behind a user token holding `scope`; 401 without one, 403 if out of
    scope, the address is unconfirmed or the account awaits approval (unless
    `unconfirmed` / `pending` allow it)."""
    of_caller = user_caller(scope, unconfirmed=unconfirmed, pending=pending)

    async def dependency(request: Request, caller: OptionalCaller) -> Account:
        checked = await of_caller(request, caller)
        assert checked.account is not None
        return checked.account

    return dependency


def optional_user(scope: str | None = None) -> Callable[..., Coroutine[Any, Any, Account | None]]:
    """The viewing account if a user token is given (public reads work without one)."""

    async def dependency(request: Request, caller: OptionalCaller) -> Account | None:
        if caller is None or caller.account is None:
            return None
        _check_scope(caller, scope)
        _check_enabled(caller)
        _check_confirmed(request, caller)
        _check_approved(caller)
        return caller.account

    return dependency

"""Who is browsing: the web session behind the cookie, as route dependencies.

- `Browsing` — a `WebSession` for any page (signed in or not).
- `SignedIn` — a `WebSession` whose `account` is set; a visitor is sent to /login
  (with `next` = this page) instead.
- `Posted` — for every state change (POST): a `WebSession` whose request passed the
  CSRF checks (shutter/web/csrf.py); signed-in or not (log-in and sign-up use it too).
  `SignedInPosted` also needs the account.

The cookie holds a raw token of the "Shutter website" app (auth/web_sessions.py); it is
resolved exactly as a bearer token is (auth/deps.caller_of_token: remembered callers,
revocation, rate-limit identity, last use), so an ended session stops working at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import BackgroundTasks, Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from shutter.accounts.models import Account
from shutter.accounts.schemas import account_json
from shutter.auth.deps import caller_of_token
from shutter.auth.web_sessions import SESSION_COOKIE, covers_website
from shutter.infra.deps import ReadSession, context_of
from shutter.web.csrf import (
    ANONYMOUS_COOKIE,
    CSRF_FIELD,
    CSRF_HEADER,
    check_csrf,
    csrf_token,
    new_visitor_id,
)

# A web session lasts until its person logs out or it is revoked, like an app's token;
# the cookie outlives a browser restart.
SESSION_MAX_AGE = 400 * 24 * 3600  # the longest a browser keeps a cookie (RFC 6265bis)


_VISITOR_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


class LoginRequired(Exception):
    """A signed-in page was asked for without a session: the route class answers 303
    to /login?next=<path>."""


class NotReady(Exception):
    """The account may not use the site yet (awaiting approval, address unconfirmed):
    the route class answers a notice page saying so, with a log-out button."""

    def __init__(self, title: str, message: str) -> None:
        super().__init__(message)
        self.title = title
        self.message = message


PENDING = NotReady(
    "Waiting for approval",
    "Thanks for signing up! A moderator of this server will look at your request soon; "
    "you can use Shutter as soon as it is approved.",
)
DISABLED = NotReady(
    "Log-in disabled",
    "A moderator disabled the log-in of this account. Your posts stay as they are; "
    "write to the administrator of this server to ask why.",
)
UNCONFIRMED = NotReady(
    "Confirm your email",
    "We sent a link to your email address. Open it to confirm the address, then come back.",
)


@dataclass
class WebSession:
    """The browsing person (`account` None for a visitor) and their CSRF token."""

    account: Account | None
    token_id: int | None
    raw_token: str | None
    csrf: str
    csrf_seed: str
    # A visitor's random id, set as a cookie by `render` when it is new.
    visitor_id: str | None = None
    new_visitor: bool = False
    viewer: dict[str, Any] | None = None
    # The cookie named a session that no longer works: the answer clears it.
    stale_cookie: bool = False
    confirmed: bool = True
    # Unread notifications, for the navigation's "Notifications, N new" (signed-in pages).
    unread: int = 0
    # Conversations with an unread message, for the navigation's "Messages, N new".
    unread_messages: int = 0


async def browsing(
    request: Request, session: ReadSession, background: BackgroundTasks
) -> WebSession:
    # Kept on the request too, for the error and notice pages (web/routing.py).
    request.state.web = web = await _resolve(request, session, background)
    return web


def visitor_session(request: Request) -> WebSession:
    """The session an error page shows when none was resolved: its CSRF token works
    only with the visitor cookie the browser already has (none is set here)."""
    found: WebSession | None = getattr(request.state, "web", None)
    if found is not None:
        return found
    visitor = request.cookies.get(ANONYMOUS_COOKIE) or ""
    seed = f"visitor:{visitor}"
    secret = context_of(request).settings.secret
    return WebSession(None, None, None, csrf_token(secret, seed=seed), seed)


async def _resolve(
    request: Request, session: AsyncSession, background: BackgroundTasks
) -> WebSession:
    ctx = context_of(request)
    secret = ctx.settings.secret
    raw = request.cookies.get(SESSION_COOKIE)
    if raw:
        caller = await caller_of_token(request, session, background, raw)
        if caller is not None and caller.account is not None and covers_website(caller.scopes):
            seed = f"token:{caller.token_id}"
            return WebSession(
                account=caller.account,
                token_id=caller.token_id,
                raw_token=raw,
                csrf=csrf_token(secret, seed=seed),
                csrf_seed=seed,
                viewer=account_json(caller.account, ctx.settings),
                confirmed=caller.confirmed,
            )
    visitor = request.cookies.get(ANONYMOUS_COOKIE)
    new = not (visitor and len(visitor) <= 64 and _VISITOR_CHARS.issuperset(visitor))
    if new:
        visitor = new_visitor_id()
    assert visitor is not None
    seed = f"visitor:{visitor}"
    return WebSession(
        account=None,
        token_id=None,
        raw_token=None,
        csrf=csrf_token(secret, seed=seed),
        csrf_seed=seed,
        visitor_id=visitor,
        new_visitor=new,
        stale_cookie=bool(raw),
    )


Browsing = Annotated[WebSession, Depends(browsing)]


def _check_ready(request: Request, web: WebSession) -> WebSession:
    """The rules auth/deps.py applies to an app's token (disabled, pending, unconfirmed),
    applied to a web session: a notice page instead of Mastodon's 403."""
    account = web.account
    if account is None:
        raise LoginRequired()
    if account.disabled_at is not None:
        raise DISABLED
    if account.approved_at is None:
        raise PENDING
    if not web.confirmed and context_of(request).settings.require_email_confirmation:
        raise UNCONFIRMED
    return web


# Sent by the pages' scripts for a part of a page (a feed's next posts, search results):
# the page answers only that partial (static/js/http.js getFragment).
FRAGMENT_HEADER = "x-shutter-fragment"


def whole_page(request: Request) -> bool:
    """Whether the answer is a whole page, whose navigation shows the unread count (not
    a fragment, nor a script's JSON: media polling, suggestions, new-post counts)."""
    return FRAGMENT_HEADER not in request.headers and "application/json" not in (
        request.headers.get("accept", "")
    )


async def signed_in(request: Request, web: Browsing, session: ReadSession) -> WebSession:
    _check_ready(request, web)
    if whole_page(request):
        await count_for_nav(web, session)
    return web


async def count_for_nav(web: WebSession, session: AsyncSession) -> None:
    """The navigation's counts of a whole page, into `web` (web/unread.py)."""
    # Imported here: the notifications service is far above what this module needs.
    from shutter.web.unread import nav_counts

    assert web.account is not None
    web.unread, web.unread_messages = await nav_counts(session, web.account.id)


SignedIn = Annotated[WebSession, Depends(signed_in)]


async def signed_in_uncounted(request: Request, web: Browsing) -> WebSession:
    """`SignedIn` leaving the navigation's counts to the route: Home reads them along
    its feed page (web/unread.home_along)."""
    return _check_ready(request, web)


SignedInUncounted = Annotated[WebSession, Depends(signed_in_uncounted)]


async def posted(request: Request, web: Browsing) -> WebSession:
    """The CSRF checks of a state change; the form (if any) is parsed once and kept on
    the request, so the route reads it again with `await request.form()` for free."""
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        sent = await _csrf_field(request)
    check_csrf(request, secret=context_of(request).settings.secret, seed=web.csrf_seed, sent=sent)
    return web


async def _csrf_field(request: Request) -> str | None:
    """The `csrf` field of a form or JSON body (both parsed once, kept on the request)."""
    content_type = request.headers.get("content-type", "")
    value: object = None
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        value = (await request.form()).get(CSRF_FIELD)
    elif content_type.startswith("application/json"):
        try:
            body = await request.json()
        except ValueError:
            return None  # the parameters' model answers the bad body
        value = body.get(CSRF_FIELD) if isinstance(body, dict) else None
    return value if isinstance(value, str) else None


Posted = Annotated[WebSession, Depends(posted)]


async def signed_in_posted(request: Request, web: Posted) -> WebSession:
    return _check_ready(request, web)


SignedInPosted = Annotated[WebSession, Depends(signed_in_posted)]


def remember_visitor(response: Response, web: WebSession, *, https: bool) -> None:
    """Set the visitor cookie a new visitor's CSRF token is bound to; drop a dead session."""
    if web.new_visitor and web.visitor_id:
        response.set_cookie(
            ANONYMOUS_COOKIE, web.visitor_id, httponly=True, secure=https, samesite="lax"
        )
    if web.stale_cookie:
        response.delete_cookie(SESSION_COOKIE, httponly=True, secure=https, samesite="lax")


def set_session_cookie(response: Response, raw_token: str, *, https: bool) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        raw_token,
        max_age=SESSION_MAX_AGE,
        httponly=True,
        secure=https,
        samesite="lax",
    )


def clear_session_cookie(response: Response, *, https: bool) -> None:
    response.delete_cookie(SESSION_COOKIE, httponly=True, secure=https, samesite="lax")

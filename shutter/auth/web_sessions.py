"""Web sessions: the website's log-ins are tokens of one first-party app.

A person logged in on the website holds an ordinary access token of the app named
"Shutter website", kept in an HttpOnly cookie instead of an app's storage. Being a token
like any other, a web session is listed with the account's sessions, ends with a new
password, a revocation or a suspension (auth/sessions.py, revocation.py), and records
its last use (auth/usage.py) — no second kind of session with rules of its own.

The website's CSRF token is derived from the session's token id (see shutter/web/csrf.py),
so it changes with every log-in and needs no storage.
"""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.accounts.models import Account
from shutter.auth.models import App
from shutter.auth.service import IssuedToken, do_revoke, issue_token
from shutter.auth.usage import Device
from shutter.infra.events import EventBus
from shutter.infra.ids import ids

WEBSITE_APP_NAME = "Shutter website"
# A fixed client id names the first-party app: found again by every process, and no
# client of the API can register it (registered ids are random).
WEBSITE_CLIENT_ID = "shutter-website"
# What the website may do on its person's behalf: everything a full Mastodon app may.
WEBSITE_SCOPES = ["read", "write", "follow", "push"]


def covers_website(scopes: frozenset[str]) -> bool:
    """Whether a token may stand behind a web session: the pages do all the website
    does, so a token whose scopes fall short of the website's (an app's read-only token
    pasted into the cookie) must not open them."""
    return scopes.issuperset(WEBSITE_SCOPES)


# The cookie holding the raw token (the gate reads it too, to count a person's pages).
SESSION_COOKIE = "shutter_session"


async def website_app(session: AsyncSession) -> App:
    """The website's app, registered on first use (two first log-ins may race: the
    unique client id keeps one, and the loser reads it)."""
    found = await session.scalar(select(App).where(App.client_id == WEBSITE_CLIENT_ID))
    if found is not None:
        return found
    app = App(
        id=ids.next_id(0),
        name=WEBSITE_APP_NAME,
        website=None,
        redirect_uris="urn:ietf:wg:oauth:2.0:oob",
        scopes=" ".join(WEBSITE_SCOPES),
        client_id=WEBSITE_CLIENT_ID,
        # Never used: the website's tokens are issued here, not through /oauth/token.
        client_secret=secrets.token_urlsafe(32),
    )
    try:
        async with session.begin_nested():
            session.add(app)
    except IntegrityError:
        raced = await session.scalar(select(App).where(App.client_id == WEBSITE_CLIENT_ID))
        assert raced is not None
        return raced
    return app


async def do_open_web_session(
    session: AsyncSession, *, account: Account, device: Device | None
) -> IssuedToken:
    """A new web session (a token of the website's app) for an account whose log-in
    was checked (grants.attempt_login, and second_factor.verify_second_factor when it
    has one: shutter/web/pages/sessions.py)."""
    app = await website_app(session)
    return await issue_token(
        session, app=app, account=account, scopes=WEBSITE_SCOPES, with_refresh=False, device=device
    )


async def do_end_web_session(session: AsyncSession, *, events: EventBus, raw_token: str) -> None:
    """Log out: revoke the session's token (an unknown or ended one is no error)."""
    app = await website_app(session)
    await do_revoke(session, events=events, app=app, raw_token=raw_token)

"""The authorize page's log-in with a second factor: the password, then a code.

A login that names an account with two-factor authentication gets the code page after
its password, whether the password was right or not: the page carries the verdict
sealed (`seal_pending`: Fernet under a key derived from the secret key, bound to the
authorization request, for five minutes), and only the code step opens it. So a guesser
learns whether a password was right only by also giving a good code; what the pages
tell is that the account asks for one, as Mastodon's do. The code step is throttled
per account and per address either way (auth/service/second_factor.py), and a wrong
password never gets its code looked at, so no recovery code is spent on it.

The website's log-in (shutter/web) can use the same pieces: `grants.attempt_login`,
`second_factor.requires_second_factor` / `verify_second_factor`, and the pending state
here, bound to whatever its form is for.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from html import escape

from cryptography.fernet import Fernet, InvalidToken
from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import HTMLResponse, Response

from shutter.accounts.models import Account
from shutter.auth.pages import authorize_page, page
from shutter.auth.schemas import AuthorizeParams
from shutter.auth.service import grants, second_factor
from shutter.auth.usage import device_of
from shutter.infra.context import AppContext
from shutter.infra.settings import Settings

PENDING_LIFETIME_SECONDS = 300
# A sealed state is some 200 characters; anything much longer is not one.
_MAX_PENDING_CHARS = 1000
WRONG_CODE = "Wrong password or code."
EXPIRED = "The log-in expired; log in again."


@dataclass(frozen=True)
class PendingLogin:
    """A log-in between its password and its code."""

    account_id: int
    password_ok: bool


def _fernet(settings: Settings) -> Fernet:
    return Fernet(second_factor.derived_key(settings, "shutter pending log-in"))


def _digest(bound_to: str) -> str:
    # A digest, not the text: an authorization request's `state` may be long, and the
    # sealed state should not grow with it.
    return hashlib.sha256(bound_to.encode(errors="surrogatepass")).hexdigest()


def seal_pending(settings: Settings, *, account_id: int, password_ok: bool, bound_to: str) -> str:
    """The state a code page carries; `bound_to` names what the log-in is for (the
    authorization request), so the state serves no other."""
    # The verdict as 1 or 0: `true` and `false` differ in length, and so might the state.
    payload = json.dumps([account_id, int(password_ok), _digest(bound_to)], separators=(",", ":"))
    return _fernet(settings).encrypt(payload.encode()).decode()


def open_pending(settings: Settings, sealed: str, *, bound_to: str) -> PendingLogin | None:
    """The log-in `sealed` carries, or None if it is not one, has expired or was made for
    something else."""
    if not sealed.isascii() or len(sealed) > _MAX_PENDING_CHARS:
        return None
    try:
        raw = _fernet(settings).decrypt(sealed.encode(), ttl=PENDING_LIFETIME_SECONDS)
        account_id, password_ok, bound = json.loads(raw)
    except (InvalidToken, ValueError, TypeError):
        return None
    if (
        not isinstance(bound, str)
        or not hmac.compare_digest(bound, _digest(bound_to))
        or not isinstance(account_id, int)
        or password_ok not in (0, 1)
    ):
        return None
    return PendingLogin(account_id, password_ok == 1)


def second_factor_page(
    app_name: str, fields: dict[str, str], csrf: str, pending: str, *, error: str | None
) -> str:
    hidden = "".join(
        f'<input type=hidden name="{escape(k)}" value="{escape(v)}">' for k, v in fields.items()
    )
    problem = f"<p class=error role=alert>{escape(error)}</p>" if error else ""
    body = (
        "<h1>Shutter</h1>"
        f"<p><strong>{escape(app_name)}</strong> would like to use your account.</p>"
        "<p>Enter the code your authenticator app shows, or one of your recovery codes.</p>"
        f'{problem}<form method=post action="/oauth/authorize">{hidden}'
        f'<input type=hidden name=csrf value="{escape(csrf)}">'
        f'<input type=hidden name=pending value="{escape(pending)}">'
        "<label for=otp_attempt>Two-factor code</label>"
        "<input id=otp_attempt name=otp_attempt type=text autocomplete=one-time-code "
        "autocapitalize=none spellcheck=false autofocus required>"
        "<button type=submit name=decision value=allow>Log in and authorize</button>"
        "<button type=submit name=decision value=deny class=deny formnovalidate>Deny</button>"
        "</form>"
    )
    return page("Two-factor authentication", body)


def _bound(fields: dict[str, str]) -> str:
    return "authorize " + json.dumps(sorted(fields.items()), separators=(",", ":"))


async def authorize_log_in(
    request: Request,
    ctx: AppContext,
    session: AsyncSession,
    body: AuthorizeParams,
    *,
    app_name: str,
    scopes: list[str],
    fields: dict[str, str],
    csrf: str,
) -> Account | Response:
    """The account the authorize form logs in, or the page to answer instead: the code
    page (after the password, for an account with two-factor authentication), or the
    form again with what was wrong."""
    if body.pending is not None:
        return await _code_step(request, ctx, session, body, app_name, scopes, fields, csrf)
    attempt = await grants.attempt_login(
        session,
        settings=ctx.settings,
        limiter=ctx.ratelimiter,
        login=body.username or "",
        password=body.password or "",
    )
    named = attempt.named
    if named is not None and await second_factor.requires_second_factor(session, named.id):
        pending = seal_pending(
            ctx.settings,
            account_id=named.id,
            password_ok=attempt.account is not None,
            bound_to=_bound(fields),
        )
        return HTMLResponse(second_factor_page(app_name, fields, csrf, pending, error=None))
    if attempt.account is None:
        page = authorize_page(app_name, scopes, fields, csrf, error="Wrong login or password.")
        return HTMLResponse(page, status_code=401)
    return attempt.account


async def _code_step(
    request: Request,
    ctx: AppContext,
    session: AsyncSession,
    body: AuthorizeParams,
    app_name: str,
    scopes: list[str],
    fields: dict[str, str],
    csrf: str,
) -> Account | Response:
    sealed = body.pending or ""
    pending = open_pending(ctx.settings, sealed, bound_to=_bound(fields))
    if pending is None:
        page = authorize_page(app_name, scopes, fields, csrf, error=EXPIRED)
        return HTMLResponse(page, status_code=401)
    address = device_of(request).ip
    code = body.otp_attempt or ""
    # The same throttle and about the same work whatever the password was, so that
    # neither a 429 nor the time of the answer tells.
    if pending.password_ok:
        good = await second_factor.verify_second_factor(
            session, pending.account_id, code, ctx=ctx, address=address
        )
    else:
        await second_factor.throttle_second_factor(ctx, pending.account_id, address=address)
        await second_factor.look_at_code(session, ctx.settings, pending.account_id, code)
        good = False
    account = await session.get(Account, pending.account_id) if good else None
    if account is None:
        page = second_factor_page(app_name, fields, csrf, sealed, error=WRONG_CODE)
        return HTMLResponse(page, status_code=401)
    return account

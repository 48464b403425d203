"""Log-in, sign-up and log-out: the website's web sessions (auth/web_sessions.py).

These form routes open their write transaction themselves (`async with
ctx.db.write()`): a refusal raised inside it rolls everything back (no account without
its session, no invite used up), and the form is shown again with the service's message
and what the person typed (never the password).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from shutter.accounts.models import Account
from shutter.accounts.service import registrations
from shutter.auth.service import grants, second_factor
from shutter.auth.two_factor_login import EXPIRED, WRONG_CODE, open_pending, seal_pending
from shutter.auth.usage import device_of
from shutter.auth.web_sessions import do_end_web_session, do_open_web_session
from shutter.infra.context import AppContext
from shutter.infra.deps import Ctx
from shutter.infra.errors import ApiError
from shutter.infra.params import params
from shutter.instance.rules import rule_book
from shutter.web.forms import CsrfForm, LogInCodeForm, LogInForm, SignUpForm
from shutter.web.routing import done, safe_next, see_other, wants_json, web_router
from shutter.web.session import (
    Browsing,
    Posted,
    WebSession,
    clear_session_cookie,
    set_session_cookie,
)
from shutter.web.templating import is_https, render

router = web_router()

WRONG_LOGIN = "The username, email or password is incorrect."


def _open_session(request: Request, ctx: AppContext, raw_token: str, to: str) -> Response:
    response = done(request, to)
    set_session_cookie(response, raw_token, https=is_https(request, ctx.settings))
    return response


# --- log in -------------------------------------------------------------------------


def _login_page(
    request: Request, web: WebSession, *, login: str = "", error: str | None = None, status: int
) -> Response:
    return render(
        request,
        web,
        "pages/login.html",
        {"login": login, "error": error, "next": safe_next(request.query_params.get("next"))},
        status=status,
    )


@router.get("/login")
async def login_form(request: Request, web: Browsing) -> Response:
    if web.account is not None:
        return see_other(safe_next(request.query_params.get("next")))
    return _login_page(request, web, status=200)


@router.post("/login")
async def login(
    request: Request, ctx: Ctx, form: LogInForm = params(LogInForm), *, web: Posted
) -> Response:
    to = safe_next(form.next)
    try:
        async with ctx.db.write() as session:
            if not form.username.strip() or not form.password:
                raise ApiError(401, WRONG_LOGIN)
            attempt = await grants.attempt_login(
                session,
                settings=ctx.settings,
                limiter=ctx.ratelimiter,
                login=form.username,
                password=form.password,
            )
            named = attempt.named
            if named is not None and await second_factor.requires_second_factor(session, named.id):
                # The code step comes whether the password was right or not: only a
                # good code tells (auth/two_factor_login.py).
                sealed = seal_pending(
                    ctx.settings,
                    account_id=named.id,
                    password_ok=attempt.account is not None,
                    bound_to=_bound(web),
                )
                return _code_page(request, web, pending=sealed, next_path=to, status=200)
            if attempt.account is None:
                raise ApiError(401, WRONG_LOGIN)
            await grants.admit_log_in(session, settings=ctx.settings, account=attempt.account)
            issued = await do_open_web_session(
                session, account=attempt.account, device=device_of(request)
            )
    except ApiError as exc:
        if exc.status == 429 or wants_json(request):
            raise  # the route class answers it (JSON for a script)
        return _login_page(request, web, login=form.username, error=exc.message, status=exc.status)
    return _open_session(request, ctx, issued.raw, to)


# --- the second step: a code, for accounts with two-factor authentication ------------


def _bound(web: WebSession) -> str:
    """What a pending log-in is bound to: this browser's visitor session."""
    return "website " + web.csrf_seed


def _code_page(
    request: Request,
    web: WebSession,
    *,
    pending: str,
    next_path: str,
    status: int,
    error: str | None = None,
) -> Response:
    return render(
        request,
        web,
        "pages/login_code.html",
        {"pending": pending, "next": next_path, "error": error},
        status=status,
    )


@router.post("/login/code")
async def login_code(
    request: Request, ctx: Ctx, form: LogInCodeForm = params(LogInCodeForm), *, web: Posted
) -> Response:
    to = safe_next(form.next)
    pending = open_pending(ctx.settings, form.pending, bound_to=_bound(web))
    if pending is None:
        if wants_json(request):
            raise ApiError(401, EXPIRED)
        return _login_page(request, web, error=EXPIRED, status=401)
    address = device_of(request).ip
    async with ctx.db.write() as session:
        # The same throttle and about the same work whatever the password was.
        if pending.password_ok:
            good = await second_factor.verify_second_factor(
                session, pending.account_id, form.code, ctx=ctx, address=address
            )
        else:
            await second_factor.throttle_second_factor(ctx, pending.account_id, address=address)
            await second_factor.look_at_code(session, ctx.settings, pending.account_id, form.code)
            good = False
        account = await session.get(Account, pending.account_id) if good else None
        if account is not None:
            await grants.admit_log_in(session, settings=ctx.settings, account=account)
        issued = (
            await do_open_web_session(session, account=account, device=device_of(request))
            if account is not None
            else None
        )
    if issued is None:
        if wants_json(request):
            raise ApiError(401, WRONG_CODE)
        return _code_page(
            request, web, pending=form.pending, next_path=to, status=401, error=WRONG_CODE
        )
    return _open_session(request, ctx, issued.raw, to)


# --- sign up ------------------------------------------------------------------------


async def _signup_page(
    request: Request,
    ctx: AppContext,
    web: WebSession,
    *,
    values: dict[str, str] | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    values = dict.fromkeys(("username", "email", "reason", "invite_code"), "") | (values or {})
    invite = values["invite_code"] or request.query_params.get("invite", "")[:200]
    return render(
        request,
        web,
        "pages/signup.html",
        {
            "values": {**values, "invite_code": invite},
            "error": error,
            "mode": ctx.settings.registrations,
            "closed_message": ctx.settings.registrations_message,
            "rules": await rule_book(ctx).current(ctx),
        },
        status=status,
    )


@router.get("/signup")
async def signup_form(request: Request, ctx: Ctx, web: Browsing) -> Response:
    if web.account is not None:
        return see_other("/home")
    return await _signup_page(request, ctx, web)


@router.post("/signup")
async def signup(
    request: Request, ctx: Ctx, form: SignUpForm = params(SignUpForm), *, web: Posted
) -> Response:
    values = {
        "username": form.username,
        "email": form.email,
        "reason": form.reason or "",
        "invite_code": form.invite_code or "",
    }
    rules = await rule_book(ctx).current(ctx)
    try:
        if rules and form.agreement != "yes":
            raise ApiError(422, "Please accept the rules of this server to sign up.")
        async with ctx.db.write() as session:
            account = await registrations.do_sign_up(
                session,
                settings=ctx.settings,
                username=values["username"],
                email=values["email"],
                password=form.password,
                reason=values["reason"] or None,
                invite_code=values["invite_code"] or None,
            )
            issued = await do_open_web_session(session, account=account, device=device_of(request))
    except ApiError as exc:
        if exc.status == 429 or wants_json(request):
            raise  # the route class answers it (JSON for a script)
        return await _signup_page(
            request, ctx, web, values=values, error=exc.message, status=exc.status
        )
    return _open_session(request, ctx, issued.raw, "/home")


# --- log out ------------------------------------------------------------------------


@router.post("/logout")
async def logout(
    request: Request, ctx: Ctx, form: CsrfForm = params(CsrfForm), *, web: Posted
) -> Response:
    if web.raw_token is not None:
        async with ctx.db.write() as session:
            await do_end_web_session(session, events=ctx.events, raw_token=web.raw_token)
    response = done(request, "/")
    clear_session_cookie(response, https=is_https(request, ctx.settings))
    return response

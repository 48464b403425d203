"""Settings: the page, and its account forms — default audience, password, e-mail,
sessions and authorised apps. Two-factor, export/import and leaving are in
settings_account.py.

Every form route opens its write transaction itself (`async with ctx.db.write()`), so a
refusal rolls back and the page is shown again, 4xx, with the service's message in the
section it belongs to; a success is 303 back to /settings with a notice named in
`NOTICES` (never text from the request).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from shutter.accounts import service as accounts
from shutter.accounts.service import passwords
from shutter.accounts.service.emails import do_request_email_change
from shutter.archive import service as archive
from shutter.archive.service import imports
from shutter.auth import service as auth
from shutter.auth import sessions
from shutter.auth.service import Caller, two_factor
from shutter.auth.web_sessions import WEBSITE_CLIENT_ID
from shutter.infra.context import AppContext
from shutter.infra.deps import Ctx
from shutter.infra.errors import ApiError
from shutter.infra.params import params
from shutter.web.forms import CsrfForm
from shutter.web.routing import done, see_other, wants_json, web_router
from shutter.web.session import FRAGMENT_HEADER, SignedIn, SignedInPosted, WebSession
from shutter.web.settings_forms import DefaultsForm, EmailForm, PasswordForm
from shutter.web.templating import render

router = web_router()

NOTICES = {
    "defaults": "Your post defaults are saved.",
    "password": "Your password is changed. Your other sessions have ended.",
    "email": "Check your new address: we sent it a link to confirm the change.",
    "revoked": "That session has ended.",
    "others": "All your other sessions have ended.",
    "app": "That app's access has ended.",
    "two_factor_off": "Two-factor authentication is off.",
    "export": "Your archive is being prepared.",
    "import": "Your list is being imported.",
}


async def _caller(session: Any, web: WebSession) -> Caller:
    """The web session as the services' Caller (its token, scopes and account)."""
    assert web.raw_token is not None
    caller = await auth.authenticate(session, web.raw_token)
    if caller is None or caller.account is None:
        raise ApiError(401, "Log in to do this")
    return caller


async def settings_page(
    request: Request,
    ctx: AppContext,
    web: WebSession,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
    extra: dict[str, Any] | None = None,
) -> Response:
    """The settings page as it is now, with `errors` by section (a refusal)."""
    account = web.account
    assert account is not None
    async with ctx.db.read() as session:
        live = await sessions.list_sessions(session, account_id=account.id)
        tfa = await two_factor.status(session, account.id)
        exports = await archive.list_exports(session, account_id=account.id)
        imported = await imports.list_imports(session, account_id=account.id)
    apps = [a for a in sessions.group_by_app(live) if a.app.client_id != WEBSITE_CLIENT_ID]
    context = {
        "account": account,
        "sessions": live,
        "apps": apps,
        "current_token_id": web.token_id,
        "two_factor": tfa,
        "exports": exports,
        "imports": imported[:5],
        "errors": errors or {},
        "values": values or {},
        "notice": NOTICES.get(request.query_params.get("done", "")),
        **(extra or {}),
    }
    if request.headers.get(FRAGMENT_HEADER) == "exports":
        return render(request, web, "partials/settings_exports.html", context, status=status)
    return render(request, web, "pages/settings.html", context, status=status)


def refused(request: Request, exc: ApiError) -> bool:
    """Whether a refusal is shown in the form (else the route class answers it)."""
    return not (exc.status == 429 or wants_json(request))


async def in_settings(
    request: Request,
    ctx: AppContext,
    web: WebSession,
    section: str,
    work: Callable[[AsyncSession], Awaitable[object]],
    *,
    values: dict[str, str] | None = None,
) -> Response | None:
    """Run a settings form's `work` in one write transaction: None once it is done; on
    a refusal the transaction rolls back and the answer is the settings page with the
    message in `section` (429s and scripts' requests are the route class's to answer)."""
    try:
        async with ctx.db.write() as session:
            await work(session)
    except ApiError as exc:
        if not refused(request, exc):
            raise
        return await settings_page(
            request, ctx, web, errors={section: exc.message}, values=values, status=exc.status
        )
    return None


@router.get("/settings")
async def settings(request: Request, ctx: Ctx, web: SignedIn) -> Response:
    return await settings_page(request, ctx, web)


@router.post("/web/settings/defaults")
async def defaults(
    request: Request, ctx: Ctx, form: DefaultsForm = params(DefaultsForm), *, web: SignedInPosted
) -> Response:
    assert web.account is not None
    changes = accounts.ProfileChanges(privacy=form.privacy, sensitive=form.sensitive == "true")
    async with ctx.db.write() as session:
        await accounts.do_update_credentials(
            session, ctx=ctx, account=await session.merge(web.account), changes=changes
        )
    return done(request, "/settings?done=defaults#defaults")


@router.post("/web/settings/password")
async def change_password(
    request: Request, ctx: Ctx, form: PasswordForm = params(PasswordForm), *, web: SignedInPosted
) -> Response:
    async def work(session: AsyncSession) -> None:
        await passwords.do_change_password(
            session,
            ctx=ctx,
            caller=await _caller(session, web),
            current_password=form.current_password,
            password=form.password,
        )

    page = await in_settings(request, ctx, web, "password", work)
    return page or done(request, "/settings?done=password#password")


@router.post("/web/settings/email")
async def change_email(
    request: Request, ctx: Ctx, form: EmailForm = params(EmailForm), *, web: SignedInPosted
) -> Response:
    account = web.account
    assert account is not None

    async def work(session: AsyncSession) -> None:
        await do_request_email_change(
            session,
            ctx=ctx,
            account=account,
            email=form.email,
            current_password=form.current_password,
        )

    page = await in_settings(request, ctx, web, "email", work, values={"email": form.email})
    return page or done(request, "/settings?done=email#email")


# --- sessions and authorised apps ----------------------------------------------------


@router.post("/web/settings/sessions/{token_id:id}/revoke")
async def revoke_session(
    request: Request,
    ctx: Ctx,
    token_id: int,
    form: CsrfForm = params(CsrfForm),
    *,
    web: SignedInPosted,
) -> Response:
    assert web.account is not None
    async with ctx.db.write() as session:
        await sessions.do_revoke_session(
            session, events=ctx.events, account_id=web.account.id, token_id=token_id
        )
    if token_id == web.token_id:
        return see_other("/")  # this browser's own session: it is logged out
    return done(request, "/settings?done=revoked#sessions")


@router.post("/web/settings/sessions/revoke_others")
async def revoke_others(
    request: Request, ctx: Ctx, form: CsrfForm = params(CsrfForm), *, web: SignedInPosted
) -> Response:
    assert web.account is not None
    async with ctx.db.write() as session:
        await sessions.do_end_access(
            session, events=ctx.events, account_id=web.account.id, keep_token_id=web.token_id
        )
    return done(request, "/settings?done=others#sessions")


@router.post("/web/settings/apps/{app_id:id}/revoke")
async def revoke_app(
    request: Request,
    ctx: Ctx,
    app_id: int,
    form: CsrfForm = params(CsrfForm),
    *,
    web: SignedInPosted,
) -> Response:
    assert web.account is not None
    async with ctx.db.write() as session:
        await sessions.do_revoke_app(
            session, events=ctx.events, account_id=web.account.id, app_id=app_id
        )
    return done(request, "/settings?done=app#apps")

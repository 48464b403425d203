"""Routes of passwords and addresses: Mastodon's resend of the confirmation mail, and
Shutter's own routes where Mastodon has only web forms (docs/api.md), with the pages the
mailed links open."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import HTMLResponse, Response

from shutter.accounts import pages
from shutter.accounts.models import Account
from shutter.accounts.schemas import (
    ConfirmationParams,
    ConfirmationResendParams,
    EmailChangeParams,
    PasswordChangeParams,
    PasswordResetConfirmParams,
    PasswordResetParams,
    ResetPageParams,
)
from shutter.accounts.service import emails, passwords
from shutter.accounts.service.links import PASSWORD_RESET, find_link
from shutter.auth.deps import user, user_caller
from shutter.auth.service import Caller
from shutter.infra.deps import Ctx, ReadSession, WriteSession
from shutter.infra.errors import ApiError
from shutter.infra.http import NO_STORE, json_response
from shutter.infra.params import params

router = APIRouter()

_LINK_GONE = "This link is invalid or has expired. Ask for a new one."


def _html(body: str, *, status: int = 200) -> Response:
    return HTMLResponse(body, status_code=status, headers=pages.HEADERS)


def _wants_html(request: Request) -> bool:
    """A browser posting the reset form (it asks for HTML); scripts get JSON."""
    return "text/html" in request.headers.get("accept", "")


@router.post("/api/v1/shutter/password")
async def change_password(
    ctx: Ctx,
    session: WriteSession,
    caller: Annotated[Caller, Depends(user_caller("write:accounts"))],
    body: PasswordChangeParams = params(PasswordChangeParams),
) -> Response:
    await passwords.do_change_password(
        session,
        ctx=ctx,
        caller=caller,
        current_password=body.current_password,
        password=body.password,
    )
    return json_response({})


@router.post("/api/v1/shutter/password/reset")
async def request_password_reset(
    ctx: Ctx, session: WriteSession, body: PasswordResetParams = params(PasswordResetParams)
) -> Response:
    await passwords.do_request_password_reset(session, ctx=ctx, email=body.email)
    return json_response({}, status=202)


@router.get("/auth/password/reset")
async def password_reset_page(
    session: ReadSession, query: ResetPageParams = params(ResetPageParams)
) -> Response:
    if await find_link(session, purpose=PASSWORD_RESET, raw=query.token) is None:
        return _html(pages.message("Link expired", _LINK_GONE), status=404)
    return _html(pages.reset_form(query.token))


@router.post("/api/v1/shutter/password/reset/confirm")
async def confirm_password_reset(
    request: Request,
    ctx: Ctx,
    body: PasswordResetConfirmParams = params(PasswordResetConfirmParams),
) -> Response:
    # Its own transaction rather than the WriteSession dependency: the form answers a
    # refusal as a page, and the refusal must still roll back (the link stays usable).
    try:
        async with ctx.db.write() as session:
            await passwords.do_reset_password(
                session,
                ctx=ctx,
                token=body.token,
                password=body.password,
                password_confirmation=body.password_confirmation,
            )
    except ApiError as refused:
        if not _wants_html(request):
            raise
        if refused.message.endswith(passwords.INVALID_LINK):
            return _html(pages.message("Link expired", _LINK_GONE), status=refused.status)
        problem = refused.message.removeprefix("Validation failed: ")
        return _html(pages.reset_form(body.token, error=problem), status=refused.status)
    if _wants_html(request):
        return _html(
            pages.message("Password changed", "Your new password is set. Log in with it again.")
        )
    return json_response({}, headers=NO_STORE)


@router.post("/api/v1/emails/confirmations")
async def resend_confirmation(
    ctx: Ctx,
    session: WriteSession,
    me: Annotated[Account, Depends(user("write:accounts", unconfirmed=True, pending=True))],
    body: ConfirmationResendParams = params(ConfirmationResendParams),
) -> Response:
    await emails.do_resend_confirmation(session, ctx=ctx, account=me, email=body.email)
    return json_response({})


@router.get("/auth/confirmation")
async def confirm_email(
    ctx: Ctx, query: ConfirmationParams = params(ConfirmationParams)
) -> Response:
    try:
        async with ctx.db.write() as session:
            await emails.do_confirm_email(session, token=query.confirmation_token)
    except ApiError as refused:
        text = refused.message.removeprefix("Validation failed: ")
        return _html(pages.message("Not confirmed", text), status=refused.status)
    return _html(pages.message("Address confirmed", "Your e-mail address is confirmed."))


@router.post("/api/v1/shutter/email")
async def change_email(
    ctx: Ctx,
    session: WriteSession,
    me: Annotated[Account, Depends(user("write:accounts"))],
    body: EmailChangeParams = params(EmailChangeParams),
) -> Response:
    await emails.do_request_email_change(
        session, ctx=ctx, account=me, email=body.email, current_password=body.current_password
    )
    return json_response({}, status=202)

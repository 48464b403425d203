"""OAuth 2 and app routes: /api/v1/apps, /oauth/token, /oauth/revoke, /oauth/authorize,
/oauth/userinfo."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import HTMLResponse, RedirectResponse, Response

from shutter.auth import service
from shutter.auth.deps import app_token
from shutter.auth.models import App
from shutter.auth.pages import authorize_page, code_page, sign_form, verify_form
from shutter.auth.redirects import OOB, redirect_problem
from shutter.auth.schemas import (
    AppParams,
    AuthorizeParams,
    RevokeParams,
    TokenParams,
    app_json,
    token_json,
)
from shutter.auth.scopes import KNOWN, parse_scopes, within
from shutter.auth.service import Caller, OAuthError, grants
from shutter.auth.two_factor_login import authorize_log_in
from shutter.auth.usage import device_of
from shutter.infra.deps import Ctx, ReadSession, WriteSession
from shutter.infra.errors import ApiError, error_response
from shutter.infra.http import NO_STORE, json_response
from shutter.infra.params import params, text_problem

router = APIRouter()


@router.post("/api/v1/apps")
async def create_app(session: WriteSession, body: AppParams = params(AppParams)) -> Response:
    app = await service.do_register_app(
        session,
        name=body.client_name,
        redirect_uris=body.redirect_uris,
        scopes=body.scopes,
        website=body.website,
    )
    return json_response(app_json(app, with_secret=True), headers=NO_STORE)


@router.get("/api/v1/apps/verify_credentials")
async def verify_app(
    session: ReadSession, caller: Annotated[Caller, Depends(app_token())]
) -> Response:
    app = await service.access_app(session, caller.app_id)
    return json_response(app_json(app, with_secret=False))


def _basic_client(request: Request) -> tuple[str | None, str | None]:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None, None
    try:
        client_id, _, secret = base64.b64decode(value).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None, None
    if text_problem(client_id) or text_problem(secret):  # a NUL: no client has it
        return None, None
    return client_id, secret


@router.post("/oauth/token")
async def token(
    request: Request, ctx: Ctx, session: WriteSession, body: TokenParams = params(TokenParams)
) -> Response:
    basic_id, basic_secret = _basic_client(request)
    app = await service.access_client(
        session, body.client_id or basic_id, body.client_secret or basic_secret
    )
    scope = body.scope or body.scopes
    device = device_of(request)  # shown in the owner's sessions list
    if body.grant_type == "client_credentials":
        issued = await grants.grant_client_credentials(session, app=app, scope=scope, device=device)
    elif body.grant_type == "password":
        # Limited per account as well as per IP (the gate), so spreading guesses over
        # addresses does not help.
        issued = await grants.grant_password(
            session,
            settings=ctx.settings,
            limiter=ctx.ratelimiter,
            app=app,
            username=body.username,
            password=body.password,
            scope=scope,
            device=device,
        )
    elif body.grant_type == "authorization_code":
        try:
            issued = await grants.grant_authorization_code(
                session,
                events=ctx.events,
                app=app,
                code=body.code,
                redirect_uri=body.redirect_uri,
                code_verifier=body.code_verifier,
                device=device,
            )
        except grants.CodeReplayed as replayed:
            # Answered, not raised: the revocation of what the code gave must commit.
            return error_response(replayed, headers=NO_STORE)
    elif body.grant_type == "refresh_token":
        issued = await grants.grant_refresh_token(
            session,
            events=ctx.events,
            app=app,
            refresh_token=body.refresh_token,
            scope=scope,
            device=device,
        )
    else:
        raise OAuthError(
            "unsupported_grant_type", f"grant_type {body.grant_type!r} is not supported"
        )
    answer = token_json(issued.token, issued.raw, issued.raw_refresh)
    if issued.reactivated:
        answer["account_reactivated"] = True  # Shutter's: the log-in undid a deactivation
    return json_response(answer, headers=NO_STORE)


@router.post("/oauth/revoke")
async def revoke(
    request: Request, ctx: Ctx, session: WriteSession, body: RevokeParams = params(RevokeParams)
) -> Response:
    basic_id, basic_secret = _basic_client(request)
    app = await service.access_client(
        session, body.client_id or basic_id, body.client_secret or basic_secret
    )
    await service.do_revoke(session, events=ctx.events, app=app, raw_token=body.token)
    return json_response({})


@router.get("/.well-known/oauth-authorization-server")
async def oauth_metadata(ctx: Ctx) -> Response:
    base = ctx.settings.base_url
    return json_response(
        {
            "issuer": base + "/",
            "authorization_endpoint": f"{base}/oauth/authorize",
            "token_endpoint": f"{base}/oauth/token",
            "revocation_endpoint": f"{base}/oauth/revoke",
            "userinfo_endpoint": f"{base}/oauth/userinfo",
            "app_registration_endpoint": f"{base}/api/v1/apps",
            "scopes_supported": sorted(KNOWN),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query", "fragment", "form_post"],
            "grant_types_supported": [
                "authorization_code",
                "password",
                "client_credentials",
                "refresh_token",
            ],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "service_documentation": "https://docs.joinmastodon.org/",
        }
    )


AUTHORIZE_FIELDS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
)


async def _authorize_request(
    session: AsyncSession, body: AuthorizeParams
) -> tuple[App, str, list[str], dict[str, str]]:
    """Validate an authorization request; errors are shown, never redirected blindly."""
    fields = {k: getattr(body, k) or "" for k in AUTHORIZE_FIELDS}
    if fields["response_type"] != "code":
        raise OAuthError("unsupported_response_type", "response_type must be code")
    app = await service.app_by_client_id(session, fields["client_id"])
    if app is None:
        raise OAuthError("invalid_client", "Unknown client_id", 401)
    allowed_uris = app.redirect_uris.split("\n")
    redirect_uri = fields["redirect_uri"] or allowed_uris[0]
    if redirect_uri not in allowed_uris:
        raise OAuthError("invalid_request", "redirect_uri is not registered for this app")
    if redirect_problem(redirect_uri) is not None:  # an app registered before the rule
        raise OAuthError("invalid_request", "redirect_uri is not allowed")
    try:
        scopes = parse_scopes(fields["scope"] or None, default=app.scopes)
    except ValueError as exc:
        raise OAuthError("invalid_scope", str(exc)) from None
    if not within(scopes, app.scopes.split()):
        raise OAuthError("invalid_scope", "The requested scope exceeds what the app registered")
    fields["code_challenge_method"] = _pkce_method(fields)
    fields["redirect_uri"] = redirect_uri
    return app, redirect_uri, scopes, fields


# RFC 7636 §4.2: a challenge is 43–128 unreserved characters (an S256 one is 43).
_CHALLENGE = re.compile(r"[A-Za-z0-9\-._~]{43,128}")


def _pkce_method(fields: dict[str, str]) -> str:
    """S256 for a request with a challenge, "" without; `plain` is refused, as the
    server metadata only offers S256."""
    method, challenge = fields["code_challenge_method"], fields["code_challenge"]
    if method and method != "S256":
        raise OAuthError("invalid_request", "code_challenge_method must be S256")
    if not challenge:
        return ""
    if not _CHALLENGE.fullmatch(challenge):
        raise OAuthError("invalid_request", "code_challenge must be an S256 challenge")
    return "S256"


def _redirect(redirect_uri: str, query: dict[str, str]) -> Response:
    """Back to the app (its URI was checked when registered and again by the request)."""
    separator = "&" if "?" in redirect_uri else "?"
    return RedirectResponse(f"{redirect_uri}{separator}{urlencode(query)}", status_code=302)


@router.get("/oauth/authorize")
async def authorize_form(
    ctx: Ctx, session: ReadSession, body: AuthorizeParams = params(AuthorizeParams)
) -> Response:
    app, _, scopes, fields = await _authorize_request(session, body)
    token = sign_form(ctx.settings.secret, fields)
    return HTMLResponse(authorize_page(app.name, scopes, fields, token, error=None))


@router.post("/oauth/authorize")
async def authorize_submit(
    request: Request,
    ctx: Ctx,
    session: WriteSession,
    body: AuthorizeParams = params(AuthorizeParams),
) -> Response:
    app, redirect_uri, scopes, fields = await _authorize_request(session, body)
    if not verify_form(ctx.settings.secret, fields, body.csrf or ""):
        raise OAuthError("invalid_request", "The form expired; open the authorization page again")
    token = sign_form(ctx.settings.secret, fields)
    if body.decision == "deny":
        if redirect_uri == OOB:
            return HTMLResponse(code_page(None), status_code=403)
        return _redirect(redirect_uri, {"error": "access_denied", "state": fields["state"]})
    # The password, and a code after it for an account with two-factor authentication.
    account = await authorize_log_in(
        request, ctx, session, body, app_name=app.name, scopes=scopes, fields=fields, csrf=token
    )
    if isinstance(account, Response):
        return account
    try:
        reactivated = await grants.admit_log_in(session, settings=ctx.settings, account=account)
    except ApiError as refused:
        page = authorize_page(app.name, scopes, fields, token, error=refused.message + ".")
        return HTMLResponse(page, status_code=refused.status)
    code = await grants.do_create_code(
        session,
        app=app,
        account=account,
        redirect_uri=redirect_uri,
        scopes=scopes,
        code_challenge=fields["code_challenge"] or None,
        code_challenge_method=fields["code_challenge_method"] or None,
    )
    if redirect_uri == OOB:
        return HTMLResponse(code_page(code, reactivated=reactivated))
    return _redirect(
        redirect_uri, {"code": code} | ({"state": fields["state"]} if fields["state"] else {})
    )

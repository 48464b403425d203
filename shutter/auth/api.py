"""OAuth 2 and app routes: /api/v1/apps, /oauth/token, /oauth/revoke, /oauth/authorize."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import HTMLResponse, RedirectResponse, Response

from shutter.accounts import service as accounts
from shutter.auth import service
from shutter.auth.deps import app_token
from shutter.auth.models import App
from shutter.auth.pages import authorize_page, code_page, sign_form, verify_form
from shutter.auth.schemas import AppParams, RevokeParams, TokenParams, app_json, token_json
from shutter.auth.scopes import KNOWN, parse_scopes, within
from shutter.auth.service import Caller, OAuthError
from shutter.infra.deps import Ctx, ReadSession, WriteSession
from shutter.infra.http import json_response
from shutter.infra.params import collect_params, params

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
    return json_response(app_json(app, with_secret=True))


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
    if body.grant_type == "client_credentials":
        issued = await service.grant_client_credentials(session, app=app, scope=scope)
    elif body.grant_type == "password":
        # Per username as well as per IP, so spreading guesses over addresses does not help.
        limiter = ctx.ratelimiter
        await limiter.check(limiter.login, "login", (body.username or "").lower())
        issued = await service.grant_password(
            session,
            settings=ctx.settings,
            app=app,
            username=body.username,
            password=body.password,
            scope=scope,
        )
    elif body.grant_type == "authorization_code":
        issued = await service.grant_authorization_code(
            session,
            app=app,
            code=body.code,
            redirect_uri=body.redirect_uri,
            code_verifier=body.code_verifier,
        )
    elif body.grant_type == "refresh_token":
        issued = await service.grant_refresh_token(
            session, app=app, refresh_token=body.refresh_token, scope=scope
        )
    else:
        raise OAuthError(
            "unsupported_grant_type", f"grant_type {body.grant_type!r} is not supported"
        )
    return json_response(token_json(issued.token, issued.raw, issued.raw_refresh))


@router.post("/oauth/revoke")
async def revoke(
    request: Request, session: WriteSession, body: RevokeParams = params(RevokeParams)
) -> Response:
    basic_id, basic_secret = _basic_client(request)
    app = await service.access_client(
        session, body.client_id or basic_id, body.client_secret or basic_secret
    )
    await service.do_revoke(session, app=app, raw_token=body.token)
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
    session: AsyncSession, values: dict[str, Any]
) -> tuple[App, str, list[str], dict[str, str]]:
    """Validate an authorization request; errors are shown, never redirected blindly."""
    fields = {k: str(values.get(k) or "") for k in AUTHORIZE_FIELDS}
    if fields["response_type"] != "code":
        raise OAuthError("unsupported_response_type", "response_type must be code")
    app = await service.app_by_client_id(session, fields["client_id"])
    if app is None:
        raise OAuthError("invalid_client", "Unknown client_id", 401)
    allowed_uris = app.redirect_uris.split("\n")
    redirect_uri = fields["redirect_uri"] or allowed_uris[0]
    if redirect_uri not in allowed_uris:
        raise OAuthError("invalid_request", "redirect_uri is not registered for this app")
    try:
        scopes = parse_scopes(fields["scope"] or None, default=app.scopes)
    except ValueError as exc:
        raise OAuthError("invalid_scope", str(exc)) from None
    if not within(scopes, app.scopes.split()):
        raise OAuthError("invalid_scope", "The requested scope exceeds what the app registered")
    method = fields["code_challenge_method"] or ("S256" if fields["code_challenge"] else "")
    if fields["code_challenge"] and method not in ("S256", "plain"):
        raise OAuthError("invalid_request", "code_challenge_method must be S256")
    fields["code_challenge_method"] = method
    fields["redirect_uri"] = redirect_uri
    return app, redirect_uri, scopes, fields


@router.get("/oauth/authorize")
async def authorize_form(request: Request, ctx: Ctx, session: ReadSession) -> Response:
    values = dict(request.query_params)
    app, _, scopes, fields = await _authorize_request(session, values)
    token = sign_form(ctx.settings.secret, fields)
    return HTMLResponse(authorize_page(app.name, scopes, fields, token, error=None))


@router.post("/oauth/authorize")
async def authorize_submit(request: Request, ctx: Ctx, session: WriteSession) -> Response:
    values = await collect_params(request)
    app, redirect_uri, scopes, fields = await _authorize_request(session, values)
    if not verify_form(ctx.settings.secret, fields, str(values.get("csrf") or "")):
        raise OAuthError("invalid_request", "The form expired; open the authorization page again")
    token = sign_form(ctx.settings.secret, fields)
    if values.get("decision") == "deny":
        if redirect_uri == service.OOB:
            return HTMLResponse(code_page(None), status_code=403)
        query = {"error": "access_denied", "state": fields["state"]}
        return RedirectResponse(f"{redirect_uri}?{urlencode(query)}", status_code=302)
    login = str(values.get("username") or "")
    await ctx.ratelimiter.check(ctx.ratelimiter.login, "login", login.lower())
    account = await accounts.authenticate_password(
        session,
        settings=ctx.settings,
        login=login,
        password=str(values.get("password") or ""),
    )
    if account is None:
        page = authorize_page(app.name, scopes, fields, token, error="Wrong login or password.")
        return HTMLResponse(page, status_code=401)
    code = await service.do_create_code(
        session,
        app=app,
        account=account,
        redirect_uri=redirect_uri,
        scopes=scopes,
        code_challenge=fields["code_challenge"] or None,
        code_challenge_method=fields["code_challenge_method"] or None,
    )
    if redirect_uri == service.OOB:
        return HTMLResponse(code_page(code))
    query = {"code": code} | ({"state": fields["state"]} if fields["state"] else {})
    separator = "&" if "?" in redirect_uri else "?"
    return RedirectResponse(f"{redirect_uri}{separator}{urlencode(query)}", status_code=302)

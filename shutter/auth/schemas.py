"""OAuth entities (Application, Token) and the parameters of the auth routes."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from shutter.auth.models import App, Token
from shutter.infra.params import RequestParams


def app_json(app: App, *, with_secret: bool) -> dict[str, Any]:
    uris = app.redirect_uris.split("\n")
    body: dict[str, Any] = {
        "id": str(app.id),
        "name": app.name,
        "website": app.website,
        "scopes": app.scopes.split(),
        "redirect_uri": app.redirect_uris,
        "redirect_uris": uris,
        "vapid_key": "",
    }
    if with_secret:
        body |= {
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "client_secret_expires_at": 0,
        }
    return body


def token_json(token: Token, raw_token: str, raw_refresh: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "access_token": raw_token,
        "token_type": "Bearer",
        "scope": token.scopes,
        "created_at": int(token.created_at.timestamp()),
    }
    if raw_refresh:
        body["refresh_token"] = raw_refresh
    return body


class AppParams(RequestParams):
    """An app registration. Limits as Mastodon's where the columns allow (a name of 60
    characters); the URIs are bounded in shutter/auth/redirects.py; every scope known
    fits in 500 characters."""

    client_name: str = Field(min_length=1, max_length=60)
    redirect_uris: str | list[str]
    scopes: str | None = Field(None, max_length=500)
    website: str | None = Field(None, max_length=500)


class TokenParams(RequestParams):
    grant_type: str
    client_id: str | None = None
    client_secret: str | None = None
    redirect_uri: str | None = None
    scope: str | None = None
    scopes: str | None = None
    code: str | None = None
    code_verifier: str | None = None
    username: str | None = None
    password: str | None = None
    refresh_token: str | None = None


class RevokeParams(RequestParams):
    client_id: str | None = None
    client_secret: str | None = None
    token: str
    token_type_hint: str | None = None


class AuthorizeParams(RequestParams):
    """/oauth/authorize: the request (the page's query) and the log-in form posted back."""

    response_type: str | None = None
    client_id: str | None = None
    redirect_uri: str | None = None
    scope: str | None = None
    state: str | None = None
    code_challenge: str | None = None
    code_challenge_method: str | None = None
    csrf: str | None = None
    decision: str | None = None
    username: str | None = None
    password: str | None = None
    # The second step of a log-in with two-factor authentication (auth/two_factor_login.py):
    # the sealed state of the first, and the code (Mastodon's form calls it so).
    pending: str | None = None
    otp_attempt: str | None = None

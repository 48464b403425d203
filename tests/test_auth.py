"""OAuth 2 through the API: apps, the four grants, PKCE, refresh, revocation, scopes."""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import update

from shutter.auth.models import Token
from shutter.infra.context import AppContext
from shutter.infra.db import utcnow
from tests.support.api import register_app, sign_up
from tests.support.schema import assert_entity

PASSWORD = "correct horse battery"


async def _token(client: httpx.AsyncClient, **form: str) -> httpx.Response:
    return await client.post("/oauth/token", data=form)


async def test_register_app_and_verify_it(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/apps",
        json={
            "client_name": "Photo app",
            "redirect_uris": ["https://app.example/cb", "urn:ietf:wg:oauth:2.0:oob"],
            "scopes": "read write:statuses",
            "website": "https://app.example",
        },
    )
    assert response.status_code == 200, response.text
    app = response.json()
    assert_entity("CredentialApplication", app)
    assert app["redirect_uris"] == ["https://app.example/cb", "urn:ietf:wg:oauth:2.0:oob"]
    token = await _token(
        client,
        grant_type="client_credentials",
        client_id=app["client_id"],
        client_secret=app["client_secret"],
    )
    assert token.status_code == 200
    assert_entity("Token", token.json())
    verified = await client.get(
        "/api/v1/apps/verify_credentials",
        headers={"Authorization": f"Bearer {token.json()['access_token']}"},
    )
    assert verified.status_code == 200
    assert_entity("Application", verified.json())
    assert "client_secret" not in verified.json()


@pytest.mark.parametrize(
    "body",
    [
        {"redirect_uris": "urn:ietf:wg:oauth:2.0:oob"},
        {"client_name": "x"},
        {"client_name": "x", "redirect_uris": "not a uri"},
        {"client_name": "x", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob", "scopes": "root"},
        {"client_name": ["x"], "redirect_uris": "urn:ietf:wg:oauth:2.0:oob"},
    ],
)
async def test_bad_app_registrations_are_refused(
    client: httpx.AsyncClient, body: dict[str, object]
) -> None:
    response = await client.post("/api/v1/apps", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["error"]


async def test_password_grant_with_username_or_email(client: httpx.AsyncClient) -> None:
    await sign_up(client, "Ana", password=PASSWORD)
    app = await register_app(client)
    creds = {"client_id": app["client_id"], "client_secret": app["client_secret"]}
    for login in ("ana", "ANA@example.com"):
        ok = await _token(client, grant_type="password", username=login, password=PASSWORD, **creds)
        assert ok.status_code == 200, ok.text
    wrong = await _token(client, grant_type="password", username="ana", password="nope", **creds)
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    unknown = await _token(
        client, grant_type="password", username="zed", password=PASSWORD, **creds
    )
    assert unknown.status_code == 400
    bad_client = await _token(
        client, grant_type="password", username="ana", password=PASSWORD, client_id="x",
        client_secret="y",
    )  # fmt: skip
    assert bad_client.status_code == 401 and bad_client.json()["error"] == "invalid_client"
    grant = await _token(client, grant_type="magic", **creds)
    assert grant.status_code == 400 and grant.json()["error"] == "unsupported_grant_type"
    wider = await _token(
        client, grant_type="password", username="ana", password=PASSWORD, scope="admin:read",
        **creds,
    )  # fmt: skip
    assert wider.status_code == 400 and wider.json()["error"] == "invalid_scope"


def _pkce() -> tuple[str, str]:
    verifier = base64.urlsafe_b64encode(b"v" * 40).rstrip(b"=").decode()
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


async def test_authorization_code_flow_with_pkce(client: httpx.AsyncClient) -> None:
    await sign_up(client, "ana", password=PASSWORD)
    registered = await client.post(
        "/api/v1/apps",
        data={"client_name": "web", "redirect_uris": "https://app.example/cb", "scopes": "read"},
    )
    app = registered.json()
    verifier, challenge = _pkce()
    query = {
        "response_type": "code",
        "client_id": app["client_id"],
        "redirect_uri": "https://app.example/cb",
        "scope": "read",
        "state": "xyz",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    page = await client.get("/oauth/authorize", params=query)
    assert page.status_code == 200 and "<form" in page.text
    csrf = re.search(r'name=csrf value="([^"]+)"', page.text)
    assert csrf
    form = query | {"csrf": csrf.group(1), "username": "ana", "password": PASSWORD}
    wrong = await client.post("/oauth/authorize", data=form | {"password": "nope"})
    assert wrong.status_code == 401
    forged = await client.post("/oauth/authorize", data=form | {"csrf": "1.abc"})
    assert forged.status_code == 400
    answer = await client.post("/oauth/authorize", data=form | {"decision": "allow"})
    assert answer.status_code == 302
    location = urlsplit(answer.headers["location"])
    params = parse_qs(location.query)
    assert location.netloc == "app.example" and params["state"] == ["xyz"]
    exchange = {
        "grant_type": "authorization_code",
        "code": params["code"][0],
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
        "redirect_uri": "https://app.example/cb",
    }
    assert (await _token(client, **exchange, code_verifier="wrong")).status_code == 400
    token = await _token(client, **exchange, code_verifier=verifier)
    assert token.status_code == 200, token.text
    assert token.json()["scope"] == "read"
    bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
    me = await client.get("/api/v1/accounts/verify_credentials", headers=bearer)
    assert me.json()["username"] == "ana"
    # A reused code was likely stolen: the token it gave is revoked (RFC 6749 §4.1.2).
    reused = await _token(client, **exchange, code_verifier=verifier)
    assert reused.status_code == 400
    gone = await client.get("/api/v1/accounts/verify_credentials", headers=bearer)
    assert gone.status_code == 401


async def test_authorize_refuses_unregistered_redirects(client: httpx.AsyncClient) -> None:
    app = await register_app(client)
    query = {
        "response_type": "code",
        "client_id": app["client_id"],
        "redirect_uri": "https://evil.example/steal",
    }
    response = await client.get("/oauth/authorize", params=query)
    assert response.status_code == 400
    unknown = await client.get(
        "/oauth/authorize", params={"response_type": "code", "client_id": "nope"}
    )
    assert unknown.status_code == 401


async def test_refresh_rotates_and_revoke_ends_access(client: httpx.AsyncClient) -> None:
    await sign_up(client, "ana", password=PASSWORD)
    app = await register_app(client)
    creds = {"client_id": app["client_id"], "client_secret": app["client_secret"]}
    first = (
        await _token(client, grant_type="password", username="ana", password=PASSWORD, **creds)
    ).json()
    refreshed = await _token(
        client, grant_type="refresh_token", refresh_token=first["refresh_token"], **creds
    )
    assert refreshed.status_code == 200
    second = refreshed.json()

    async def status_of(token: str) -> int:
        headers = {"Authorization": f"Bearer {token}"}
        return (
            await client.get("/api/v1/accounts/verify_credentials", headers=headers)
        ).status_code

    assert await status_of(first["access_token"]) == 401
    assert await status_of(second["access_token"]) == 200
    again = await _token(
        client, grant_type="refresh_token", refresh_token=first["refresh_token"], **creds
    )
    assert again.status_code == 400
    revoked = await client.post("/oauth/revoke", data={"token": second["access_token"], **creds})
    assert revoked.status_code == 200
    assert await status_of(second["access_token"]) == 401


async def test_expired_tokens_are_refused(client: httpx.AsyncClient, ctx: AppContext) -> None:
    ana = await sign_up(client, "ana")
    async with ctx.db.write() as session:
        await session.execute(update(Token).values(expires_at=utcnow() - timedelta(seconds=1)))
    response = await client.get("/api/v1/accounts/verify_credentials", headers=ana.headers)
    assert response.status_code == 401
    assert response.json() == {"error": "The access token is invalid"}


async def test_scopes_are_enforced(client: httpx.AsyncClient) -> None:
    await sign_up(client, "ana", password=PASSWORD)
    app = await register_app(client, scopes="read")
    token = (
        await _token(
            client,
            grant_type="password",
            username="ana",
            password=PASSWORD,
            client_id=app["client_id"],
            client_secret=app["client_secret"],
        )
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/api/v1/timelines/home", headers=headers)).status_code == 200
    write = await client.post("/api/v1/statuses", headers=headers, json={"status": "x"})
    assert write.status_code == 403


async def test_app_token_cannot_act_as_a_user(client: httpx.AsyncClient) -> None:
    app = await register_app(client)
    token = (
        await _token(
            client,
            grant_type="client_credentials",
            client_id=app["client_id"],
            client_secret=app["client_secret"],
            scope="read",
        )
    ).json()["access_token"]
    response = await client.get(
        "/api/v1/timelines/home", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 422

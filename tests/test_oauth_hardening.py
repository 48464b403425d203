"""OAuth hardening through the API: registration limits and redirect schemes, PKCE S256
only, codes bound to their redirect URI, replayed codes, userinfo, and sign-up tokens."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from shutter.auth.models import App
from shutter.auth.pages import sign_form
from shutter.infra.context import AppContext
from shutter.infra.ids import ids
from tests.conftest import BASE_URL
from tests.support.api import User, app_token, register_app, sign_up
from tests.support.credentials import password_grant

PASSWORD = "correct horse battery"
CALLBACK = "https://app.example/cb"
OOB = "urn:ietf:wg:oauth:2.0:oob"


async def _register(client: httpx.AsyncClient, **body: Any) -> httpx.Response:
    fields = {"client_name": "web", "redirect_uris": CALLBACK, "scopes": "read profile"} | body
    return await client.post("/api/v1/apps", json=fields)


def _pkce() -> tuple[str, str]:
    verifier = base64.urlsafe_b64encode(b"w" * 40).rstrip(b"=").decode()
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


async def _code(client: httpx.AsyncClient, app: dict[str, Any], **extra: str) -> str:
    """Log in as ana on the authorize page and allow `app`; the code it is redirected with."""
    query = {
        "response_type": "code",
        "client_id": app["client_id"],
        "redirect_uri": CALLBACK,
        "scope": "read",
    } | extra
    page = await client.get("/oauth/authorize", params=query)
    assert page.status_code == 200, page.text
    csrf = re.search(r'name=csrf value="([^"]+)"', page.text)
    assert csrf
    form = query | {"csrf": csrf.group(1), "username": "ana", "password": PASSWORD}
    answer = await client.post("/oauth/authorize", data=form | {"decision": "allow"})
    assert answer.status_code == 302, answer.text
    return parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]


async def _exchange(client: httpx.AsyncClient, app: dict[str, Any], **form: str) -> httpx.Response:
    body = {
        "grant_type": "authorization_code",
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
    } | form
    return await client.post("/oauth/token", data=body)


async def _status_with(client: httpx.AsyncClient, token: str) -> int:
    headers = {"Authorization": f"Bearer {token}"}
    response = await client.get("/api/v1/accounts/verify_credentials", headers=headers)
    return response.status_code


# --- registration ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"client_name": "n" * 61},
        {"redirect_uris": "https://app.example/" + "a" * 2000},
        {"redirect_uris": [f"https://app.example/{i}" for i in range(11)]},
        {"redirect_uris": "\n".join(f"https://app.example/{i}" for i in range(11))},
        {"scopes": "read " * 200},
        {"website": "https://app.example/" + "w" * 2000},
        # The Application entity's website is a URI (clients link it), as Mastodon checks.
        {"website": "\U0008bd80"},
        {"website": "javascript:alert(1)"},
        {"website": "https://app.example/a b"},
        {"website": "https://app|example"},
        {"redirect_uris": "javascript:alert(document.cookie)"},
        {"redirect_uris": "JavaScript:alert(1)"},
        {"redirect_uris": "java\tscript:alert(1)"},
        {"redirect_uris": "data:text/html,<script>alert(1)</script>"},
        {"redirect_uris": "vbscript:msgbox(1)"},
        {"redirect_uris": "file:///etc/passwd"},
        {"redirect_uris": [CALLBACK, "javascript://app.example/%0aalert(1)"]},
        {"redirect_uris": "https://[::1/cb"},
    ],
)
async def test_oversized_or_dangerous_registrations_are_refused(
    client: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    response = await _register(client, **body)
    assert response.status_code == 422, response.text
    assert response.json()["error"].startswith("Validation failed")


async def test_registration_limits_admit_what_clients_send(client: httpx.AsyncClient) -> None:
    uris = [f"https://app.example/{i}" for i in range(9)] + ["myapp://oauth-callback"]
    response = await _register(
        client, client_name="n" * 60, redirect_uris=uris, website="https://app.example"
    )
    assert response.status_code == 200, response.text
    assert response.json()["redirect_uris"] == uris
    # A registration answer holds the client secret: nobody on the way may keep it.
    assert response.headers["Cache-Control"] == "no-store"


async def test_legacy_dangerous_redirect_is_never_followed(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    """An app stored before registration refused such schemes: neither allow nor deny
    sends the browser to its `javascript:` URI."""
    uri = "javascript:alert(document.domain)//"
    async with ctx.db.write() as session:
        session.add(
            App(
                id=ids.next_id(0),
                name="legacy",
                redirect_uris=uri,
                scopes="read",
                client_id="legacy-client",
                client_secret="legacy-secret",
            )
        )
    fields = {
        "response_type": "code",
        "client_id": "legacy-client",
        "redirect_uri": uri,
        "scope": "",
        "state": "",
        "code_challenge": "",
        "code_challenge_method": "",
    }
    page = await client.get("/oauth/authorize", params=fields)
    assert page.status_code == 400 and page.json()["error"] == "invalid_request"
    csrf = sign_form(ctx.settings.secret, fields)
    denied = await client.post("/oauth/authorize", data=fields | {"csrf": csrf, "decision": "deny"})
    assert denied.status_code == 400
    assert "location" not in denied.headers


# --- authorization codes -----------------------------------------------------------------


async def test_plain_pkce_is_refused(client: httpx.AsyncClient) -> None:
    app = (await _register(client)).json()
    query = {
        "response_type": "code",
        "client_id": app["client_id"],
        "redirect_uri": CALLBACK,
        "code_challenge": "a" * 43,
        "code_challenge_method": "plain",
    }
    response = await client.get("/oauth/authorize", params=query)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


async def test_a_code_is_redeemed_only_with_its_redirect_uri(client: httpx.AsyncClient) -> None:
    await sign_up(client, "ana", password=PASSWORD)
    app = (await _register(client, redirect_uris=[CALLBACK, OOB])).json()
    code = await _code(client, app)
    missing = await _exchange(client, app, code=code)
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"
    other = await _exchange(client, app, code=code, redirect_uri=OOB)
    assert other.status_code == 400 and other.json()["error"] == "invalid_grant"
    token = await _exchange(client, app, code=code, redirect_uri=CALLBACK)
    assert token.status_code == 200, token.text
    assert token.headers["Cache-Control"] == "no-store"


async def test_a_replayed_code_revokes_what_it_issued(client: httpx.AsyncClient) -> None:
    """RFC 6749 §4.1.2: a code used twice was likely stolen; what it gave is taken back,
    including the tokens a refresh made from it."""
    await sign_up(client, "ana", password=PASSWORD)
    app = (await _register(client)).json()
    verifier, challenge = _pkce()
    code = await _code(client, app, code_challenge=challenge, code_challenge_method="S256")
    first = await _exchange(client, app, code=code, redirect_uri=CALLBACK, code_verifier=verifier)
    assert first.status_code == 200, first.text
    issued = first.json()
    refreshed = await client.post(
        "/oauth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": issued["refresh_token"],
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
        },
    )
    assert refreshed.status_code == 200, refreshed.text
    rotated = refreshed.json()["access_token"]
    assert await _status_with(client, rotated) == 200

    replay = await _exchange(client, app, code=code, redirect_uri=CALLBACK, code_verifier=verifier)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    assert await _status_with(client, rotated) == 401
    second_refresh = await client.post(
        "/oauth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": refreshed.json()["refresh_token"],
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
        },
    )
    assert second_refresh.status_code == 400


async def test_a_replayed_code_revokes_an_unrefreshed_token(client: httpx.AsyncClient) -> None:
    await sign_up(client, "ana", password=PASSWORD)
    app = (await _register(client)).json()
    code = await _code(client, app)
    token = (await _exchange(client, app, code=code, redirect_uri=CALLBACK)).json()
    assert await _status_with(client, token["access_token"]) == 200
    assert (await _exchange(client, app, code=code, redirect_uri=CALLBACK)).status_code == 400
    assert await _status_with(client, token["access_token"]) == 401


# --- userinfo and metadata ---------------------------------------------------------------


async def test_userinfo_answers_openid_claims_for_the_profile_scope(
    client: httpx.AsyncClient,
) -> None:
    await sign_up(client, "ana", password=PASSWORD)
    metadata = (await client.get("/.well-known/oauth-authorization-server")).json()
    assert metadata["userinfo_endpoint"] == f"{BASE_URL}/oauth/userinfo"
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    app = await register_app(client, scopes="read profile")

    async def token_for(scope: str) -> str:
        response = await password_grant(client, "ana", PASSWORD, app=app, scope=scope)
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    profile = {"Authorization": f"Bearer {await token_for('profile')}"}
    for method in ("GET", "POST"):
        info = await client.request(method, "/oauth/userinfo", headers=profile)
        assert info.status_code == 200, info.text
        claims = info.json()
        assert claims["iss"] == f"{BASE_URL}/"
        assert claims["sub"] == f"{BASE_URL}/users/ana"
        assert claims["preferred_username"] == "ana"
        assert claims["profile"] == f"{BASE_URL}/@ana"
        assert claims["picture"].startswith("http")
        assert "name" in claims
    read_only = {"Authorization": f"Bearer {await token_for('read')}"}
    assert (await client.get("/oauth/userinfo", headers=read_only)).status_code == 403
    assert (await client.get("/oauth/userinfo")).status_code == 401
    app_only = {"Authorization": f"Bearer {await app_token(client, app)}"}
    assert (await client.get("/oauth/userinfo", headers=app_only)).status_code == 422


# --- sign-up -----------------------------------------------------------------------------


async def test_a_sign_up_token_carries_the_scopes_of_the_app_token(
    client: httpx.AsyncClient,
) -> None:
    app = await register_app(client, scopes="read write follow push")
    narrow = await client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "scope": "read write:accounts",
        },
    )
    assert narrow.status_code == 200, narrow.text
    response = await client.post(
        "/api/v1/accounts",
        headers={"Authorization": f"Bearer {narrow.json()['access_token']}"},
        data={
            "username": "ana",
            "email": "ana@example.com",
            "password": PASSWORD,
            "agreement": "true",
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["scope"] == "read write:accounts"
    assert response.headers["Cache-Control"] == "no-store"
    ana = User(id="", username="ana", token=response.json()["access_token"])
    posted = await client.post("/api/v1/statuses", headers=ana.headers, json={"status": "x"})
    assert posted.status_code == 403

"""Response headers through the API: CORS as Mastodon answers it, nosniff everywhere,
framing refused on pages, no-store on credentials, Link built from the base URL, and
Range units the server does not know ignored."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from shutter.infra.context import AppContext
from tests.conftest import BASE_URL
from tests.support.api import follow, register_app, sign_up, upload_photo
from tests.support.instances import Instance

ORIGIN = "https://elk.example"
EXPOSED = {
    "link",
    "x-ratelimit-reset",
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-request-id",
    "idempotency-key",
}


def _preflight(method: str = "POST", headers: str = "authorization,content-type") -> dict[str, str]:
    return {
        "Origin": ORIGIN,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": headers,
    }


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/statuses",
        "/api/v2/media",
        "/oauth/token",
        "/oauth/revoke",
        "/oauth/userinfo",
        "/.well-known/oauth-authorization-server",
        "/nodeinfo/2.0",
    ],
)
async def test_preflights_are_answered_for_api_paths(client: httpx.AsyncClient, path: str) -> None:
    response = await client.options(path, headers=_preflight())
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == "*"
    allowed = {m.strip() for m in response.headers["access-control-allow-methods"].split(",")}
    assert {"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"} <= allowed
    assert response.headers["access-control-allow-headers"] == "authorization,content-type"
    assert "access-control-allow-credentials" not in response.headers


async def test_cross_origin_answers_expose_mastodons_headers(client: httpx.AsyncClient) -> None:
    ana = await sign_up(client, "ana")
    response = await client.get(
        "/api/v1/accounts/verify_credentials", headers=ana.headers | {"Origin": ORIGIN}
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    exposed = {
        h.strip().lower() for h in response.headers["access-control-expose-headers"].split(",")
    }
    assert exposed >= EXPOSED
    assert "access-control-allow-credentials" not in response.headers
    token = await client.post("/oauth/token", headers={"Origin": ORIGIN}, data={"grant_type": "x"})
    assert token.headers["access-control-allow-origin"] == "*"


async def test_pages_are_not_cross_origin(client: httpx.AsyncClient) -> None:
    page = await client.get("/oauth/authorize", headers={"Origin": ORIGIN})
    assert "access-control-allow-origin" not in page.headers
    preflight = await client.options("/oauth/authorize", headers=_preflight())
    assert "access-control-allow-origin" not in preflight.headers


async def test_preflights_do_not_spend_the_rate_limit(
    database_url: str, ctx: AppContext, tmp_path: Path
) -> None:
    async with Instance(database_url, tmp_path, rate_limit_requests=2) as api:
        for _ in range(5):
            answer = await api.options("/api/v2/instance", headers=_preflight("GET"))
            assert answer.status_code == 200
        first = await api.get("/api/v2/instance", headers={"Origin": ORIGIN})
        assert first.status_code == 200
        assert first.headers["X-RateLimit-Remaining"] == "1"


async def test_every_answer_is_nosniff(client: httpx.AsyncClient) -> None:
    for path in ("/api/v2/instance", "/api/v1/nowhere", "/healthz", "/oauth/authorize"):
        response = await client.get(path)
        assert response.headers["x-content-type-options"] == "nosniff", path
    ana = await sign_up(client, "ana")
    me = await client.get("/api/v1/accounts/verify_credentials", headers=ana.headers)
    assert me.headers["x-content-type-options"] == "nosniff"


async def test_the_authorize_page_cannot_be_framed(client: httpx.AsyncClient) -> None:
    app = await register_app(client)
    page = await client.get(
        "/oauth/authorize",
        params={"response_type": "code", "client_id": app["client_id"]},
    )
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


async def test_token_answers_are_not_stored(client: httpx.AsyncClient) -> None:
    app = await register_app(client)
    token = await client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
        },
    )
    assert token.status_code == 200
    assert token.headers["cache-control"] == "no-store"
    assert token.headers["pragma"] == "no-cache"


async def test_link_headers_use_the_base_url_not_the_host(client: httpx.AsyncClient) -> None:
    ana = await sign_up(client, "ana")
    for name in ("bob", "cat"):
        await follow(client, await sign_up(client, name), ana)
    path = f"/api/v1/accounts/{ana.id}/followers"
    response = await client.get(f"{path}?limit=1", headers=ana.headers | {"Host": "evil.example"})
    assert response.status_code == 200
    assert "evil.example" not in response.headers["link"]
    assert response.links["next"]["url"].startswith(f"{BASE_URL}{path}?")
    assert "limit=1" in response.links["next"]["url"]


async def test_unknown_range_units_are_ignored(client: httpx.AsyncClient) -> None:
    """RFC 9110 §14.2: a Range in a unit the server does not know is ignored (200)."""
    ana = await sign_up(client, "ana")
    media = await upload_photo(client, ana)
    for path in (media["url"].removeprefix(BASE_URL), "/static/missing-avatar.png"):
        full = await client.get(path)
        assert full.status_code == 200
        odd = await client.get(path, headers={"Range": "items=0-5"})
        assert odd.status_code == 200, path
        assert odd.content == full.content
        part = await client.get(path, headers={"Range": "bytes=0-5"})
        assert part.status_code == 206 and part.content == full.content[:6]

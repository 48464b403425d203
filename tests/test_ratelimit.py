"""Rate limits through the API: headers on every response, 429 with Retry-After, shared
budgets across instances through Redis, and serving on when Redis is gone."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from shutter.infra.context import AppContext
from tests.support.api import sign_up
from tests.support.feed_stores import redis_cluster_url, shared_redis
from tests.support.instances import Instance

__all__ = ["redis_cluster_url", "shared_redis"]  # fixtures used by these tests


async def test_every_api_response_carries_the_headers(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v2/instance")
    assert int(response.headers["X-RateLimit-Limit"]) > 0
    assert int(response.headers["X-RateLimit-Remaining"]) >= 0
    datetime.fromisoformat(response.headers["X-RateLimit-Reset"].replace("Z", "+00:00"))
    missing = await client.get("/api/v1/nowhere")
    assert "X-RateLimit-Remaining" in missing.headers
    assert "X-RateLimit-Limit" not in (await client.get("/healthz")).headers


async def test_anonymous_callers_are_limited_per_ip(
    database_url: str, ctx: AppContext, tmp_path: Path
) -> None:
    async with Instance(database_url, tmp_path, rate_limit_requests=3) as api:
        remaining = [
            int((await api.get("/api/v2/instance")).headers["X-RateLimit-Remaining"])
            for _ in range(3)
        ]
        assert remaining == [2, 1, 0]
        refused = await api.get("/api/v2/instance")
        assert refused.status_code == 429
        assert refused.json() == {"error": "Too many requests"}
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert refused.headers["X-RateLimit-Remaining"] == "0"


async def test_each_account_has_its_own_budget_shared_by_its_tokens(
    database_url: str, ctx: AppContext, tmp_path: Path, client: httpx.AsyncClient
) -> None:
    ana, bob = await sign_up(client, "ana"), await sign_up(client, "bob")
    async with Instance(database_url, tmp_path, rate_limit_requests=4) as api:
        for _ in range(4):
            assert (await api.get("/api/v1/timelines/home", headers=ana.headers)).status_code == 200
        assert (await api.get("/api/v1/timelines/home", headers=ana.headers)).status_code == 429
        assert (await api.get("/api/v1/timelines/home", headers=bob.headers)).status_code == 200
        assert (await api.get("/api/v2/instance")).status_code == 200  # anonymous: its own


async def test_sign_up_limit_refuses_without_creating(
    database_url: str, ctx: AppContext, tmp_path: Path, client: httpx.AsyncClient
) -> None:
    async with Instance(database_url, tmp_path, rate_limit_signup_requests=1) as api:
        await sign_up(api, "first")
        app = (
            await api.post(
                "/api/v1/apps",
                data={"client_name": "x", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob"},
            )
        ).json()
        token = (
            await api.post(
                "/oauth/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": app["client_id"],
                    "client_secret": app["client_secret"],
                },
            )
        ).json()["access_token"]
        refused = await api.post(
            "/api/v1/accounts",
            headers={"Authorization": f"Bearer {token}"},
            data={"username": "second", "email": "s@example.com", "password": "long enough pw"},
        )
        assert refused.status_code == 429
    assert (await client.get("/api/v1/accounts/lookup?acct=second")).status_code == 404


async def test_password_guesses_are_limited_per_username(
    database_url: str, ctx: AppContext, tmp_path: Path, client: httpx.AsyncClient
) -> None:
    await sign_up(client, "ana")
    async with Instance(database_url, tmp_path, rate_limit_login_requests=3) as api:
        app = (
            await api.post(
                "/api/v1/apps",
                data={"client_name": "x", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob"},
            )
        ).json()
        form = {
            "grant_type": "password",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "username": "ana",
            "password": "wrong",
        }
        statuses = [(await api.post("/oauth/token", data=form)).status_code for _ in range(4)]
        assert statuses == [400, 400, 400, 429]


async def test_instances_share_the_budget_through_redis(
    database_url: str, ctx: AppContext, tmp_path: Path, shared_redis: tuple[str, str]
) -> None:
    url, prefix = shared_redis
    shared: dict[str, Any] = {"redis_url": url, "redis_prefix": prefix, "rate_limit_requests": 4}
    async with (
        Instance(database_url, tmp_path / "a", **shared) as first,
        Instance(database_url, tmp_path / "b", **shared) as second,
    ):
        codes = []
        for api in (first, second, first, second, first):
            codes.append((await api.get("/api/v2/instance")).status_code)
        assert codes == [200, 200, 200, 200, 429]


async def test_limits_fail_open_when_redis_is_unreachable(
    database_url: str, ctx: AppContext, tmp_path: Path
) -> None:
    dead: dict[str, Any] = {"redis_url": "redis://127.0.0.1:1/0", "rate_limit_requests": 1}
    async with Instance(database_url, tmp_path, **dead) as api:
        for _ in range(3):
            assert (await api.get("/api/v2/instance")).status_code == 200

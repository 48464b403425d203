"""Rate limits through the API: headers on every response, 429 with Retry-After, shared
budgets across instances through Redis, and serving on when Redis is gone."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from shutter.infra.context import AppContext
from tests.support.api import sign_up
from tests.support.feed_stores import redis_cluster_url, redis_space, shared_redis
from tests.support.instances import Instance, token_queries

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


@pytest.fixture(params=["embedded", "redis"])
def limit_store(request: pytest.FixtureRequest) -> Iterator[dict[str, Any]]:
    """Settings of the rate limits' store: this process, or the machine's Redis."""
    if request.param == "embedded":
        yield {}
        return
    with redis_space(request, "redis") as (url, prefix):
        yield {"redis_url": url, "redis_prefix": prefix}


async def test_tokens_that_do_not_authenticate_count_against_their_ip(
    database_url: str,
    ctx: AppContext,
    tmp_path: Path,
    client: httpx.AsyncClient,
    limit_store: dict[str, Any],
) -> None:
    ana = await sign_up(client, "ana")
    instance = Instance(database_url, tmp_path, rate_limit_requests=3, **limit_store)
    async with instance as api:
        me = "/api/v1/accounts/verify_credentials"
        assert (await api.get(me, headers=ana.headers)).status_code == 200  # ip 1, ana 1
        junk = [{"Authorization": f"Bearer {secrets.token_urlsafe(32)}"} for _ in range(4)]
        assert [(await api.get(me, headers=h)).status_code for h in junk[:2]] == [401, 401]
        with token_queries(instance) as looked_up:
            # The address is spent: a fresh token each time neither helps nor costs a query.
            assert (await api.get(me, headers=junk[2])).status_code == 429
            assert (await api.get("/api/v2/instance", headers=junk[3])).status_code == 429
            assert (await api.get("/api/v2/instance")).status_code == 429
        assert looked_up == []
        # A token seen to authenticate has its account's own budget.
        assert (await api.get(me, headers=ana.headers)).status_code == 200


async def _authorize_form(api: httpx.AsyncClient) -> dict[str, str]:
    """The fields of the log-in form of /oauth/authorize for a new app, as a browser posts it."""
    app = (
        await api.post(
            "/api/v1/apps",
            data={"client_name": "web", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob"},
        )
    ).json()
    query = {"response_type": "code", "client_id": app["client_id"], "scope": "read"}
    page = await api.get("/oauth/authorize", params=query)
    csrf = re.search(r'name=csrf value="([^"]+)"', page.text)
    assert csrf, page.text
    return query | {"csrf": csrf.group(1), "decision": "allow"}


async def test_log_in_limit_holds_however_the_login_is_spelt(
    database_url: str, ctx: AppContext, tmp_path: Path, client: httpx.AsyncClient
) -> None:
    await sign_up(client, "ana")
    await sign_up(client, "bob")
    instance = Instance(database_url, tmp_path, rate_limit_login_requests=3)
    async with instance as api:
        app = (
            await api.post(
                "/api/v1/apps",
                data={"client_name": "x", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob"},
            )
        ).json()
        form = await _authorize_form(api)
        attempt = 0

        async def log_in(login: str, password: str = "wrong", *, page: bool = False) -> int:
            # Each guess from an address of its own: only the per-login limit can refuse.
            nonlocal attempt
            attempt += 1
            async with instance.client(f"10.0.0.{attempt}") as other:
                if page:
                    answer = await other.post(
                        "/oauth/authorize", data=form | {"username": login, "password": password}
                    )
                    return answer.status_code
                data = {
                    "grant_type": "password",
                    "client_id": app["client_id"],
                    "client_secret": app["client_secret"],
                    "username": login,
                    "password": password,
                }
                return (await other.post("/oauth/token", data=data)).status_code

        # One budget per account, whether it is named by username or e-mail, spaced or
        # capitalised, through the token endpoint or the log-in page.
        assert await log_in(" ana") == 400
        assert await log_in("ANA ", page=True) == 401
        assert await log_in("ana@example.COM") == 400
        assert await log_in("Ana", page=True) == 429
        assert await log_in("ana", "correct horse battery") == 429
        assert await log_in("bob") == 400  # another account's budget is its own
        # A login that names no account is counted as it is normalised.
        assert [await log_in(login) for login in ("nobody", " Nobody", "NOBODY ")] == [400] * 3
        assert await log_in("nobody", page=True) == 429

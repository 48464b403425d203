"""Callers remembered by API instances (shutter/auth/callers.py): a read skips the token
query, yet a revoked token or a changed account shows on every instance at once, on one
Redis and on a Redis Cluster; with Redis down every read asks the database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from shutter.auth.callers import caller_cache
from shutter.infra.context import AppContext
from tests.support.api import User, register_app, sign_up
from tests.support.feed_stores import redis_cluster_url, redis_space
from tests.support.instances import DEAD_REDIS_URL, Instance, token_queries

__all__ = ["redis_cluster_url"]  # a fixture used by these tests

PASSWORD = "correct horse battery"
ME = "/api/v1/accounts/verify_credentials"


@pytest.fixture(params=["redis", "cluster"])
async def pair(
    request: pytest.FixtureRequest, database_url: str, ctx: AppContext, tmp_path: Path
) -> AsyncIterator[tuple[Instance, Instance]]:
    """Two API instances on the test database sharing one Redis (or Redis Cluster)."""
    with redis_space(request, request.param) as (url, prefix):
        first = Instance(database_url, tmp_path, redis_url=url, redis_prefix=prefix)
        second = Instance(database_url, tmp_path, redis_url=url, redis_prefix=prefix)
        async with first, second:
            yield first, second


async def me(http: httpx.AsyncClient, user: User) -> httpx.Response:
    return await http.get(ME, headers=user.headers)


async def read_everywhere(instances: tuple[Instance, Instance], user: User) -> None:
    """Two reads on each instance: each remembers the caller (from the second read on,
    when the instance knows the token's account and so which version to read)."""
    for instance in instances:
        for _ in range(2):
            assert (await me(instance.client(), user)).status_code == 200


async def test_a_remembered_caller_saves_the_token_query(
    pair: tuple[Instance, Instance],
) -> None:
    first, _ = pair
    http = first.client()
    ana = await sign_up(http, "ana")
    await read_everywhere(pair, ana)
    with token_queries(first) as seen:
        for _ in range(3):
            response = await me(http, ana)
            assert response.status_code == 200
            assert response.json()["username"] == "ana"
    assert seen == []
    # A write always reads its caller in its own transaction.
    with token_queries(first) as seen:
        renamed = await http.patch(
            "/api/v1/accounts/update_credentials", headers=ana.headers, data={"note": "hi"}
        )
        assert renamed.status_code == 200, renamed.text
    assert len(seen) == 1


async def test_a_revoked_token_is_refused_by_every_instance_at_once(
    pair: tuple[Instance, Instance],
) -> None:
    first, second = pair
    http = first.client()
    await sign_up(http, "ana", password=PASSWORD)
    app = await register_app(http)
    creds = {"client_id": app["client_id"], "client_secret": app["client_secret"]}
    login = await http.post(
        "/oauth/token",
        data={"grant_type": "password", "username": "ana", "password": PASSWORD, **creds},
    )
    assert login.status_code == 200, login.text
    ana = User(id="", username="ana", token=login.json()["access_token"])
    await read_everywhere(pair, ana)
    revoked = await second.client().post("/oauth/revoke", data={"token": ana.token, **creds})
    assert revoked.status_code == 200
    for instance in pair:
        refused = await me(instance.client(), ana)
        assert refused.status_code == 401, refused.text


async def test_account_changes_show_on_every_instance_at_once(
    pair: tuple[Instance, Instance],
) -> None:
    first, second = pair
    ana, bob = await sign_up(first.client(), "ana"), await sign_up(first.client(), "bob")
    await read_everywhere(pair, ana)
    renamed = await second.client().patch(
        "/api/v1/accounts/update_credentials",
        headers=ana.headers,
        data={"display_name": "Ana A."},
    )
    assert renamed.status_code == 200, renamed.text
    followed = await first.client().post(f"/api/v1/accounts/{bob.id}/follow", headers=ana.headers)
    assert followed.status_code == 200, followed.text
    for instance in pair:
        body = (await me(instance.client(), ana)).json()
        assert (body["display_name"], body["following_count"]) == ("Ana A.", 1)


async def test_with_redis_down_every_read_asks_the_database(
    database_url: str, ctx: AppContext, tmp_path: Path
) -> None:
    instance = Instance(database_url, tmp_path, redis_url=DEAD_REDIS_URL)
    async with instance as http:
        assert caller_cache(instance.ctx).enabled
        ana = await sign_up(http, "ana")
        with token_queries(instance) as seen:
            for _ in range(3):
                assert (await me(http, ana)).status_code == 200
        assert len(seen) == 3

"""The reader's own `pinned` and `muted` flags in the home feed, on every feed store
(the SQL table, Redis, a Redis Cluster): the home page query brings them with the others."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx

from tests.support.api import User, follow, post_photo, sign_up
from tests.support.feed_stores import client, ctx, redis_cluster_url, run_jobs, store_app
from tests.support.schema import assert_entity

__all__ = ["client", "ctx", "redis_cluster_url", "run_jobs", "store_app"]  # fixtures

RunJobs = Callable[[], Awaitable[int]]


async def _home_flags(client: httpx.AsyncClient, user: User) -> dict[str, tuple[bool, bool]]:
    response = await client.get("/api/v1/timelines/home", headers=user.headers)
    assert response.status_code == 200, response.text
    for status in response.json():
        assert_entity("Status", status)
    return {s["id"]: (s["pinned"], s["muted"]) for s in response.json()}


async def test_pinned_and_muted_in_home_feeds(client: httpx.AsyncClient, run_jobs: RunJobs) -> None:
    ana, bob = await sign_up(client, "ana"), await sign_up(client, "bob")
    await follow(client, bob, ana)
    pinned = await post_photo(client, ana, "pinned")
    plain = await post_photo(client, ana, "plain")
    await run_jobs()
    await _home_flags(client, bob)  # warm the entity cache before the flags change
    await client.post(f"/api/v1/statuses/{pinned['id']}/pin", headers=ana.headers)
    await client.post(f"/api/v1/statuses/{plain['id']}/mute", headers=bob.headers)
    assert await _home_flags(client, ana) == {
        pinned["id"]: (True, False),
        plain["id"]: (False, False),
    }
    assert await _home_flags(client, bob) == {
        pinned["id"]: (False, False),
        plain["id"]: (False, True),
    }

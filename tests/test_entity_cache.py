"""The entity cache never shows a stale copy: a post and its author change, and every read
path that could serve a cached status or account shows the change, on both backends (the
in-process LRU, and Redis shared by instances). Redis down costs misses, never errors."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import redis.asyncio as aioredis

from shutter.infra.cache import RedisCache
from shutter.infra.context import AppContext
from tests.support.api import User, follow, post_photo, sign_up
from tests.support.feed_stores import redis_cluster_url, redis_space
from tests.support.instances import (
    DEAD_REDIS_URL,
    REDIS_URL,
    Instance,
    redis_prefix,
)
from tests.support.schema import assert_entity

__all__ = ["redis_cluster_url", "redis_prefix"]  # fixtures used by these tests

RunJobs = Callable[[], Awaitable[int]]


@pytest.fixture(params=["lru", "redis", "cluster"])
async def api(
    request: pytest.FixtureRequest,
    client: httpx.AsyncClient,
    database_url: str,
    ctx: AppContext,
    tmp_path: Path,
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app whose entity cache is the in-process LRU, or Redis (one server,
    then a Redis Cluster)."""
    if request.param == "lru":
        yield client
        return
    with redis_space(request, request.param) as (url, prefix):
        async with Instance(database_url, tmp_path, redis_url=url, redis_prefix=prefix) as scaled:
            yield scaled


def _find(statuses: list[dict[str, Any]], status_id: str) -> dict[str, Any]:
    found = [s for s in statuses if s["id"] == status_id]
    assert len(found) == 1, [s["id"] for s in statuses]
    return found[0]


async def _json(api: httpx.AsyncClient, path: str, user: User | None = None) -> Any:
    response = await api.get(path, headers=user.headers if user else None)
    assert response.status_code == 200, (path, response.text)
    return response.json()


async def _statuses_seen(
    api: httpx.AsyncClient, *, ana: User, bob: User, status_id: str, reply_id: str
) -> dict[str, dict[str, Any]]:
    """Bob's post as every read path shows it to ana."""
    notifications = await _json(api, "/api/v1/notifications?types[]=mention", ana)
    grouped = await _json(api, "/api/v2/notifications?types[]=mention", ana)
    context = await _json(api, f"/api/v1/statuses/{reply_id}/context", ana)
    seen = {
        "status": await _json(api, f"/api/v1/statuses/{status_id}", ana),
        "home": _find(await _json(api, "/api/v1/timelines/home", ana), status_id),
        "account statuses": _find(
            await _json(api, f"/api/v1/accounts/{bob.id}/statuses", ana), status_id
        ),
        "tag timeline": _find(await _json(api, "/api/v1/timelines/tag/sunset", ana), status_id),
        "favourites": _find(await _json(api, "/api/v1/favourites", ana), status_id),
        "bookmarks": _find(await _json(api, "/api/v1/bookmarks", ana), status_id),
        "context": _find(context["ancestors"], status_id),
        "notifications": _find([n["status"] for n in notifications], status_id),
        "grouped notifications": _find(grouped["statuses"], status_id),
    }
    for body in seen.values():
        assert_entity("Status", body)
    return seen


async def _accounts_seen(api: httpx.AsyncClient, *, ana: User, bob: User) -> dict[str, Any]:
    """Bob's account as every account read path shows it."""
    search = await _json(api, "/api/v2/search?q=bob&type=accounts", ana)
    seen = {
        "account": await _json(api, f"/api/v1/accounts/{bob.id}"),
        "lookup": await _json(api, "/api/v1/accounts/lookup?acct=bob"),
        "search": _find(search["accounts"], bob.id),
        "account search": _find(await _json(api, "/api/v1/accounts/search?q=bob", ana), bob.id),
        "follow notification": _find(
            [n["account"] for n in await _json(api, "/api/v1/notifications?types[]=follow", ana)],
            bob.id,
        ),
    }
    for body in seen.values():
        assert_entity("Account", body)
    return seen


async def test_a_change_shows_on_every_read_path(api: httpx.AsyncClient, run_jobs: RunJobs) -> None:
    ana, bob, carl = [await sign_up(api, name) for name in ("ana", "bob", "carl")]
    await follow(api, ana, bob)
    await follow(api, bob, ana)  # ana's follow notification carries bob's account
    status = await post_photo(api, bob, "before #sunset @ana")
    for action in ("favourite", "bookmark"):
        assert (
            await api.post(f"/api/v1/statuses/{status['id']}/{action}", headers=ana.headers)
        ).status_code == 200
    reply = await api.post(
        "/api/v1/statuses",
        headers=ana.headers,
        json={"status": "lovely", "in_reply_to_id": status["id"]},
    )
    assert reply.status_code == 200, reply.text
    await run_jobs()
    ids = {"status_id": status["id"], "reply_id": reply.json()["id"]}

    for _ in range(2):  # the second round is served from the cache
        before = await _statuses_seen(api, ana=ana, bob=bob, **ids)
        accounts_before = await _accounts_seen(api, ana=ana, bob=bob)
    assert {p: "before" in s["content"] for p, s in before.items()} == dict.fromkeys(before, True)
    assert {p: a["followers_count"] for p, a in accounts_before.items()} == dict.fromkeys(
        accounts_before, 1
    )

    edited = await api.put(
        f"/api/v1/statuses/{status['id']}",
        headers=bob.headers,
        json={"status": "after #sunset @ana"},
    )
    assert edited.status_code == 200, edited.text
    renamed = await api.patch(
        "/api/v1/accounts/update_credentials", headers=bob.headers, data={"display_name": "Bob B."}
    )
    assert renamed.status_code == 200
    await follow(api, carl, bob)  # a counter of the author's
    assert (
        await api.post(f"/api/v1/statuses/{status['id']}/favourite", headers=carl.headers)
    ).status_code == 200
    await run_jobs()

    after = await _statuses_seen(api, ana=ana, bob=bob, **ids)
    stale = {
        path: (s["content"], s["account"]["display_name"], s["account"]["followers_count"])
        for path, s in after.items()
        if "after" not in s["content"]
        or s["account"]["display_name"] != "Bob B."
        or s["account"]["followers_count"] != 2
        or s["favourites_count"] != 2
        or s["edited_at"] is None
    }
    assert stale == {}
    assert {p: s["favourited"] and s["bookmarked"] for p, s in after.items()} == dict.fromkeys(
        after, True
    )
    accounts = await _accounts_seen(api, ana=ana, bob=bob)
    assert {p: (a["display_name"], a["followers_count"]) for p, a in accounts.items()} == (
        dict.fromkeys(accounts, ("Bob B.", 2))
    )


async def test_instances_share_entities_through_redis(
    database_url: str, ctx: AppContext, tmp_path: Path, redis_prefix: str, run_jobs: RunJobs
) -> None:
    settings = {"redis_url": REDIS_URL, "redis_prefix": redis_prefix}
    first, second = (
        Instance(database_url, tmp_path, **settings),
        Instance(database_url, tmp_path, **settings),
    )
    async with first as a, second as b:
        ana, bob = await sign_up(a, "ana"), await sign_up(a, "bob")
        await follow(a, ana, bob)
        status = await post_photo(a, bob, "shared")
        await run_jobs()
        await _json(a, "/api/v1/timelines/home", ana)
        cache = first.ctx.cache
        assert isinstance(cache, RedisCache)
        redis = aioredis.from_url(REDIS_URL)
        keys = [k async for k in redis.scan_iter(f"{cache.prefix}status:{status['id']}:*")]
        assert len(keys) == 1
        assert 0 < await redis.ttl(keys[0]) <= 86_400
        # Instance b has never rendered this post: what it shows can only come from Redis.
        stored = await redis.get(keys[0])
        assert stored is not None
        body = orjson.loads(stored)
        await redis.set(keys[0], orjson.dumps(body | {"content": "<p>from redis</p>"}))
        home = await _json(b, "/api/v1/timelines/home", ana)
        assert home[0]["content"] == "<p>from redis</p>"
        await redis.aclose()


async def test_reads_are_served_while_redis_is_down(
    database_url: str, ctx: AppContext, tmp_path: Path, run_jobs: RunJobs
) -> None:
    async with Instance(database_url, tmp_path, redis_url=DEAD_REDIS_URL) as api:
        ana, bob = await sign_up(api, "ana"), await sign_up(api, "bob")
        await follow(api, ana, bob)
        status = await post_photo(api, bob, "still here")
        await run_jobs()
        for _ in range(2):
            home = await _json(api, "/api/v1/timelines/home", ana)
            assert [s["id"] for s in home] == [status["id"]]
            assert (await _json(api, f"/api/v1/statuses/{status['id']}"))["id"] == status["id"]
            assert (await _json(api, f"/api/v1/accounts/{bob.id}"))["username"] == "bob"

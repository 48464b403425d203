"""Exclusive lists keep their members out of the owner's home feed, in each feed store
(the SQL table, Redis, a Redis Cluster): at once when they join, back when they leave,
for fanned-out authors, pulled (large) ones and rebuilt feeds alike."""

from __future__ import annotations

from typing import Any

import httpx

from shutter.feed.models import FeedEntry
from shutter.feed.redis_store import RedisFeedStore
from shutter.feed.store import feed_store
from shutter.infra.context import AppContext
from tests.support.api import User, follow, sign_up
from tests.support.feed_stores import client, ctx, redis_cluster_url, run_jobs, store_app
from tests.support.states import RunJobs, post

__all__ = ["client", "ctx", "redis_cluster_url", "run_jobs", "store_app"]  # fixtures


async def _stored(ctx: AppContext, account_id: int) -> set[int]:
    """The authors whose posts the account's feed holds, as its store keeps it."""
    store = feed_store(ctx)
    if isinstance(store, RedisFeedStore):
        return {author for _, author in await store.entries(account_id) or []}
    async with ctx.db.read() as session:
        rows = await session.scalars(
            FeedEntry.__table__.select()
            .with_only_columns(FeedEntry.author_id)
            .where(FeedEntry.account_id == account_id)
        )
        return set(rows)


async def _home(client: httpx.AsyncClient, user: User) -> list[str]:
    answer = await client.get("/api/v1/timelines/home", headers=user.headers)
    assert answer.status_code == 200, answer.text
    return [status["id"] for status in answer.json()]


async def _call(client: httpx.AsyncClient, user: User, method: str, url: str, **body: Any) -> Any:
    answer = await client.request(method, url, headers=user.headers, json=body or None)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_exclusive_members_leave_the_home_feed_and_come_back(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: RunJobs
) -> None:
    ana, bo, cy = [await sign_up(client, name) for name in ("ana", "bo", "cy")]
    await follow(client, ana, bo)
    await follow(client, ana, cy)
    await run_jobs()
    await _home(client, ana)  # a Redis feed exists once read
    bo_first, cy_first = await post(client, bo, "one"), await post(client, cy, "two")
    await run_jobs()
    assert await _home(client, ana) == [cy_first, bo_first]

    made = await _call(client, ana, "POST", "/api/v1/lists", title="Noisy", exclusive=True)
    await _call(client, ana, "POST", f"/api/v1/lists/{made['id']}/accounts", account_ids=[bo.id])
    assert await _home(client, ana) == [cy_first]  # at once, before any job
    await run_jobs()
    assert int(bo.id) not in await _stored(ctx, int(ana.id))
    bo_second = await post(client, bo, "three")
    await run_jobs()
    assert await _home(client, ana) == [cy_first]
    assert int(bo.id) not in await _stored(ctx, int(ana.id))  # fan-out skipped her
    timeline = await _call(client, ana, "GET", f"/api/v1/timelines/list/{made['id']}")
    assert [s["id"] for s in timeline] == [bo_second, bo_first]

    # A list that is not exclusive leaves the home feed alone; removing bo, or making the
    # list inclusive, brings his posts back (a back-fill, as after a follow).
    await _call(client, ana, "PUT", f"/api/v1/lists/{made['id']}", exclusive=False)
    await run_jobs()
    assert await _home(client, ana) == [bo_second, cy_first, bo_first]
    assert int(bo.id) in await _stored(ctx, int(ana.id))
    await _call(client, ana, "PUT", f"/api/v1/lists/{made['id']}", exclusive=True)
    assert await _home(client, ana) == [cy_first]
    await run_jobs()
    await _call(client, ana, "DELETE", f"/api/v1/lists/{made['id']}/accounts", account_ids=[bo.id])
    await run_jobs()
    assert await _home(client, ana) == [bo_second, cy_first, bo_first]

    # Two exclusive lists: leaving one keeps him out while the other holds him.
    one = await _call(client, ana, "POST", "/api/v1/lists", title="A", exclusive=True)
    two = await _call(client, ana, "POST", "/api/v1/lists", title="B", exclusive=True)
    for made in (one, two):
        await _call(
            client, ana, "POST", f"/api/v1/lists/{made['id']}/accounts", account_ids=[bo.id]
        )
    await run_jobs()
    await _call(client, ana, "DELETE", f"/api/v1/lists/{one['id']}")
    await run_jobs()
    assert await _home(client, ana) == [cy_first]
    assert int(bo.id) not in await _stored(ctx, int(ana.id))
    # Unfollowing takes him out of the list; following again brings him home.
    await _call(client, ana, "POST", f"/api/v1/accounts/{bo.id}/unfollow")
    await follow(client, ana, bo)
    await run_jobs()
    assert await _home(client, ana) == [bo_second, cy_first, bo_first]


async def test_exclusive_members_stay_out_when_pulled_or_rebuilt(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: RunJobs
) -> None:
    ana, star, fan = [await sign_up(client, name) for name in ("ana", "star", "fan")]
    await follow(client, ana, star)
    await follow(client, fan, star)
    await run_jobs()
    ctx.settings.fanout_follower_threshold = 1  # star is pulled when feeds are read
    try:
        starred = await post(client, star, "big news")
        await run_jobs()
        assert await _home(client, ana) == [starred]
        made = await _call(client, ana, "POST", "/api/v1/lists", title="Stars", exclusive=True)
        path = f"/api/v1/lists/{made['id']}/accounts"
        await _call(client, ana, "POST", path, account_ids=[star.id])
        assert await _home(client, ana) == []
    finally:
        ctx.settings.fanout_follower_threshold = 10_000
    store = feed_store(ctx)
    if isinstance(store, RedisFeedStore):
        # A lost feed is rebuilt without the members of exclusive lists.
        redis = store._redis()
        await redis.delete(store.key(int(ana.id)))
        await redis.delete(store.built_key(int(ana.id)))
        assert await _home(client, ana) == []
        assert int(star.id) not in await _stored(ctx, int(ana.id))

"""A deleted account leaves every home feed, in each feed store (the SQL table, Redis, a
Redis Cluster): its own feed is dropped and its posts leave its followers' feeds."""

from __future__ import annotations

import httpx

from shutter.feed.models import FeedEntry
from shutter.feed.redis_store import RedisFeedStore
from shutter.feed.store import feed_store
from shutter.infra.context import AppContext
from tests.support.api import follow, sign_up
from tests.support.credentials import PASSWORD
from tests.support.feed_stores import client, ctx, redis_cluster_url, run_jobs, store_app
from tests.support.states import RunJobs, post

__all__ = ["client", "ctx", "redis_cluster_url", "run_jobs", "store_app"]  # fixtures


async def _stored(ctx: AppContext, account_id: int) -> list[int]:
    """The post ids of a feed as its store holds it (nothing for a dropped one)."""
    store = feed_store(ctx)
    if isinstance(store, RedisFeedStore):
        return [post_id for post_id, _ in await store.entries(account_id) or []]
    async with ctx.db.read() as session:
        rows = await session.scalars(
            FeedEntry.__table__.select()
            .with_only_columns(FeedEntry.post_id)
            .where(FeedEntry.account_id == account_id)
        )
        return list(rows)


async def _home(client: httpx.AsyncClient, headers: dict[str, str]) -> list[str]:
    answer = await client.get("/api/v1/timelines/home", headers=headers)
    assert answer.status_code == 200, answer.text
    return [status["id"] for status in answer.json()]


async def test_a_deleted_account_leaves_every_feed(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: RunJobs
) -> None:
    ana, bob = await sign_up(client, "fdana"), await sign_up(client, "fdbob")
    await follow(client, ana, bob)
    await follow(client, bob, ana)
    await run_jobs()
    hers, his = await post(client, ana, "hers"), await post(client, bob, "his")
    await run_jobs()
    assert await _home(client, ana.headers) == [his, hers]  # builds a Redis feed
    assert hers in await _home(client, bob.headers)
    assert int(his) in await _stored(ctx, int(ana.id))

    deleted = await client.post(
        "/api/v1/shutter/account/delete", headers=ana.headers, data={"password": PASSWORD}
    )
    assert deleted.status_code == 202, deleted.text
    assert hers not in await _home(client, bob.headers)  # at once, before any job
    await run_jobs()

    assert await _stored(ctx, int(ana.id)) == []
    assert int(hers) not in await _stored(ctx, int(bob.id))
    assert await _home(client, bob.headers) == [his]

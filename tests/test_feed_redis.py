"""Home feeds in Redis (and a Redis Cluster): fan-out, cap, hybrid merge, rebuilds after
inactivity or a lost Redis, a Redis that is down, and removals that survive rebuilds."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import pytest

from shutter.app import create_app
from shutter.feed.redis_store import FEEDS_PER_CALL, RedisFeedStore
from shutter.feed.store import feed_store
from shutter.infra.context import AppContext
from shutter.infra.jobs import drain
from tests.conftest import BASE_URL
from tests.conftest import test_settings as settings_for_tests
from tests.support.api import User, follow, post_photo, sign_up
from tests.support.feed_stores import (
    REDIS_URL,
    client,
    ctx,
    delete_prefix,
    redis_cluster_url,
    run_jobs,
    store_app,
)
from tests.support.live import free_port

__all__ = ["client", "ctx", "redis_cluster_url", "run_jobs", "store_app"]  # fixtures
pytestmark = pytest.mark.parametrize("store_app", ["redis", "cluster"], indirect=True)

RunJobs = Callable[[], Awaitable[int]]


async def _home(client: httpx.AsyncClient, user: User, query: str = "") -> list[str]:
    response = await client.get(f"/api/v1/timelines/home{query}", headers=user.headers)
    assert response.status_code == 200, response.text
    return [s["id"] for s in response.json()]


def _store(ctx: AppContext) -> RedisFeedStore:
    store = feed_store(ctx)
    assert isinstance(store, RedisFeedStore)
    return store


async def _stored(ctx: AppContext, user: User) -> list[str] | None:
    entries = await _store(ctx).entries(int(user.id))
    return None if entries is None else [str(post_id) for post_id, _ in entries]


async def _forget(ctx: AppContext, user: User) -> None:
    """What a flushed Redis, or an expiry after inactivity, does to one feed."""
    store = _store(ctx)
    client = store._redis()
    await client.delete(store.key(int(user.id)))
    await client.delete(store.built_key(int(user.id)))


async def test_fanout_fills_built_feeds_capped_and_skips_missing_ones(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: RunJobs
) -> None:
    star = await sign_up(client, "star")
    fans = [await sign_up(client, f"fan{i}") for i in range(5)]
    for fan in fans:
        await follow(client, fan, star)
    await run_jobs()
    for fan in fans[:4]:
        assert await _home(client, fan) == []  # reading builds the (empty) feed
    assert await _stored(ctx, fans[0]) == []
    assert await _stored(ctx, fans[4]) is None  # never read: nothing kept for it
    saved = ctx.settings.fanout_batch_size, ctx.settings.feed_max_entries
    ctx.settings.fanout_batch_size, ctx.settings.feed_max_entries = 2, 20
    try:
        posts = [(await post_photo(client, star, f"p{i}"))["id"] for i in range(22)]
        assert await run_jobs() >= 22 * 3  # three batches of two (and one) per post
    finally:
        ctx.settings.fanout_batch_size, ctx.settings.feed_max_entries = saved
    newest = list(reversed(posts))
    for fan in fans[:4]:
        assert await _stored(ctx, fan) == newest[:20]  # capped
    assert await _stored(ctx, fans[4]) is None  # skipped by fan-out
    # The skipped feed is built on its first read, with every post (up to the cap).
    assert await _home(client, fans[4], "?limit=40") == newest[:40]
    assert await _stored(ctx, fans[4]) == newest[:22]


async def test_a_fanout_batch_wider_than_one_script_call_reaches_every_existing_feed(
    ctx: AppContext,
) -> None:
    store = _store(ctx)
    followers = list(range(1, 2 * FEEDS_PER_CALL + 52))
    read_lately = followers[::3]  # the others' feeds do not exist: skipped
    for account_id in read_lately:
        await store.open_rebuild(account_id=account_id)
    async with ctx.db.read() as session:
        added = await store.add(session, account_ids=followers, entries=[(41, 9), (42, 9)])
    assert added == len(read_lately)
    for account_id in followers:
        expected = [(42, 9), (41, 9)] if account_id in read_lately else None
        assert await store.entries(account_id) == expected, account_id


async def test_accounts_over_the_threshold_are_merged_at_read_time_with_exact_pages(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: RunJobs
) -> None:
    reader, friend, star = [await sign_up(client, n) for n in ("reader", "friend", "star")]
    others = [await sign_up(client, f"o{i}") for i in range(3)]
    for account in (reader, *others):
        await follow(client, account, star)  # star: 4 followers
    await follow(client, reader, friend)  # friend: 1 follower
    await run_jobs()
    assert await _home(client, reader) == []
    ctx.settings.fanout_follower_threshold = 2  # star is over it, friend under
    try:
        posted = []
        for i in range(7):
            for author in (star, friend, star, reader):
                posted.append((await post_photo(client, author, f"{author.username} {i}"))["id"])
        await run_jobs()
        newest = list(reversed(posted))
        stored = await _stored(ctx, reader) or []
        star_ids = {
            p for p, a in await _store(ctx).entries(int(reader.id)) or [] if a == int(star.id)
        }
        assert not star_ids and len(stored) == 7  # only friend's posts were fanned out
        assert await _home(client, reader, "?limit=40") == newest
        # Walk the whole feed by Link headers, 3 at a time, then back up by rel=prev.
        seen, url = [], "/api/v1/timelines/home?limit=3"
        while True:
            page = await client.get(url, headers=reader.headers)
            ids = [s["id"] for s in page.json()]
            if not ids:
                break
            seen += ids
            url = page.links["next"]["url"]
        assert seen == newest
        back = await client.get(
            f"/api/v1/timelines/home?min_id={newest[10]}&limit=4", headers=reader.headers
        )
        assert [s["id"] for s in back.json()] == newest[6:10]
        assert await _home(client, reader, f"?since_id={newest[5]}") == newest[:5]
        assert (
            await _home(client, reader, f"?max_id={newest[3]}&since_id={newest[9]}")
            == (newest[4:9])
        )
        # A muted star leaves the merge, and the pages stay exact around the gap.
        await client.post(f"/api/v1/accounts/{star.id}/mute", headers=reader.headers)
        without = [p for p in newest if p not in set(posted[0::4]) | set(posted[2::4])]
        assert await _home(client, reader, "?limit=40") == without
    finally:
        ctx.settings.fanout_follower_threshold = 10_000


async def test_inactive_or_flushed_feeds_are_rebuilt_with_every_post(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: RunJobs
) -> None:
    ana, bob, cat = [await sign_up(client, n) for n in ("ana", "bob", "cat")]
    await follow(client, ana, bob)
    await follow(client, ana, cat)
    await run_jobs()
    first = [(await post_photo(client, a, "before"))["id"] for a in (bob, cat, ana)]
    await run_jobs()
    assert await _home(client, ana) == list(reversed(first))
    ttl = await _store(ctx)._redis().ttl(_store(ctx).key(int(ana.id)))
    assert 29 * 86400 < ttl <= 30 * 86400  # feed_inactive_days, renewed by every read
    await _forget(ctx, ana)  # inactive for 30 days, or Redis flushed
    later = [(await post_photo(client, a, "while away"))["id"] for a in (bob, cat)]
    await run_jobs()
    assert await _stored(ctx, ana) is None  # fan-out skipped the missing feed
    expected = list(reversed(first + later))
    assert await _home(client, ana) == expected
    assert await _stored(ctx, ana) == [p for p in expected if p != first[2]]  # own: merged


async def test_removals_leave_redis_and_never_come_back_after_a_rebuild(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: RunJobs
) -> None:
    ana = await sign_up(client, "ana")
    bob, cat, dan, eve = [await sign_up(client, n) for n in ("bob", "cat", "dan", "eve")]
    for author in (bob, cat, dan, eve):
        await follow(client, ana, author)
    await run_jobs()
    assert await _home(client, ana) == []
    posts = {a.username: (await post_photo(client, a, "hi"))["id"] for a in (bob, cat, dan, eve)}
    gone = (await post_photo(client, eve, "to delete"))["id"]
    await run_jobs()
    assert len(await _stored(ctx, ana) or []) == 5
    await client.post(f"/api/v1/accounts/{bob.id}/unfollow", headers=ana.headers)
    await client.post(f"/api/v1/accounts/{ana.id}/block", headers=cat.headers)
    await client.post(f"/api/v1/accounts/{dan.id}/mute", headers=ana.headers)
    await client.delete(f"/api/v1/statuses/{gone}", headers=eve.headers)
    # Hidden at once (reads check the graph), before any removal job ran.
    assert await _home(client, ana) == [posts["eve"]]
    await run_jobs()
    # Out of Redis: unfollowed, blocked, deleted; the mute only filters (it may be lifted).
    assert await _stored(ctx, ana) == [posts["eve"], posts["dan"]]
    await _forget(ctx, ana)
    assert await _home(client, ana) == [posts["eve"]]
    assert await _stored(ctx, ana) == [posts["eve"], posts["dan"]]
    await client.post(f"/api/v1/accounts/{dan.id}/unmute", headers=ana.headers)
    assert await _home(client, ana) == [posts["eve"], posts["dan"]]


async def test_an_unreachable_redis_serves_home_from_the_database(
    client: httpx.AsyncClient, database_url: str, ctx: AppContext, tmp_path: Path
) -> None:
    ana, bob = await sign_up(client, "ana"), await sign_up(client, "bob")
    await follow(client, ana, bob)
    closed = free_port()  # nothing listens there
    prefix = f"{ctx.settings.redis_prefix}-down"
    settings = settings_for_tests(
        tmp_path,
        database_url,
        redis_url=REDIS_URL,
        redis_prefix=prefix,
        feed_redis_url=f"redis://127.0.0.1:{closed}",
    )
    app = create_app(settings)
    try:
        async with app.router.lifespan_context(app):
            down: AppContext = app.state.ctx
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as api:
                ids = [(await post_photo(api, a, "x"))["id"] for a in (bob, ana, bob)]
                await drain(down)  # the fan-out fails and waits for a retry; nothing breaks
                newest = list(reversed(ids))
                assert await _home(api, ana) == newest
                page = await api.get("/api/v1/timelines/home?limit=2", headers=ana.headers)
                assert [s["id"] for s in page.json()] == newest[:2]
                rest = await api.get(page.links["next"]["url"], headers=ana.headers)
                assert [s["id"] for s in rest.json()] == newest[2:]
                assert await _home(api, bob) == [ids[2], ids[0]]
    finally:
        # On the machine's Redis whichever store this test runs on: the fixture cleans
        # only its own (the Redis Cluster's, in the cluster run).
        delete_prefix(REDIS_URL, prefix)

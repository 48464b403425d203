"""The home feed: fan-out by jobs, pagination, removal, privacy and a constant query count.

Every test runs once per feed store (SQL table, Redis, Redis Cluster; see
tests/support/feed_stores.py) on each database backend.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
from sqlalchemy import event

from shutter.feed.store import feed_store
from shutter.infra.context import AppContext
from tests.support.api import User, follow, post_photo, sign_up
from tests.support.feed_stores import client, ctx, redis_cluster_url, run_jobs, store_app

__all__ = ["client", "ctx", "redis_cluster_url", "run_jobs", "store_app"]  # fixtures

RunJobs = Callable[[], Awaitable[int]]


async def _home(client: httpx.AsyncClient, user: User, query: str = "") -> list[str]:
    response = await client.get(f"/api/v1/timelines/home{query}", headers=user.headers)
    assert response.status_code == 200, response.text
    return [s["id"] for s in response.json()]


async def test_home_has_own_and_followed_posts_newest_first(
    client: httpx.AsyncClient, run_jobs: RunJobs
) -> None:
    ana, bob, cat = [await sign_up(client, n) for n in ("ana", "bob", "cat")]
    await follow(client, ana, bob)
    await run_jobs()
    own = await post_photo(client, ana, "mine")
    assert await _home(client, ana) == [own["id"]]  # own posts appear at once
    bobs = await post_photo(client, bob, "bob's")
    await post_photo(client, cat, "not followed")
    await run_jobs()
    assert await _home(client, ana) == [bobs["id"], own["id"]]


async def test_follow_backfills_and_unfollow_removes(
    client: httpx.AsyncClient, run_jobs: RunJobs
) -> None:
    ana, bob = await sign_up(client, "ana"), await sign_up(client, "bob")
    old = await post_photo(client, bob, "before the follow")
    await run_jobs()
    await follow(client, ana, bob)
    await run_jobs()
    assert await _home(client, ana) == [old["id"]]
    response = await client.post(f"/api/v1/accounts/{bob.id}/unfollow", headers=ana.headers)
    assert response.status_code == 200
    assert await _home(client, ana) == []


async def test_deleted_post_leaves_every_feed(client: httpx.AsyncClient, run_jobs: RunJobs) -> None:
    ana, bob = await sign_up(client, "ana"), await sign_up(client, "bob")
    await follow(client, ana, bob)
    status = await post_photo(client, bob, "oops")
    await run_jobs()
    assert await _home(client, ana) == [status["id"]]
    await client.delete(f"/api/v1/statuses/{status['id']}", headers=bob.headers)
    assert await _home(client, ana) == []
    assert await _home(client, bob) == []


async def test_pagination_parameters_and_link_headers(
    client: httpx.AsyncClient, run_jobs: RunJobs
) -> None:
    ana = await sign_up(client, "ana")
    ids = [(await post_photo(client, ana, f"p{i}"))["id"] for i in range(6)]
    newest = list(reversed(ids))
    first = await client.get("/api/v1/timelines/home?limit=2", headers=ana.headers)
    assert [s["id"] for s in first.json()] == newest[:2]
    assert "max_id" in first.links["next"]["url"] and "min_id" in first.links["prev"]["url"]
    second = await client.get(first.links["next"]["url"], headers=ana.headers)
    assert [s["id"] for s in second.json()] == newest[2:4]
    assert await _home(client, ana, f"?since_id={ids[3]}") == newest[:2]
    assert await _home(client, ana, f"?min_id={ids[1]}&limit=2") == [ids[3], ids[2]]
    assert await _home(client, ana, f"?max_id={ids[4]}&since_id={ids[1]}") == [ids[3], ids[2]]
    bad = await client.get("/api/v1/timelines/home?max_id=abc", headers=ana.headers)
    assert bad.status_code == 422


async def test_home_needs_a_user_token(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/timelines/home")).status_code == 401


async def test_locked_account_posts_reach_only_approved_followers(
    client: httpx.AsyncClient, run_jobs: RunJobs
) -> None:
    ana, bob = await sign_up(client, "ana"), await sign_up(client, "bob")
    locked = await client.patch(
        "/api/v1/accounts/update_credentials", headers=bob.headers, data={"locked": "true"}
    )
    assert locked.json()["locked"] is True
    secret = await post_photo(client, bob, "friends only")
    relationship = await follow(client, ana, bob)
    assert relationship["requested"] is True and relationship["following"] is False
    await run_jobs()
    assert await _home(client, ana) == []
    assert (
        await client.get(f"/api/v1/statuses/{secret['id']}", headers=ana.headers)
    ).status_code == 404
    assert (
        await client.get(f"/api/v1/accounts/{bob.id}/statuses", headers=ana.headers)
    ).json() == []
    ok = await client.post(f"/api/v1/follow_requests/{ana.id}/authorize", headers=bob.headers)
    assert ok.status_code == 200
    await run_jobs()
    assert await _home(client, ana) == [secret["id"]]
    assert (
        await client.get(f"/api/v1/statuses/{secret['id']}", headers=ana.headers)
    ).status_code == 200
    assert (await client.get(f"/api/v1/statuses/{secret['id']}")).status_code == 404


async def test_fanout_reaches_many_followers_in_batches(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: RunJobs, monkeypatch: object
) -> None:
    star = await sign_up(client, "star")
    fans = [await sign_up(client, f"fan{i}") for i in range(7)]
    for fan in fans:
        await follow(client, fan, star)
    saved = ctx.settings.fanout_batch_size
    ctx.settings.fanout_batch_size = 3
    try:
        status = await post_photo(client, star, "hello fans")
        assert await run_jobs() >= 3  # ceil(7 / 3) batches plus the back-fills
    finally:
        ctx.settings.fanout_batch_size = saved
    for fan in fans:
        assert await _home(client, fan) == [status["id"]]


async def test_home_read_issues_a_constant_number_of_queries(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: RunJobs
) -> None:
    reader = await sign_up(client, "reader")
    authors = [await sign_up(client, f"author{i}") for i in range(4)]
    for author in authors:
        await follow(client, reader, author)
        for i in range(3):
            await post_photo(client, author, f"{author.username} {i}", photos=2)
    await run_jobs()
    # Some of the page liked and saved by the reader, some liked by others: the flags and
    # counters come from batched queries, not one per post.
    home = (await client.get("/api/v1/timelines/home?limit=12", headers=reader.headers)).json()
    for status in home[::3]:
        await client.post(f"/api/v1/statuses/{status['id']}/favourite", headers=reader.headers)
        await client.post(f"/api/v1/statuses/{status['id']}/bookmark", headers=reader.headers)
    for status in home[1::3]:
        await client.post(f"/api/v1/statuses/{status['id']}/favourite", headers=authors[0].headers)
    statements: list[str] = []

    def count(*args: object) -> None:
        statement = str(args[2])
        if statement.split()[0] not in ("BEGIN", "COMMIT", "ROLLBACK"):
            statements.append(statement)

    engine = ctx.db.read_engine.sync_engine

    async def queries_of_home_read(limit: int) -> int:
        statements.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            ids = await _home(client, reader, f"?limit={limit}")
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert len(ids) == limit
        return len(statements)

    ctx.cache.clear()
    cold = {limit: await queries_of_home_read(limit) for limit in (2, 12)}
    ctx.cache.clear()
    cold[12] = await queries_of_home_read(12)
    warm = await queries_of_home_read(12)
    # Cold: token, the followed accounts merged at read time (cached per viewer version
    # and minute), the page with cache keys, counters and the reader's likes and saves,
    # posts with authors, media. Warm: token and page. (The Redis store's window comes
    # from Redis, not SQL; with Redis, an instance remembers the caller of a token it has
    # seen, so the token query is gone too.)
    if feed_store(ctx).distributed:
        # The Redis entity cache outlives clear(): "cold" may be warm. Constant either way.
        assert cold[2] == cold[12] and cold[12] in (1, 2, 3, 4), statements
        assert warm == 1, statements
    else:
        assert cold == {2: 5, 12: 5}, statements
        assert warm == 2, statements
    page = (await client.get("/api/v1/timelines/home?limit=12", headers=reader.headers)).json()
    assert [s["favourited"] for s in page] == [i % 3 == 0 for i in range(12)]
    assert [s["bookmarked"] for s in page] == [i % 3 == 0 for i in range(12)]
    assert [s["favourites_count"] for s in page] == [int(i % 3 != 2) for i in range(12)]


async def test_cached_statuses_follow_edits_and_profile_changes(
    client: httpx.AsyncClient, run_jobs: RunJobs
) -> None:
    ana, bob = await sign_up(client, "ana"), await sign_up(client, "bob")
    await follow(client, ana, bob)
    status = await post_photo(client, bob, "before")
    await run_jobs()
    first = await client.get("/api/v1/timelines/home", headers=ana.headers)
    assert "before" in first.json()[0]["content"]
    await client.put(
        f"/api/v1/statuses/{status['id']}", headers=bob.headers, json={"status": "after"}
    )
    await client.patch(
        "/api/v1/accounts/update_credentials", headers=bob.headers, data={"display_name": "Bob B."}
    )
    again = (await client.get("/api/v1/timelines/home", headers=ana.headers)).json()[0]
    assert "after" in again["content"]
    assert again["account"]["display_name"] == "Bob B."
    profile = (await client.get(f"/api/v1/accounts/{bob.id}/statuses")).json()[0]
    assert "after" in profile["content"] and profile["account"]["display_name"] == "Bob B."

"""Filters on the home feed, on every feed store (SQL table, Redis, Redis Cluster) and both
databases: `hide` leaves a status out and the page moves past it, `warn` marks it, and a
viewer with filters pays one query more than one without."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from sqlalchemy import event

from shutter.feed.store import feed_store
from shutter.infra.context import AppContext
from tests.support.api import User, follow, post_photo, sign_up
from tests.support.feed_stores import client, ctx, redis_cluster_url, run_jobs, store_app
from tests.support.schema import assert_entity

__all__ = ["client", "ctx", "redis_cluster_url", "run_jobs", "store_app"]  # fixtures

RunJobs = Callable[[], Awaitable[int]]


async def _home(client: httpx.AsyncClient, user: User, query: str = "") -> list[dict[str, Any]]:
    response = await client.get(f"/api/v1/timelines/home{query}", headers=user.headers)
    assert response.status_code == 200, response.text
    body: list[dict[str, Any]] = response.json()
    return body


async def _filter(client: httpx.AsyncClient, user: User, **body: Any) -> dict[str, Any]:
    response = await client.post("/api/v2/filters", headers=user.headers, json=body)
    assert response.status_code == 200, response.text
    made: dict[str, Any] = response.json()
    return made


async def test_home_hides_and_warns(client: httpx.AsyncClient, run_jobs: RunJobs) -> None:
    ana = await sign_up(client, "ana")
    bo = await sign_up(client, "bo")
    await follow(client, ana, bo)
    plain = await post_photo(client, bo, "morning coffee")
    hidden = await post_photo(client, bo, "Election results tonight")
    warned = await post_photo(client, bo, "a spoiler for the finale")
    own = await post_photo(client, ana, "my election selfie")
    await run_jobs()
    await _filter(
        client,
        ana,
        title="politics",
        context=["home"],
        filter_action="hide",
        keywords_attributes=[{"keyword": "election"}],
    )
    await _filter(
        client, ana, title="tv", context=["home"], keywords_attributes=[{"keyword": "FINALE"}]
    )
    await _filter(  # other contexts leave home alone
        client,
        ana,
        title="coffee",
        context=["public", "thread"],
        filter_action="hide",
        keywords_attributes=[{"keyword": "coffee"}],
    )
    page = await _home(client, ana)
    assert [s["id"] for s in page] == [warned["id"], plain["id"]]  # own posts are filtered too
    for status in page:
        assert_entity("Status", status)
    [result] = page[0]["filtered"]
    assert_entity("FilterResult", result)
    assert (result["filter"]["title"], result["keyword_matches"], result["status_matches"]) == (
        "tv",
        ["finale"],
        None,
    )
    assert page[1]["filtered"] == []
    # Paging moves past hidden statuses: two at a time, nothing is lost or repeated.
    first = await client.get("/api/v1/timelines/home?limit=2", headers=ana.headers)
    assert [s["id"] for s in first.json()] == [warned["id"]]  # own and the hidden one left out
    link = first.headers["link"]
    next_url = link.split(";")[0].strip("<>").split("/api/v1/timelines/home")[1]
    rest = await _home(client, ana, next_url)
    assert [s["id"] for s in rest] == [plain["id"]]
    # Bo's own home is not filtered by Ana's filters.
    assert hidden["id"] in [s["id"] for s in await _home(client, bo)]
    assert own["id"] not in [s["id"] for s in await _home(client, bo)]


async def test_home_status_filter_and_removal(client: httpx.AsyncClient, run_jobs: RunJobs) -> None:
    ana = await sign_up(client, "ana")
    bo = await sign_up(client, "bo")
    await follow(client, ana, bo)
    target = await post_photo(client, bo, "nothing special")
    await run_jobs()
    made = await _filter(client, ana, title="that one", context=["home"], filter_action="hide")
    added = await client.post(
        f"/api/v2/filters/{made['id']}/statuses",
        headers=ana.headers,
        json={"status_id": target["id"]},
    )
    assert added.status_code == 200
    assert await _home(client, ana) == []
    switched = await client.put(
        f"/api/v2/filters/{made['id']}", headers=ana.headers, json={"filter_action": "warn"}
    )
    assert switched.status_code == 200
    [status] = await _home(client, ana)
    assert status["filtered"][0]["status_matches"] == [target["id"]]
    removed = await client.delete(f"/api/v2/filters/{made['id']}", headers=ana.headers)
    assert removed.status_code == 200
    [status] = await _home(client, ana)
    assert status["filtered"] == []


async def test_home_with_filters_costs_one_query_more(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: RunJobs
) -> None:
    """The page query tells whether the viewer has filters in force, so only a viewer who
    has some pays for loading them (tests/test_feed.py pins the others' count)."""
    reader = await sign_up(client, "reader")
    author = await sign_up(client, "author")
    await follow(client, reader, author)
    for i in range(4):
        await post_photo(client, author, f"post {i}")
    await run_jobs()
    statements: list[str] = []

    def count(*args: object) -> None:
        if str(args[2]).split()[0] not in ("BEGIN", "COMMIT", "ROLLBACK"):
            statements.append(str(args[2]))

    engine = ctx.db.read_engine.sync_engine

    async def queries() -> int:
        await _home(client, reader)  # warm
        statements.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            await _home(client, reader)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(statements)

    without = await queries()
    await _filter(
        client, reader, title="t", context=["home"], keywords_attributes=[{"keyword": "zzz"}]
    )
    assert await queries() == without + 1, statements
    if not feed_store(ctx).distributed:
        assert without == 2, statements

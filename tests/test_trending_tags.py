"""Trending hashtags with their week of history; links, which never trend here."""

from __future__ import annotations

import httpx

from shutter.infra.context import AppContext
from tests.support.api import post_photo, sign_up
from tests.support.schema import assert_entity
from tests.support.states import change


async def _names(client: httpx.AsyncClient, query: str = "") -> list[str]:
    response = await client.get(f"/api/v1/trends/tags{query}")
    assert response.status_code == 200, response.text
    for body in response.json():
        assert_entity("Tag", body)
        assert len(body["history"]) == 7
    return [t["name"] for t in response.json()]


async def test_tags_rank_by_accounts_then_uses(client: httpx.AsyncClient, ctx: AppContext) -> None:
    ana, bo, cy, eve = [await sign_up(client, n) for n in ("ana", "bo", "cy", "eve")]
    first = await post_photo(client, ana, "#Cats everywhere")
    for user in (bo, cy):
        for _ in range(2):
            await post_photo(client, user, "#cats again")
    for _ in range(3):
        await post_photo(client, ana, "#dogs")
    await post_photo(client, bo, "#birds")
    await post_photo(client, ana, "#secret", visibility="private")
    await post_photo(client, ana, "#quiet", visibility="unlisted")
    await change(ctx, eve, "silence")
    for _ in range(4):
        await post_photo(client, eve, "#muffled")
    comment = await client.post(
        "/api/v1/statuses",
        headers=bo.headers,
        json={"status": "#inreply", "in_reply_to_id": first["id"]},
    )
    assert comment.status_code == 200
    assert await _names(client) == ["Cats", "dogs", "birds"]
    response = await client.get("/api/v1/trends/tags")
    cats = response.json()[0]["history"][0]
    assert (cats["uses"], cats["accounts"]) == ("5", "3")
    assert [int(day["day"]) % 86400 for day in response.json()[0]["history"]] == [0] * 7
    page = await client.get("/api/v1/trends/tags?limit=1&offset=1")
    assert [t["name"] for t in page.json()] == ["dogs"]
    assert page.links["next"]["url"] == "http://testserver/api/v1/trends/tags?limit=1&offset=2"
    assert page.links["prev"]["url"] == "http://testserver/api/v1/trends/tags?limit=1&offset=0"
    last = await client.get(page.links["next"]["url"])
    assert [t["name"] for t in last.json()] == ["birds"] and "next" not in last.links
    assert await _names(client, "?offset=3") == []
    assert await _names(client, "?limit=500") == ["Cats", "dogs", "birds"]  # clamped to 20
    # Mastodon's older path answers the same.
    assert [t["name"] for t in (await client.get("/api/v1/trends")).json()] == await _names(client)
    following = await client.get("/api/v1/trends/tags", headers=ana.headers)
    assert [t["following"] for t in following.json()] == [False, False, False]


async def test_links_never_trend_and_hostile_input(client: httpx.AsyncClient) -> None:
    ana = await sign_up(client, "ana")
    await post_photo(client, ana, "see https://example.com/page #links")
    assert (await client.get("/api/v1/trends/links")).json() == []
    url = "/api/v1/timelines/link?url=https%3A%2F%2Fexample.com%2Fpage"
    response = await client.get(url, headers=ana.headers)
    assert response.status_code == 200 and response.json() == []
    assert (await client.get("/api/v1/timelines/link")).status_code == 422  # url is required
    for path in ("/api/v1/trends/tags", "/api/v1/trends/links"):
        for query in ("?offset=-1", "?limit=abc", "?offset=99999999"):
            response = await client.get(f"{path}{query}")
            assert response.status_code == 422, (path, query)
            assert "error" in response.json()

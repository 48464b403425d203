"""Hashtags and mentions: parsing in any script, rendering, tag timelines, the Tag entity."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from shutter.posts.text import normalize_tag, parse
from tests.support.api import User, post_photo, sign_up
from tests.support.schema import assert_entity

RunJobs = Callable[[], Awaitable[int]]


async def _tag_ids(client: httpx.AsyncClient, path: str, user: User | None = None) -> list[str]:
    response = await client.get(path, headers=user.headers if user else {})
    assert response.status_code == 200, response.text
    for body in response.json():
        assert_entity("Status", body)
    return [s["id"] for s in response.json()]


def test_tags_in_any_script_and_case() -> None:
    tags, mentions = parse(
        "#Café #東京 #हिन्दी #snake_case #123 #x1 a#b @bob, @Bob. and @ann@elsewhere.org "
        "@cat@testserver url/#frag #CAFÉ",
        host="testserver",
    )
    assert tags == ["Café", "東京", "हिन्दी", "snake_case", "x1"]
    assert mentions == ["bob", "cat"]
    assert normalize_tag("Straße") == normalize_tag("STRASSE")
    assert normalize_tag("ｆｕｌｌ") == "full"  # NFKC: full-width letters


async def test_caption_links_tags_and_mentions(client: httpx.AsyncClient) -> None:
    ana, bob = await sign_up(client, "ana"), await sign_up(client, "bob")
    status = await post_photo(client, ana, "Sunset with @bob and @nobody #GoldenHour <3")
    assert_entity("Status", status)
    assert status["tags"] == [{"name": "GoldenHour", "url": "http://testserver/tags/goldenhour"}]
    assert status["mentions"] == [
        {"id": bob.id, "username": "bob", "url": "http://testserver/@bob", "acct": "bob"}
    ]
    content = status["content"]
    assert (
        '<a href="http://testserver/tags/goldenhour" class="mention hashtag" rel="tag">'
        "#<span>GoldenHour</span></a>" in content
    )
    assert (
        '<span class="h-card"><a href="http://testserver/@bob" class="u-url mention">'
        "@<span>bob</span></a></span>" in content
    )
    assert "@nobody" in content and "&lt;3" in content
    fetched = (await client.get(f"/api/v1/statuses/{status['id']}")).json()
    assert fetched["tags"] == status["tags"] and fetched["content"] == content


async def test_tag_timeline_is_case_insensitive_and_paginates(client: httpx.AsyncClient) -> None:
    ana, bob = await sign_up(client, "ana"), await sign_up(client, "bob")
    ids = [(await post_photo(client, ana, f"#Travel day {i}"))["id"] for i in range(3)]
    other = await post_photo(client, bob, "#food only")
    newest = list(reversed(ids))
    assert await _tag_ids(client, "/api/v1/timelines/tag/travel") == newest
    assert await _tag_ids(client, "/api/v1/timelines/tag/TRAVEL") == newest
    first = await client.get("/api/v1/timelines/tag/travel?limit=2")
    assert [s["id"] for s in first.json()] == newest[:2]
    rest = await client.get(first.links["next"]["url"])
    assert [s["id"] for s in rest.json()] == newest[2:]
    assert await _tag_ids(client, "/api/v1/timelines/tag/food") == [other["id"]]
    assert await _tag_ids(client, "/api/v1/timelines/tag/nothing") == []


async def test_tag_timeline_any_all_none(client: httpx.AsyncClient) -> None:
    ana = await sign_up(client, "ana")
    cat = (await post_photo(client, ana, "#cat"))["id"]
    dog = (await post_photo(client, ana, "#dog"))["id"]
    both = (await post_photo(client, ana, "#cat #dog"))["id"]
    base = "/api/v1/timelines/tag/cat"
    assert await _tag_ids(client, f"{base}?any[]=dog") == [both, dog, cat]
    assert await _tag_ids(client, f"{base}?all[]=dog") == [both]
    assert await _tag_ids(client, f"{base}?none[]=dog") == [cat]
    assert await _tag_ids(client, f"{base}?all[]=unknown") == []
    assert await _tag_ids(client, f"{base}?none[]=unknown") == [both, cat]


async def test_tag_timeline_shows_only_public_posts(client: httpx.AsyncClient) -> None:
    ana, shy = await sign_up(client, "ana"), await sign_up(client, "shy")
    await client.patch(
        "/api/v1/accounts/update_credentials", headers=shy.headers, data={"locked": "true"}
    )
    public = await post_photo(client, ana, "#sky")
    await post_photo(client, shy, "#sky")
    comment = await client.post(
        "/api/v1/statuses",
        headers=ana.headers,
        json={"status": "#sky too", "in_reply_to_id": public["id"]},
    )
    assert comment.json()["tags"][0]["name"] == "sky"
    assert await _tag_ids(client, "/api/v1/timelines/tag/sky") == [public["id"]]
    assert await _tag_ids(client, "/api/v1/timelines/tag/sky", shy) == [public["id"]]


async def test_edits_reparse_tags_and_mentions(client: httpx.AsyncClient) -> None:
    ana, bob = await sign_up(client, "ana"), await sign_up(client, "bob")
    status = await post_photo(client, ana, "#before")
    edited = await client.put(
        f"/api/v1/statuses/{status['id']}", headers=ana.headers, json={"status": "#after @bob"}
    )
    assert edited.status_code == 200
    assert [t["name"] for t in edited.json()["tags"]] == ["after"]
    assert [m["id"] for m in edited.json()["mentions"]] == [bob.id]
    assert await _tag_ids(client, "/api/v1/timelines/tag/before") == []
    assert await _tag_ids(client, "/api/v1/timelines/tag/after") == [status["id"]]


async def test_tag_entity(client: httpx.AsyncClient) -> None:
    ana = await sign_up(client, "ana")
    await post_photo(client, ana, "#NightSky")
    await post_photo(client, ana, "#nightsky again")
    for name in ("nightsky", "NIGHTSKY", "NightSky"):
        response = await client.get(f"/api/v1/tags/{name}", headers=ana.headers)
        assert response.status_code == 200
        tag: dict[str, Any] = response.json()
        assert_entity("Tag", tag)
        assert tag["name"] == "NightSky" and tag["following"] is False
        assert tag["url"] == "http://testserver/tags/nightsky"
        assert len(tag["history"]) == 7  # a week of days, newest first
        assert (tag["history"][0]["uses"], tag["history"][0]["accounts"]) == ("2", "1")
    for name in ("unused", "1234", "%20"):
        assert (await client.get(f"/api/v1/tags/{name}")).status_code == 404


async def test_mentions_notify(client: httpx.AsyncClient, run_jobs: RunJobs) -> None:
    ana, bob = await sign_up(client, "ana"), await sign_up(client, "bob")
    status = await post_photo(client, ana, "hey @bob")
    await run_jobs()
    response = await client.get("/api/v1/notifications", headers=bob.headers)
    assert response.status_code == 200, response.text
    assert [(n["type"], n["status"]["id"]) for n in response.json()] == [("mention", status["id"])]

"""Followed hashtags: the Tag entity's `following`, `/api/v1/followed_tags`, and public
posts with a followed tag reaching the home feed through fan-out, on every feed store."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx

from shutter.infra.context import AppContext
from tests.support.api import User, follow, post_photo, sign_up
from tests.support.credentials import password_grant
from tests.support.feed_stores import client, ctx, redis_cluster_url, run_jobs, store_app
from tests.support.schema import assert_entity
from tests.support.states import change

# Fixtures these tests use.
__all__ = ["client", "ctx", "redis_cluster_url", "run_jobs", "store_app"]

RunJobs = Callable[[], Awaitable[int]]
HOME = "/api/v1/timelines/home"


async def _home(client: httpx.AsyncClient, user: User) -> list[str]:
    response = await client.get(HOME, headers=user.headers)
    assert response.status_code == 200, response.text
    return [s["id"] for s in response.json()]


async def _tag_action(
    client: httpx.AsyncClient, user: User, name: str, action: str
) -> httpx.Response:
    return await client.post(f"/api/v1/tags/{name}/{action}", headers=user.headers)


async def _followed(client: httpx.AsyncClient, user: User, query: str = "") -> httpx.Response:
    response = await client.get(f"/api/v1/followed_tags{query}", headers=user.headers)
    assert response.status_code == 200, response.text
    for body in response.json():
        assert_entity("Tag", body)
    return response


async def test_follow_unfollow_and_list_tags(client: httpx.AsyncClient, run_jobs: RunJobs) -> None:
    ana, bo = await sign_up(client, "ana"), await sign_up(client, "bo")
    await post_photo(client, bo, "#Sunset over the sea")
    followed = await _tag_action(client, ana, "SUNSET", "follow")
    assert followed.status_code == 200, followed.text
    body = followed.json()
    assert_entity("Tag", body)
    assert body["name"] == "Sunset" and body["following"] is True
    assert len(body["history"]) == 7
    assert body["history"][0]["uses"] == "1" and body["history"][0]["accounts"] == "1"
    assert (await _tag_action(client, ana, "sunset", "follow")).status_code == 200  # again
    # A tag no post used yet may be followed too (Mastodon makes it).
    fresh = await _tag_action(client, ana, "Brandnew", "follow")
    assert fresh.status_code == 200 and fresh.json()["history"][0]["uses"] == "0"
    third = await _tag_action(client, ana, "third", "follow")
    assert third.status_code == 200
    shown = await client.get("/api/v1/tags/sunset", headers=ana.headers)
    assert shown.json()["following"] is True
    assert (await client.get("/api/v1/tags/sunset", headers=bo.headers)).json()[
        "following"
    ] is False
    assert (await client.get("/api/v1/tags/sunset")).json()["following"] is False
    page = await _followed(client, ana, "?limit=2")
    assert [t["name"] for t in page.json()] == ["third", "Brandnew"]
    rest = await _followed(client, ana, "?" + page.links["next"]["url"].split("?", 1)[1])
    assert [t["name"] for t in rest.json()] == ["Sunset"]
    unfollowed = await _tag_action(client, ana, "sunset", "unfollow")
    assert unfollowed.status_code == 200 and unfollowed.json()["following"] is False
    assert [t["name"] for t in (await _followed(client, ana)).json()] == ["third", "Brandnew"]
    assert (await _followed(client, bo)).json() == []


async def test_hostile_tag_requests_change_nothing(client: httpx.AsyncClient) -> None:
    ana = await sign_up(client, "ana")
    for name in ("%21%21%21", "a" * 101, "123", "%00x", "no%20space"):
        response = await _tag_action(client, ana, name, "follow")
        assert response.status_code == 404, (name, response.text)
        assert "error" in response.json()
    assert (await _tag_action(client, ana, "neverused", "unfollow")).status_code == 404
    assert (await client.post("/api/v1/tags/cats/follow")).status_code == 401
    grant = await password_grant(client, "ana@example.com", scope="read")
    assert grant.status_code == 200, grant.text
    reader = {"Authorization": f"Bearer {grant.json()['access_token']}"}
    assert (await client.post("/api/v1/tags/cats/follow", headers=reader)).status_code == 403
    assert (await _followed(client, ana)).json() == []
    assert (await client.get("/api/v1/followed_tags")).status_code == 401
    assert (
        await client.get("/api/v1/followed_tags?limit=x", headers=ana.headers)
    ).status_code == 422


async def test_followed_tag_brings_public_posts_to_home(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: RunJobs
) -> None:
    ana, bo, cy = [await sign_up(client, n) for n in ("ana", "bo", "cy")]
    dee, eve, fay = [await sign_up(client, n) for n in ("dee", "eve", "fay")]
    await follow(client, ana, fay)
    assert (await _tag_action(client, ana, "sunset", "follow")).status_code == 200
    assert await _home(client, ana) == []  # a Redis feed exists from here on
    assert (await client.post(f"/api/v1/accounts/{cy.id}/block", headers=ana.headers)).is_success
    assert (await client.post(f"/api/v1/accounts/{ana.id}/block", headers=dee.headers)).is_success
    await change(ctx, eve, "silence")
    public = (await post_photo(client, bo, "#Sunset tonight"))["id"]
    await post_photo(client, bo, "#sunset unlisted", visibility="unlisted")
    await post_photo(client, bo, "#sunset followers", visibility="private")
    await post_photo(client, bo, "#other tag")
    await post_photo(client, cy, "#sunset from a blocked account")
    await post_photo(client, dee, "#sunset from one who blocked ana")
    await post_photo(client, eve, "#sunset from a silenced account")
    by_fay = (await post_photo(client, fay, "#sunset from a followed account"))["id"]
    await run_jobs()
    assert await _home(client, ana) == [by_fay, public]
    assert public not in await _home(client, cy)  # cy follows no tag
    # A mute hides the author's tagged posts as it hides followed authors'.
    assert (await client.post(f"/api/v1/accounts/{bo.id}/mute", headers=ana.headers)).is_success
    assert await _home(client, ana) == [by_fay]
    assert (await client.post(f"/api/v1/accounts/{bo.id}/unmute", headers=ana.headers)).is_success
    assert await _home(client, ana) == [by_fay, public]
    # Unfollowing the tag takes its posts out, but not those a followed author brought.
    assert (await _tag_action(client, ana, "sunset", "unfollow")).status_code == 200
    await run_jobs()
    assert await _home(client, ana) == [by_fay]
    later = (await post_photo(client, bo, "#sunset again"))["id"]
    await run_jobs()
    assert later not in await _home(client, ana)


async def test_two_followed_tags_keep_a_post_when_one_is_unfollowed(
    client: httpx.AsyncClient, run_jobs: RunJobs
) -> None:
    ana, bo, gil = [await sign_up(client, n) for n in ("ana", "bo", "gil")]
    for name in ("cats", "dogs"):
        assert (await _tag_action(client, ana, name, "follow")).status_code == 200
    assert (await _tag_action(client, gil, "dogs", "follow")).status_code == 200
    assert await _home(client, ana) == []
    both = (await post_photo(client, bo, "#cats and #dogs"))["id"]
    cats = (await post_photo(client, bo, "#cats only"))["id"]
    await run_jobs()
    assert await _home(client, ana) == [cats, both]
    # gil never read a home feed: a Redis one is built now, with the followed tag's posts.
    assert await _home(client, gil) == [both]
    assert (await _tag_action(client, ana, "cats", "unfollow")).status_code == 200
    await run_jobs()
    assert await _home(client, ana) == [both]

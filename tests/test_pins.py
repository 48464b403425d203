"""Pinned posts through the API: Mastodon's rules, the `pinned` flag per viewer on every
read path (through the entity cache), the pinned list, and refusals that change nothing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx

from tests.support.api import User, follow, post_photo, sign_up
from tests.support.schema import assert_entity

RunJobs = Callable[[], Awaitable[int]]


async def _pin(client: httpx.AsyncClient, user: User, status_id: str) -> httpx.Response:
    return await client.post(f"/api/v1/statuses/{status_id}/pin", headers=user.headers)


async def _pinned(client: httpx.AsyncClient, author: User, viewer: User | None) -> list[dict]:
    response = await client.get(
        f"/api/v1/accounts/{author.id}/statuses",
        params={"pinned": "true"},
        headers=viewer.headers if viewer else {},
    )
    assert response.status_code == 200, response.text
    for status in response.json():
        assert_entity("Status", status)
    return response.json()


async def test_pin_and_unpin_own_post(client: httpx.AsyncClient) -> None:
    ana = await sign_up(client, "ana")
    first = await post_photo(client, ana, "first")
    second = await post_photo(client, ana, "second")
    pinned = await _pin(client, ana, first["id"])
    assert pinned.status_code == 200, pinned.text
    assert_entity("Status", pinned.json())
    assert pinned.json()["pinned"] is True
    again = await _pin(client, ana, first["id"])  # twice keeps one pin
    assert again.status_code == 200 and again.json()["pinned"] is True
    await _pin(client, ana, second["id"])
    # Newest pin first, and only the pinned posts.
    assert [s["id"] for s in await _pinned(client, ana, ana)] == [second["id"], first["id"]]
    unpinned = await client.post(f"/api/v1/statuses/{second['id']}/unpin", headers=ana.headers)
    assert unpinned.status_code == 200 and unpinned.json()["pinned"] is False
    assert [s["id"] for s in await _pinned(client, ana, None)] == [first["id"]]
    twice = await client.post(f"/api/v1/statuses/{second['id']}/unpin", headers=ana.headers)
    assert twice.status_code == 200 and twice.json()["pinned"] is False


async def test_pinned_is_per_viewer_on_every_path(
    client: httpx.AsyncClient, run_jobs: RunJobs
) -> None:
    ana, bob = await sign_up(client, "ana"), await sign_up(client, "bob")
    await follow(client, bob, ana)
    status = await post_photo(client, ana, "pinned #pins")
    await run_jobs()
    # Warm the cache as the owner and as another viewer: the flag must not stick to it.
    for user in (ana, bob):
        await client.get(f"/api/v1/statuses/{status['id']}", headers=user.headers)
        await client.get(f"/api/v1/accounts/{ana.id}/statuses", headers=user.headers)
    assert (await _pin(client, ana, status["id"])).status_code == 200
    paths = [
        f"/api/v1/statuses/{status['id']}",
        f"/api/v1/accounts/{ana.id}/statuses",
        "/api/v1/timelines/home",
        "/api/v1/timelines/tag/pins",
        f"/api/v1/statuses?id[]={status['id']}",
    ]
    for path in paths:
        for user, expected in ((ana, True), (bob, False)):
            response = await client.get(path, headers=user.headers)
            assert response.status_code == 200, (path, response.text)
            body = response.json()
            found = (
                body if isinstance(body, dict) else next(s for s in body if s["id"] == status["id"])
            )
            assert found["pinned"] is expected, (path, user.username)
    # Anonymous readers see the pinned list too (Mastodon's profile shows it), unflagged.
    [anonymous] = await _pinned(client, ana, None)
    assert anonymous["pinned"] is False


async def test_pin_refusals_change_nothing(client: httpx.AsyncClient) -> None:
    ana, bob = await sign_up(client, "ana"), await sign_up(client, "bob")
    theirs = await post_photo(client, bob, "bob's")
    refused = await _pin(client, ana, theirs["id"])
    assert refused.status_code == 422, refused.text
    assert "Someone else's post" in refused.json()["error"]
    assert await _pinned(client, bob, bob) == []
    direct = await post_photo(client, ana, "@bob secret", visibility="direct")
    refused = await _pin(client, ana, direct["id"])
    assert refused.status_code == 422 and "mentioned users" in refused.json()["error"]
    for raw in ("0", "99999999999999999999", "abc", "-1"):
        response = await _pin(client, ana, raw)
        assert response.status_code == 404, (raw, response.text)
    assert (await client.post(f"/api/v1/statuses/{theirs['id']}/pin")).status_code == 401
    assert await _pinned(client, ana, ana) == []


async def test_at_most_five_pins_and_private_posts_stay_private(
    client: httpx.AsyncClient,
) -> None:
    ana, bob = await sign_up(client, "ana"), await sign_up(client, "bob")
    posts = [await post_photo(client, ana, f"post {n}") for n in range(5)]
    private = await post_photo(client, ana, "followers only", visibility="private")
    for post in posts:
        assert (await _pin(client, ana, post["id"])).status_code == 200
    sixth = await _pin(client, ana, private["id"])
    assert sixth.status_code == 422 and "maximum" in sixth.json()["error"]
    assert len(await _pinned(client, ana, ana)) == 5
    assert (
        await client.post(f"/api/v1/statuses/{posts[0]['id']}/unpin", headers=ana.headers)
    ).status_code == 200
    assert (await _pin(client, ana, private["id"])).status_code == 200
    # A private pin shows to its owner, not to someone who does not follow them.
    assert private["id"] in {s["id"] for s in await _pinned(client, ana, ana)}
    assert private["id"] not in {s["id"] for s in await _pinned(client, ana, bob)}
    assert private["id"] not in {s["id"] for s in await _pinned(client, ana, None)}


async def test_a_deleted_post_leaves_the_pinned_list(client: httpx.AsyncClient) -> None:
    ana = await sign_up(client, "ana")
    status = await post_photo(client, ana, "soon gone")
    await _pin(client, ana, status["id"])
    deleted = await client.delete(f"/api/v1/statuses/{status['id']}", headers=ana.headers)
    assert deleted.status_code == 200, deleted.text
    assert await _pinned(client, ana, ana) == []
    # The slot is free again.
    for n in range(5):
        assert (
            await _pin(client, ana, (await post_photo(client, ana, str(n)))["id"])
        ).status_code == 200

"""Likes and saves through the API: counts, flags on every read path, pages, refusals."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx

from tests.support.api import User, follow, post_photo, register_app, sign_up
from tests.support.schema import assert_entity

RunJobs = Callable[[], Awaitable[int]]


async def _status(client: httpx.AsyncClient, status_id: str, user: User | None = None) -> dict:
    headers = user.headers if user else {}
    response = await client.get(f"/api/v1/statuses/{status_id}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def _lock(client: httpx.AsyncClient, user: User) -> None:
    response = await client.patch(
        "/api/v1/accounts/update_credentials", headers=user.headers, data={"locked": "true"}
    )
    assert response.json()["locked"] is True


async def _scoped_token(client: httpx.AsyncClient, user: User, scopes: str) -> dict[str, str]:
    """A token of `user` limited to `scopes` (password grant through the API)."""
    app = await register_app(client, scopes)
    response = await client.post(
        "/oauth/token",
        data={
            "grant_type": "password",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "username": f"{user.username}@example.com",
            "password": "correct horse battery",
            "scope": scopes,
        },
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def test_like_unlike_counts_once_and_flags_follow(client: httpx.AsyncClient) -> None:
    ana, bob = await sign_up(client, "ana"), await sign_up(client, "bob")
    status = await post_photo(client, ana, "like me")
    liked = await client.post(f"/api/v1/statuses/{status['id']}/favourite", headers=bob.headers)
    assert liked.status_code == 200, liked.text
    assert_entity("Status", liked.json())
    assert liked.json()["favourited"] is True and liked.json()["favourites_count"] == 1
    again = await client.post(f"/api/v1/statuses/{status['id']}/favourite", headers=bob.headers)
    assert again.json()["favourites_count"] == 1  # twice counts once
    assert (await _status(client, status["id"], bob))["favourited"] is True
    seen_by_ana = await _status(client, status["id"], ana)
    assert seen_by_ana["favourited"] is False and seen_by_ana["favourites_count"] == 1
    assert (await _status(client, status["id"]))["favourites_count"] == 1
    undone = await client.post(f"/api/v1/statuses/{status['id']}/unfavourite", headers=bob.headers)
    assert undone.status_code == 200
    assert undone.json()["favourited"] is False and undone.json()["favourites_count"] == 0
    twice = await client.post(f"/api/v1/statuses/{status['id']}/unfavourite", headers=bob.headers)
    assert twice.status_code == 200 and twice.json()["favourites_count"] == 0


async def test_flags_and_counts_on_every_list(client: httpx.AsyncClient, run_jobs: RunJobs) -> None:
    ana, bob = await sign_up(client, "ana"), await sign_up(client, "bob")
    await follow(client, bob, ana)
    status = await post_photo(client, ana, "everywhere #flags")
    other = await post_photo(client, ana, "untouched")
    await run_jobs()
    # Warm the cache first: the flags must not come from a cached copy.
    await client.get("/api/v1/timelines/home", headers=bob.headers)
    await client.post(f"/api/v1/statuses/{status['id']}/favourite", headers=bob.headers)
    await client.post(f"/api/v1/statuses/{status['id']}/bookmark", headers=bob.headers)
    paths = [
        "/api/v1/timelines/home",
        f"/api/v1/accounts/{ana.id}/statuses",
        "/api/v1/timelines/tag/flags",
        "/api/v1/favourites",
        "/api/v1/bookmarks",
        "/api/v1/trends/statuses",
    ]
    for path in paths:
        response = await client.get(path, headers=bob.headers)
        assert response.status_code == 200, (path, response.text)
        by_id = {s["id"]: s for s in response.json()}
        assert by_id[status["id"]]["favourited"] is True, path
        assert by_id[status["id"]]["bookmarked"] is True, path
        assert by_id[status["id"]]["favourites_count"] == 1, path
        if other["id"] in by_id:
            assert by_id[other["id"]]["favourited"] is False, path
            assert by_id[other["id"]]["bookmarked"] is False, path
        for body in response.json():
            assert_entity("Status", body)
    # The author sees the count but not bob's flags.
    home = (await client.get("/api/v1/timelines/home", headers=ana.headers)).json()
    mine = {s["id"]: s for s in home}[status["id"]]
    assert (mine["favourites_count"], mine["favourited"], mine["bookmarked"]) == (1, False, False)


async def test_favourites_list_newest_like_first_with_links(client: httpx.AsyncClient) -> None:
    ana, bob = await sign_up(client, "ana"), await sign_up(client, "bob")
    posts = [await post_photo(client, ana, f"p{i}") for i in range(4)]
    # Liked in an order unlike the posts' own order: the list follows the likes.
    order = [posts[2], posts[0], posts[3], posts[1]]
    for status in order:
        await client.post(f"/api/v1/statuses/{status['id']}/favourite", headers=bob.headers)
    first = await client.get("/api/v1/favourites?limit=2", headers=bob.headers)
    assert [s["id"] for s in first.json()] == [posts[1]["id"], posts[3]["id"]]
    second = await client.get(first.links["next"]["url"], headers=bob.headers)
    assert [s["id"] for s in second.json()] == [posts[0]["id"], posts[2]["id"]]
    back = await client.get(second.links["prev"]["url"], headers=bob.headers)
    assert [s["id"] for s in back.json()] == [posts[1]["id"], posts[3]["id"]]
    assert (await client.get("/api/v1/favourites", headers=ana.headers)).json() == []


async def test_favourited_by_lists_likers_with_links(client: httpx.AsyncClient) -> None:
    ana = await sign_up(client, "ana")
    fans = [await sign_up(client, f"fan{i}") for i in range(3)]
    status = await post_photo(client, ana, "popular")
    for fan in fans:
        await client.post(f"/api/v1/statuses/{status['id']}/favourite", headers=fan.headers)
    first = await client.get(f"/api/v1/statuses/{status['id']}/favourited_by?limit=2")
    assert first.status_code == 200
    assert [a["username"] for a in first.json()] == ["fan2", "fan1"]
    for account in first.json():
        assert_entity("Account", account)
    rest = await client.get(first.links["next"]["url"])
    assert [a["username"] for a in rest.json()] == ["fan0"]
    missing = await client.get("/api/v1/statuses/999999/favourited_by")
    assert missing.status_code == 404


async def test_bookmarks_are_private_to_the_saver(client: httpx.AsyncClient) -> None:
    ana, bob = await sign_up(client, "ana"), await sign_up(client, "bob")
    status = await post_photo(client, ana, "save me")
    saved = await client.post(f"/api/v1/statuses/{status['id']}/bookmark", headers=bob.headers)
    assert saved.status_code == 200 and saved.json()["bookmarked"] is True
    assert_entity("Status", saved.json())
    await client.post(f"/api/v1/statuses/{status['id']}/bookmark", headers=bob.headers)
    listed = (await client.get("/api/v1/bookmarks", headers=bob.headers)).json()
    assert [s["id"] for s in listed] == [status["id"]]
    assert (await client.get("/api/v1/bookmarks", headers=ana.headers)).json() == []
    assert (await _status(client, status["id"], ana))["bookmarked"] is False
    assert (await client.get("/api/v1/bookmarks")).status_code == 401
    gone = await client.post(f"/api/v1/statuses/{status['id']}/unbookmark", headers=bob.headers)
    assert gone.status_code == 200 and gone.json()["bookmarked"] is False
    assert (await client.get("/api/v1/bookmarks", headers=bob.headers)).json() == []


async def test_invisible_deleted_and_unknown_posts_are_404(client: httpx.AsyncClient) -> None:
    ana, bob = await sign_up(client, "ana"), await sign_up(client, "bob")
    await _lock(client, ana)
    secret = await post_photo(client, ana, "followers only")
    doomed = await post_photo(client, bob, "soon gone")
    await client.delete(f"/api/v1/statuses/{doomed['id']}", headers=bob.headers)
    for action in ("favourite", "unfavourite", "bookmark", "unbookmark"):
        for status_id in (secret["id"], doomed["id"], "999999", "abc"):
            response = await client.post(
                f"/api/v1/statuses/{status_id}/{action}", headers=bob.headers
            )
            assert response.status_code == 404, (action, status_id, response.text)
    assert (await client.get(f"/api/v1/statuses/{secret['id']}/favourited_by")).status_code == 404
    assert (await _status(client, secret["id"], ana))["favourites_count"] == 0
    assert (await client.get("/api/v1/favourites", headers=bob.headers)).json() == []
    assert (await client.get("/api/v1/bookmarks", headers=bob.headers)).json() == []


async def test_a_post_that_turns_private_leaves_a_strangers_lists(
    client: httpx.AsyncClient,
) -> None:
    ana, bob = await sign_up(client, "ana"), await sign_up(client, "bob")
    status = await post_photo(client, ana, "public for now")
    await client.post(f"/api/v1/statuses/{status['id']}/favourite", headers=bob.headers)
    await client.post(f"/api/v1/statuses/{status['id']}/bookmark", headers=bob.headers)
    await _lock(client, ana)
    assert (await client.get("/api/v1/favourites", headers=bob.headers)).json() == []
    assert (await client.get("/api/v1/bookmarks", headers=bob.headers)).json() == []
    assert (await _status(client, status["id"], ana))["favourites_count"] == 1


async def test_scopes_and_tokens(client: httpx.AsyncClient) -> None:
    ana, bob = await sign_up(client, "ana"), await sign_up(client, "bob")
    status = await post_photo(client, ana, "scoped")
    like = f"/api/v1/statuses/{status['id']}/favourite"
    save = f"/api/v1/statuses/{status['id']}/bookmark"
    assert (await client.post(like)).status_code == 401
    assert (await client.post(save)).status_code == 401
    assert (await client.get("/api/v1/favourites")).status_code == 401
    read_only = await _scoped_token(client, bob, "read")
    assert (await client.post(like, headers=read_only)).status_code == 403
    assert (await client.post(save, headers=read_only)).status_code == 403
    bookmarks_only = await _scoped_token(client, bob, "write:bookmarks read:bookmarks")
    assert (await client.post(like, headers=bookmarks_only)).status_code == 403
    assert (await client.post(save, headers=bookmarks_only)).status_code == 200
    assert (await client.get("/api/v1/favourites", headers=bookmarks_only)).status_code == 403
    assert (await client.get("/api/v1/bookmarks", headers=bookmarks_only)).status_code == 200
    favourites_only = await _scoped_token(client, bob, "write:favourites read:favourites")
    assert (await client.post(like, headers=favourites_only)).status_code == 200
    assert (await client.get("/api/v1/favourites", headers=favourites_only)).status_code == 200
    assert (await client.get("/api/v1/bookmarks", headers=favourites_only)).status_code == 403
    assert (await _status(client, status["id"]))["favourites_count"] == 1


async def test_concurrent_likes_and_unlikes_end_exact(client: httpx.AsyncClient) -> None:
    ana = await sign_up(client, "ana")
    status = await post_photo(client, ana, "rush")
    users = [await sign_up(client, f"u{i}") for i in range(12)]
    url = f"/api/v1/statuses/{status['id']}"

    async def like(user: User, times: int) -> None:
        for _ in range(times):
            response = await client.post(f"{url}/favourite", headers=user.headers)
            assert response.status_code == 200, response.text

    # Everyone likes (some twice at once), then half unlike while the rest like again.
    await asyncio.gather(*(like(u, 1) for u in users), *(like(u, 1) for u in users[:6]))
    assert (await _status(client, status["id"]))["favourites_count"] == 12

    async def unlike(user: User) -> None:
        response = await client.post(f"{url}/unfavourite", headers=user.headers)
        assert response.status_code == 200, response.text

    await asyncio.gather(
        *(unlike(u) for u in users[:6]),
        *(unlike(u) for u in users[:3]),
        *(like(u, 1) for u in users[6:]),
    )
    assert (await _status(client, status["id"]))["favourites_count"] == 6
    likers = await client.get(f"{url}/favourited_by?limit=40")
    assert sorted(a["username"] for a in likers.json()) == sorted(u.username for u in users[6:])

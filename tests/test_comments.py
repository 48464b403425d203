"""Comments (replies) through the API: context, counts, deletion rights, privacy."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from shutter.infra.context import AppContext
from tests.support.api import User, follow, post_photo, sign_up
from tests.support.schema import assert_entity

RunJobs = Callable[[], Awaitable[int]]


async def _comment(
    client: httpx.AsyncClient, user: User, parent_id: str, text: str
) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/statuses", headers=user.headers, json={"status": text, "in_reply_to_id": parent_id}
    )
    assert response.status_code == 200, response.text
    assert_entity("Status", response.json())
    return response.json()


async def _get(client: httpx.AsyncClient, status_id: str, user: User | None = None) -> Any:
    return await client.get(f"/api/v1/statuses/{status_id}", headers=user.headers if user else {})


async def _context(client: httpx.AsyncClient, status_id: str, user: User | None = None) -> Any:
    response = await client.get(
        f"/api/v1/statuses/{status_id}/context", headers=user.headers if user else {}
    )
    assert response.status_code == 200, response.text
    assert_entity("Context", response.json())
    return response.json()


async def _account(client: httpx.AsyncClient, user: User) -> Any:
    return (await client.get(f"/api/v1/accounts/{user.id}")).json()


async def test_comment_thread_context_and_counts(client: httpx.AsyncClient) -> None:
    ana, bob, cat = [await sign_up(client, n) for n in ("ana", "bob", "cat")]
    post = await post_photo(client, ana, "a photo")
    first = await _comment(client, bob, post["id"], "nice!")
    assert first["in_reply_to_id"] == post["id"] and first["in_reply_to_account_id"] == ana.id
    reply = await _comment(client, ana, first["id"], "thanks")
    second = await _comment(client, cat, post["id"], "wow")
    assert (await _get(client, post["id"])).json()["replies_count"] == 2
    assert (await _get(client, first["id"])).json()["replies_count"] == 1
    whole = await _context(client, post["id"])
    assert whole["ancestors"] == []
    assert [s["id"] for s in whole["descendants"]] == [first["id"], reply["id"], second["id"]]
    around = await _context(client, reply["id"])
    assert [s["id"] for s in around["ancestors"]] == [post["id"], first["id"]]
    assert around["descendants"] == []
    # Comments are not posts: the grid and the posts count show only the photo.
    grid = (await client.get(f"/api/v1/accounts/{ana.id}/statuses")).json()
    assert [s["id"] for s in grid] == [post["id"]]
    assert (await _account(client, ana))["statuses_count"] == 1
    assert (await _account(client, bob))["statuses_count"] == 0
    liked = await client.post(f"/api/v1/statuses/{first['id']}/favourite", headers=ana.headers)
    assert liked.json()["favourites_count"] == 1
    flags = (await _context(client, post["id"], ana))["descendants"]
    assert [s["favourited"] for s in flags] == [True, False, False]


async def test_comments_never_enter_home_feeds(
    client: httpx.AsyncClient, run_jobs: RunJobs
) -> None:
    ana, bob = await sign_up(client, "ana"), await sign_up(client, "bob")
    await follow(client, ana, bob)
    post = await post_photo(client, bob, "photo")
    await _comment(client, bob, post["id"], "my own comment")
    await run_jobs()
    home = (await client.get("/api/v1/timelines/home", headers=ana.headers)).json()
    assert [s["id"] for s in home] == [post["id"]]


async def test_owner_and_author_may_delete_a_comment_others_not(
    client: httpx.AsyncClient,
) -> None:
    ana, bob, cat = [await sign_up(client, n) for n in ("ana", "bob", "cat")]
    post = await post_photo(client, ana, "mine")
    by_bob = await _comment(client, bob, post["id"], "from bob")
    by_cat = await _comment(client, cat, post["id"], "from cat")
    under = await _comment(client, bob, by_cat["id"], "reply to cat")
    refused = await client.delete(f"/api/v1/statuses/{by_bob['id']}", headers=cat.headers)
    assert refused.status_code == 403
    assert (await _get(client, post["id"])).json()["replies_count"] == 2
    own = await client.delete(f"/api/v1/statuses/{by_bob['id']}", headers=bob.headers)
    assert own.status_code == 200 and own.json()["text"] == "from bob"
    by_owner = await client.delete(f"/api/v1/statuses/{by_cat['id']}", headers=ana.headers)
    assert by_owner.status_code == 200
    # A comment's replies go with it.
    assert (await _get(client, under["id"])).status_code == 404
    assert (await _get(client, post["id"])).json()["replies_count"] == 0
    assert (await _context(client, post["id"]))["descendants"] == []


async def test_deleting_a_post_deletes_its_comments(client: httpx.AsyncClient) -> None:
    ana, bob = await sign_up(client, "ana"), await sign_up(client, "bob")
    post = await post_photo(client, ana, "short-lived")
    comment = await _comment(client, bob, post["id"], "hi")
    await client.post(f"/api/v1/statuses/{comment['id']}/favourite", headers=ana.headers)
    assert (await client.delete(f"/api/v1/statuses/{post['id']}", headers=ana.headers)).is_success
    assert (await _get(client, comment["id"])).status_code == 404
    assert (await client.get("/api/v1/favourites", headers=ana.headers)).json() == []


async def test_refused_comments_change_nothing(client: httpx.AsyncClient) -> None:
    ana, bob = await sign_up(client, "ana"), await sign_up(client, "bob")
    post = await post_photo(client, ana, "photo")
    locked = await sign_up(client, "locked")
    await client.patch(
        "/api/v1/accounts/update_credentials", headers=locked.headers, data={"locked": "true"}
    )
    hidden = await post_photo(client, locked, "secret")
    cases = [
        ({"status": "x" * 256, "in_reply_to_id": post["id"]}, 422),
        ({"status": "   ", "in_reply_to_id": post["id"]}, 422),
        ({"status": "with photo", "in_reply_to_id": post["id"], "media_ids": ["1"]}, 422),
        ({"status": "ghost", "in_reply_to_id": "999999"}, 404),
        ({"status": "bad", "in_reply_to_id": "abc"}, 422),  # not an id: a bad parameter
        ({"status": "hidden", "in_reply_to_id": hidden["id"]}, 404),
    ]
    for body, status in cases:
        response = await client.post("/api/v1/statuses", headers=bob.headers, json=body)
        assert response.status_code == status, (body, response.text)
    ok = await client.post(
        "/api/v1/statuses",
        headers=bob.headers,
        json={"status": "x" * 255, "in_reply_to_id": post["id"]},
    )
    assert ok.status_code == 200
    assert (await _get(client, post["id"])).json()["replies_count"] == 1
    assert (
        await client.post("/api/v1/statuses", json={"status": "anon", "in_reply_to_id": post["id"]})
    ).status_code == 401
    assert (await client.get("/api/v1/statuses/999999/context")).status_code == 404
    assert (await client.get(f"/api/v1/statuses/{hidden['id']}/context")).status_code == 404


async def test_comments_on_a_locked_accounts_post_stay_private(
    client: httpx.AsyncClient,
) -> None:
    ana, fan, stranger = [await sign_up(client, n) for n in ("ana", "fan", "stranger")]
    await client.patch(
        "/api/v1/accounts/update_credentials", headers=ana.headers, data={"locked": "true"}
    )
    await follow(client, fan, ana)
    await client.post(f"/api/v1/follow_requests/{fan.id}/authorize", headers=ana.headers)
    post = await post_photo(client, ana, "friends only")
    comment = await _comment(client, fan, post["id"], "lovely")
    assert (await _get(client, comment["id"], stranger)).status_code == 404
    assert (await _get(client, comment["id"])).status_code == 404
    assert (await _get(client, comment["id"], ana)).status_code == 200
    assert [s["id"] for s in (await _context(client, post["id"], fan))["descendants"]] == [
        comment["id"]
    ]


async def test_a_locked_commenter_is_seen_by_the_post_owner(client: httpx.AsyncClient) -> None:
    ana, shy, stranger = [await sign_up(client, n) for n in ("ana", "shy", "stranger")]
    await client.patch(
        "/api/v1/accounts/update_credentials", headers=shy.headers, data={"locked": "true"}
    )
    post = await post_photo(client, ana, "public")
    comment = await _comment(client, shy, post["id"], "from a locked account")
    assert (await _get(client, comment["id"], ana)).status_code == 200
    assert (await _get(client, comment["id"], stranger)).status_code == 404
    assert [s["id"] for s in (await _context(client, post["id"], ana))["descendants"]] == [
        comment["id"]
    ]
    assert (await _context(client, post["id"], stranger))["descendants"] == []
    # The count is the post's, whoever may see each comment.
    assert (await _get(client, post["id"], stranger)).json()["replies_count"] == 1


async def test_comment_notifies_the_post_owner(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: RunJobs
) -> None:
    ana, bob = await sign_up(client, "ana"), await sign_up(client, "bob")
    post = await post_photo(client, ana, "notify me")
    comment = await _comment(client, bob, post["id"], "hello")
    await run_jobs()
    response = await client.get("/api/v1/notifications", headers=ana.headers)
    assert response.status_code == 200, response.text
    mentions = [n for n in response.json() if n["type"] == "mention"]
    assert [n["status"]["id"] for n in mentions] == [comment["id"]]
    await client.delete(f"/api/v1/statuses/{comment['id']}", headers=bob.headers)
    await run_jobs()
    after = (await client.get("/api/v1/notifications", headers=ana.headers)).json()
    assert [n for n in after if n["type"] == "mention"] == []

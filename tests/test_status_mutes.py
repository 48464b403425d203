"""Muted threads (Mastodon's muted conversations): the `muted` flag, and no notifications
about the thread for whoever muted it, until they unmute it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx

from tests.support.api import User, post_photo, sign_up
from tests.support.schema import assert_entity

RunJobs = Callable[[], Awaitable[int]]


async def _comment(client: httpx.AsyncClient, user: User, parent: str, text: str) -> dict:
    response = await client.post(
        "/api/v1/statuses",
        headers=user.headers,
        json={"status": text, "in_reply_to_id": parent},
    )
    assert response.status_code == 200, response.text
    return response.json()


async def _types(client: httpx.AsyncClient, user: User) -> list[tuple[str, str]]:
    response = await client.get("/api/v1/notifications", headers=user.headers)
    assert response.status_code == 200, response.text
    return [(n["type"], n["account"]["username"]) for n in response.json()]


async def test_mute_sets_the_flag_for_the_whole_thread(client: httpx.AsyncClient) -> None:
    ana, bob = await sign_up(client, "ana"), await sign_up(client, "bob")
    post = await post_photo(client, ana, "a thread")
    comment = await _comment(client, bob, post["id"], "first!")
    # Muting from a comment mutes the thread it belongs to.
    muted = await client.post(f"/api/v1/statuses/{comment['id']}/mute", headers=ana.headers)
    assert muted.status_code == 200, muted.text
    assert_entity("Status", muted.json())
    assert muted.json()["muted"] is True
    again = await client.post(f"/api/v1/statuses/{post['id']}/mute", headers=ana.headers)
    assert again.status_code == 200 and again.json()["muted"] is True
    for user, expected in ((ana, True), (bob, False)):
        single = await client.get(f"/api/v1/statuses/{post['id']}", headers=user.headers)
        assert single.json()["muted"] is expected
        context = await client.get(f"/api/v1/statuses/{post['id']}/context", headers=user.headers)
        [descendant] = context.json()["descendants"]
        assert descendant["muted"] is expected
        profile = await client.get(f"/api/v1/accounts/{ana.id}/statuses", headers=user.headers)
        assert profile.json()[0]["muted"] is expected
    unmuted = await client.post(f"/api/v1/statuses/{post['id']}/unmute", headers=ana.headers)
    assert unmuted.status_code == 200 and unmuted.json()["muted"] is False
    single = await client.get(f"/api/v1/statuses/{comment['id']}", headers=ana.headers)
    assert single.json()["muted"] is False
    twice = await client.post(f"/api/v1/statuses/{post['id']}/unmute", headers=ana.headers)
    assert twice.status_code == 200 and twice.json()["muted"] is False


async def test_a_muted_thread_notifies_nobody_who_muted_it(
    client: httpx.AsyncClient, run_jobs: RunJobs
) -> None:
    ana, bob, cy = [await sign_up(client, name) for name in ("ana", "bob", "cy")]
    post = await post_photo(client, ana, "quiet please")
    other = await post_photo(client, ana, "not muted")
    await client.post(f"/api/v1/statuses/{post['id']}/mute", headers=ana.headers)
    await client.post(f"/api/v1/statuses/{post['id']}/favourite", headers=bob.headers)
    bobs = await _comment(client, bob, post["id"], "nice")
    await client.post(f"/api/v1/statuses/{other['id']}/favourite", headers=bob.headers)
    # Bob muted the thread too: Cy's reply to his comment does not reach him.
    await client.post(f"/api/v1/statuses/{bobs['id']}/mute", headers=bob.headers)
    await _comment(client, cy, bobs["id"], "@bob agreed")
    await run_jobs()
    assert await _types(client, ana) == [("favourite", "bob")]  # only the unmuted post's
    assert await _types(client, bob) == []
    await client.post(f"/api/v1/statuses/{post['id']}/unmute", headers=ana.headers)
    await client.post(f"/api/v1/statuses/{post['id']}/favourite", headers=cy.headers)
    await run_jobs()
    assert ("favourite", "cy") in await _types(client, ana)


async def test_muting_what_one_cannot_see_is_a_404(client: httpx.AsyncClient) -> None:
    ana, bob = await sign_up(client, "ana"), await sign_up(client, "bob")
    secret = await post_photo(client, ana, "followers only", visibility="private")
    for path in ("mute", "unmute"):
        response = await client.post(f"/api/v1/statuses/{secret['id']}/{path}", headers=bob.headers)
        assert response.status_code == 404, response.text
        for raw in ("0", "abc", "99999999999999999999"):
            bad = await client.post(f"/api/v1/statuses/{raw}/{path}", headers=bob.headers)
            assert bad.status_code == 404, (raw, bad.text)
        assert (await client.post(f"/api/v1/statuses/{secret['id']}/{path}")).status_code == 401
    mine = await client.get(f"/api/v1/statuses/{secret['id']}", headers=ana.headers)
    assert mine.json()["muted"] is False

"""Comments read outside their thread: what the privacy state machine found
(tests/test_privacy_state_machine.py), each as a focused case. A comment shows only
where its top post shows, and then always to that post's owner (`policies.may_open`).
"""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.api import User, sign_up
from tests.support.privacy_driver import PHOTO, RunJobs


async def _status(
    client: httpx.AsyncClient, user: User, caption: str, **fields: str
) -> dict[str, Any]:
    """A post (with a photo) or, given `in_reply_to_id`, a comment."""
    body: dict[str, Any] = {"status": caption, **fields}
    if "in_reply_to_id" not in fields:
        upload = await client.post(
            "/api/v1/media",
            headers=user.headers,
            files={"file": ("photo.jpg", PHOTO, "image/jpeg")},
        )
        body["media_ids"] = [upload.json()["id"]]
    response = await client.post("/api/v1/statuses", headers=user.headers, json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def _listed(client: httpx.AsyncClient, user: User, path: str) -> list[str]:
    response = await client.get(path, headers=user.headers)
    assert response.status_code == 200, response.text
    return [item["status"]["id"] if "type" in item else item["id"] for item in response.json()]


async def test_comment_on_a_hidden_post_stays_out_of_notifications_and_saved_lists(
    client: httpx.AsyncClient, run_jobs: RunJobs
) -> None:
    """A comment on a private post is as private as the post: mentioning a stranger in
    it, or saving it and then unfollowing, must not show it where its page is a 404."""
    owner, fan, stranger = [await sign_up(client, name) for name in ("own", "fan", "stranger")]
    await client.post(f"/api/v1/accounts/{owner.id}/follow", headers=fan.headers)
    post = await _status(client, owner, "for followers", visibility="private")
    comment = await _status(client, fan, "look @stranger", in_reply_to_id=post["id"])
    for action in ("favourite", "bookmark"):
        url = f"/api/v1/statuses/{comment['id']}/{action}"
        assert (await client.post(url, headers=fan.headers)).status_code == 200
    await client.post(f"/api/v1/accounts/{owner.id}/unfollow", headers=fan.headers)
    await run_jobs()

    for reader in (stranger, fan):
        url = f"/api/v1/statuses/{comment['id']}"
        assert (await client.get(url, headers=reader.headers)).status_code == 404
    assert await _listed(client, stranger, "/api/v1/notifications") == []
    assert await _listed(client, fan, "/api/v1/favourites") == []
    assert await _listed(client, fan, "/api/v1/bookmarks") == []


async def test_post_owner_keeps_seeing_a_comment_of_an_account_that_locks(
    client: httpx.AsyncClient, run_jobs: RunJobs
) -> None:
    """The owner of a post sees every comment on it (policies.may_open): in its
    notifications and saved lists too, after the commenter locks, though the owner does
    not follow them and the comment answers someone else."""
    owner, first, second = [await sign_up(client, name) for name in ("own", "first", "second")]
    post = await _status(client, owner, "open to all")
    reply = await _status(client, first, "nice", in_reply_to_id=post["id"])
    answer = await _status(client, second, "agreed", in_reply_to_id=reply["id"])
    url = f"/api/v1/statuses/{answer['id']}/favourite"
    assert (await client.post(url, headers=owner.headers)).status_code == 200
    await client.patch(
        "/api/v1/accounts/update_credentials", headers=second.headers, data={"locked": "true"}
    )
    await run_jobs()

    opened = await client.get(f"/api/v1/statuses/{answer['id']}", headers=owner.headers)
    assert opened.status_code == 200 and opened.json()["visibility"] == "private"
    assert answer["id"] in await _listed(client, owner, "/api/v1/notifications")
    assert await _listed(client, owner, "/api/v1/favourites") == [answer["id"]]
    # Those it does not address no longer see it.
    assert (await client.get(f"/api/v1/statuses/{answer['id']}")).status_code == 404


async def test_saved_comment_needs_its_own_audience_as_well_as_its_posts(
    client: httpx.AsyncClient, run_jobs: RunJobs
) -> None:
    """Its top post still shows to the reader (it mentions them), but the comment itself
    went followers-only when its author locked: it leaves the reader's saved lists. (The
    SQL rule once matched a mention of the reader in any post, not in this comment.)"""
    author, reader = [await sign_up(client, name) for name in ("author", "reader")]
    post = await _status(client, author, "hello @reader")
    comment = await _status(client, author, "and more", in_reply_to_id=post["id"])
    for action in ("favourite", "bookmark"):
        url = f"/api/v1/statuses/{comment['id']}/{action}"
        assert (await client.post(url, headers=reader.headers)).status_code == 200
    await client.patch(
        "/api/v1/accounts/update_credentials", headers=author.headers, data={"locked": "true"}
    )
    await run_jobs()

    opened = await client.get(f"/api/v1/statuses/{post['id']}", headers=reader.headers)
    assert opened.status_code == 200
    url = f"/api/v1/statuses/{comment['id']}"
    assert (await client.get(url, headers=reader.headers)).status_code == 404
    assert await _listed(client, reader, "/api/v1/favourites") == []
    assert await _listed(client, reader, "/api/v1/bookmarks") == []

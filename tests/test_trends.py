"""Explore: recent public posts ranked by engagement that fades with age."""

from __future__ import annotations

import httpx

from tests.support.api import User, post_photo, sign_up
from tests.support.schema import assert_entity


async def _like(client: httpx.AsyncClient, user: User, status_id: str) -> None:
    response = await client.post(f"/api/v1/statuses/{status_id}/favourite", headers=user.headers)
    assert response.status_code == 200


async def test_trends_rank_by_engagement_and_skip_private_and_comments(
    client: httpx.AsyncClient,
) -> None:
    ana, shy = await sign_up(client, "ana"), await sign_up(client, "shy")
    fans = [await sign_up(client, f"fan{i}") for i in range(3)]
    await client.patch(
        "/api/v1/accounts/update_credentials", headers=shy.headers, data={"locked": "true"}
    )
    quiet = await post_photo(client, ana, "quiet")
    liked = await post_photo(client, ana, "liked")
    discussed = await post_photo(client, ana, "discussed")
    hidden = await post_photo(client, shy, "private but loved")
    for fan in fans[:2]:
        await _like(client, fan, liked["id"])
    await _like(client, shy, hidden["id"])  # strangers cannot even see it
    refused = await client.post(
        f"/api/v1/statuses/{hidden['id']}/favourite", headers=fans[2].headers
    )
    assert refused.status_code == 404
    comment = await client.post(
        "/api/v1/statuses",
        headers=fans[0].headers,
        json={"status": "great", "in_reply_to_id": discussed["id"]},
    )
    await client.post(
        "/api/v1/statuses",
        headers=fans[1].headers,
        json={"status": "agreed", "in_reply_to_id": discussed["id"]},
    )
    response = await client.get("/api/v1/trends/statuses")
    assert response.status_code == 200
    for body in response.json():
        assert_entity("Status", body)
    ranked = [s["id"] for s in response.json()]
    # 2 comments (4) beat 2 likes (2) beat nothing; no private posts, no comments.
    assert ranked == [discussed["id"], liked["id"], quiet["id"]]
    assert comment.json()["id"] not in ranked
    page = await client.get("/api/v1/trends/statuses?limit=1&offset=1")
    assert [s["id"] for s in page.json()] == [liked["id"]]
    assert (await client.get("/api/v1/trends/statuses?offset=9")).json() == []
    assert (await client.get("/api/v1/trends/statuses?limit=abc")).status_code == 422
    assert (await client.get("/api/v1/trends/statuses?offset=-1")).status_code == 422

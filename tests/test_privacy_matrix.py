"""The privacy matrix: every read endpoint × every kind of viewer × every audience.

One account (the owner) posts a photo with a hashtag, to an audience (public, unlisted,
private = followers, direct = the mentioned `pending` only); a follower (for a direct
post, the mentioned account) comments on it and everyone who can likes and saves it.
Then, for the locked variant, the owner locks the account and a stranger asks to follow
(pending); the owner blocks one account (`blocked`) and another blocks the owner
(`blocker`). Each endpoint is read by each viewer and the outcome compared with the
table below.

Outcomes: "shown" = 200 and the owner's content is in it; "empty" = 200 without it;
"404" / "401" = that status. A public account cannot have a pending requester (a follow
is accepted at once), so there `pending` is a stranger who never asked.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
import pytest

from tests.support.api import User, follow, post_photo, sign_up

RunJobs = Callable[[], Awaitable[int]]
VIEWERS = ("anonymous", "stranger", "follower", "pending", "blocked", "blocker", "owner")

S, E = "shown", "empty"
#   viewer:                anonymous stranger follower pending blocked  blocker  owner
EXPECTED: dict[str, dict[str, tuple[str, ...]]] = {
    "public": {
        "status":           (S,     S,     S,     S,     "404", "404", S),
        "context":          (S,     S,     S,     S,     "404", "404", S),
        "account":          (S,     S,     S,     S,     S,     S,     S),
        "account_statuses": (S,     S,     S,     S,     E,     E,     S),
        "followers":        (S,     S,     S,     S,     E,     E,     S),
        "following":        (S,     S,     S,     S,     E,     E,     S),
        "home":             ("401", E,     S,     E,     E,     E,     S),
        "favourited_by":    (S,     S,     S,     S,     "404", "404", S),
        "tag_timeline":     (S,     S,     S,     S,     E,     E,     S),
        "trends":           (S,     S,     S,     S,     E,     E,     S),
        "favourites":       ("401", S,     S,     S,     E,     E,     S),
        "bookmarks":        ("401", S,     S,     S,     E,     E,     S),
        "search":           (S,     S,     S,     S,     E,     E,     S),
    },
    "locked": {
        "status":           ("404", "404", S,     "404", "404", "404", S),
        "context":          ("404", "404", S,     "404", "404", "404", S),
        "account":          (S,     S,     S,     S,     S,     S,     S),
        "account_statuses": (E,     E,     S,     E,     E,     E,     S),
        "followers":        (E,     E,     S,     E,     E,     E,     S),
        "following":        (E,     E,     S,     E,     E,     E,     S),
        "home":             ("401", E,     S,     E,     E,     E,     S),
        "favourited_by":    ("404", "404", S,     "404", "404", "404", S),
        # Hashtag timelines and trends list public accounts' posts only.
        "tag_timeline":     (E,     E,     E,     E,     E,     E,     E),
        "trends":           (E,     E,     E,     E,     E,     E,     E),
        "favourites":       ("401", E,     S,     E,     E,     E,     S),
        "bookmarks":        ("401", E,     S,     E,     E,     E,     S),
        # A locked account is still findable; only blocks hide it.
        "search":           (S,     S,     S,     S,     E,     E,     S),
    },
    # Unlisted: like public, but never listed in public places, not even for its owner.
    "unlisted": {
        "status":           (S,     S,     S,     S,     "404", "404", S),
        "context":          (S,     S,     S,     S,     "404", "404", S),
        "account_statuses": (S,     S,     S,     S,     E,     E,     S),
        "home":             ("401", E,     S,     E,     E,     E,     S),
        "favourited_by":    (S,     S,     S,     S,     "404", "404", S),
        "tag_timeline":     (E,     E,     E,     E,     E,     E,     E),
        "trends":           (E,     E,     E,     E,     E,     E,     E),
        "favourites":       ("401", S,     S,     S,     E,     E,     S),
        "bookmarks":        ("401", S,     S,     S,     E,     E,     S),
    },
    # Private: the owner's followers only; the account itself stays public.
    "private": {
        "status":           ("404", "404", S,     "404", "404", "404", S),
        "context":          ("404", "404", S,     "404", "404", "404", S),
        "account":          (S,     S,     S,     S,     S,     S,     S),
        "account_statuses": (E,     E,     S,     E,     E,     E,     S),
        "followers":        (S,     S,     S,     S,     E,     E,     S),
        "home":             ("401", E,     S,     E,     E,     E,     S),
        "favourited_by":    ("404", "404", S,     "404", "404", "404", S),
        "tag_timeline":     (E,     E,     E,     E,     E,     E,     E),
        "trends":           (E,     E,     E,     E,     E,     E,     E),
        "favourites":       ("401", E,     S,     E,     E,     E,     S),
        "bookmarks":        ("401", E,     S,     E,     E,     E,     S),
    },
    # Direct, mentioning `pending`: the owner and the mentioned account, nobody else.
    "direct": {
        "status":           ("404", "404", "404", S,     "404", "404", S),
        "context":          ("404", "404", "404", S,     "404", "404", S),
        "account_statuses": (E,     E,     E,     S,     E,     E,     S),
        "home":             ("401", E,     E,     E,     E,     E,     S),
        "favourited_by":    ("404", "404", "404", S,     "404", "404", S),
        "tag_timeline":     (E,     E,     E,     E,     E,     E,     E),
        "trends":           (E,     E,     E,     E,     E,     E,     E),
        "favourites":       ("401", E,     E,     S,     E,     E,     S),
        "bookmarks":        ("401", E,     E,     S,     E,     E,     S),
    },
}  # fmt: skip


@dataclass
class World:
    owner: User
    follower: User
    users: dict[str, User]
    status_id: str
    comment_id: str


async def _build(client: httpx.AsyncClient, run_jobs: RunJobs, *, variant: str) -> World:
    users = {name: await sign_up(client, name) for name in VIEWERS if name != "anonymous"}
    owner, fan = users["owner"], users["follower"]
    for name in ("follower", "blocked", "blocker"):
        await follow(client, users[name], owner)
    await follow(client, owner, fan)
    audience = variant if variant in ("unlisted", "private", "direct") else None
    caption = "at the lake #matrixtag" + (" @pending" if variant == "direct" else "")
    status = await post_photo(client, owner, caption, visibility=audience)
    assert status["visibility"] == (audience or "public")
    await run_jobs()
    for user in users.values():
        for action in ("favourite", "bookmark"):
            response = await client.post(
                f"/api/v1/statuses/{status['id']}/{action}", headers=user.headers
            )
            assert response.status_code in (200, 404), response.text
    commenter = users["pending"] if variant == "direct" else fan
    comment = await client.post(
        "/api/v1/statuses",
        headers=commenter.headers,
        json={"status": "lovely", "in_reply_to_id": status["id"]},
    )
    assert comment.status_code == 200, comment.text
    await run_jobs()
    if variant == "locked":
        response = await client.patch(
            "/api/v1/accounts/update_credentials", headers=owner.headers, data={"locked": "true"}
        )
        assert response.json()["locked"] is True
        assert (await follow(client, users["pending"], owner))["requested"] is True
    blocked, blocker = users["blocked"], users["blocker"]
    for who, whom in ((owner, blocked), (blocker, owner)):
        response = await client.post(f"/api/v1/accounts/{whom.id}/block", headers=who.headers)
        assert response.status_code == 200, response.text
    await run_jobs()
    return World(owner, fan, users, status["id"], comment.json()["id"])


async def _observe(
    client: httpx.AsyncClient, world: World, endpoint: str, viewer: User | None
) -> str:
    """What `viewer` gets from `endpoint`: shown, empty or the error status."""
    owner, status_id = world.owner, world.status_id
    paths = {
        "status": f"/api/v1/statuses/{status_id}",
        "context": f"/api/v1/statuses/{status_id}/context",
        "account": f"/api/v1/accounts/{owner.id}",
        "account_statuses": f"/api/v1/accounts/{owner.id}/statuses",
        "followers": f"/api/v1/accounts/{owner.id}/followers",
        "following": f"/api/v1/accounts/{owner.id}/following",
        "home": "/api/v1/timelines/home",
        "favourited_by": f"/api/v1/statuses/{status_id}/favourited_by",
        "tag_timeline": "/api/v1/timelines/tag/matrixtag",
        "trends": "/api/v1/trends/statuses",
        "favourites": "/api/v1/favourites",
        "bookmarks": "/api/v1/bookmarks",
        "search": f"/api/v2/search?q={owner.username}&type=accounts",
    }
    response = await client.get(paths[endpoint], headers=viewer.headers if viewer else {})
    if response.status_code != 200:
        return str(response.status_code)
    body = response.json()
    if endpoint == "status":
        found = body["id"] == status_id
    elif endpoint == "context":
        found = [s["id"] for s in body["descendants"]] == [world.comment_id]
    elif endpoint == "account":
        found = body["id"] == owner.id
    elif endpoint == "search":
        found = owner.id in [a["id"] for a in body["accounts"]]
    elif endpoint in ("followers", "following"):
        found = world.follower.id in [a["id"] for a in body]
    elif endpoint == "favourited_by":
        found = len(body) > 0
    else:
        found = status_id in [s["id"] for s in body]
    return S if found else E


@pytest.mark.parametrize("variant", ["public", "locked", "unlisted", "private", "direct"])
async def test_privacy_matrix(client: httpx.AsyncClient, run_jobs: RunJobs, variant: str) -> None:
    world = await _build(client, run_jobs, variant=variant)
    mismatches = []
    for endpoint, outcomes in EXPECTED[variant].items():
        for name, expected in zip(VIEWERS, outcomes, strict=True):
            viewer = None if name == "anonymous" else world.users[name]
            got = await _observe(client, world, endpoint, viewer)
            if got != expected:
                mismatches.append(f"{endpoint:<17} {name:<10} expected {expected:<6} got {got}")
    assert not mismatches, "\n" + "\n".join(mismatches)

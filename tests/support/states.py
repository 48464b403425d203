"""Account states in tests: a small world around one account (Ana), what another account
sees of her on every read path, and a moderator's change of her state (until the admin
API exists, through shutter/accounts/service/states.py itself, as the CLI calls it)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from shutter.accounts.models import Account
from shutter.accounts.service import states
from shutter.infra.context import AppContext
from tests.support.api import User, follow, sign_up
from tests.support.privacy_driver import PHOTO

RunJobs = Callable[[], Awaitable[int]]
TAG = "stlake"
# Usernames none of which is a prefix of another (a search for one finds only it).
NAMES = ("stana", "stbob", "stcyd")


@dataclass
class StateWorld:
    """Ana posts a photo tagged #stlake, comments on Bob's post, likes it and Cy's; Bob and
    Ana follow each other; Cy follows no one."""

    ana: User
    bob: User
    cy: User
    ana_post: str
    bob_post: str
    cy_post: str
    ana_comment: str


async def post(client: httpx.AsyncClient, user: User, caption: str, **fields: Any) -> str:
    """A public photo post (a tiny photo: processing is not under test); its id."""
    uploaded = await client.post(
        "/api/v1/media",
        headers=user.headers,
        files={"file": ("photo.jpg", PHOTO, "image/jpeg")},
    )
    assert uploaded.status_code == 200, uploaded.text
    body = {"status": caption, "media_ids": [uploaded.json()["id"]], **fields}
    made = await client.post("/api/v1/statuses", headers=user.headers, json=body)
    assert made.status_code == 200, made.text
    return str(made.json()["id"])


async def build(client: httpx.AsyncClient, run_jobs: RunJobs) -> StateWorld:
    ana, bob, cy = [await sign_up(client, name) for name in NAMES]
    ana_post = await post(client, ana, f"by the lake #{TAG}")
    bob_post = await post(client, bob, "a heron")
    cy_post = await post(client, cy, "a boat")
    comment = await client.post(
        "/api/v1/statuses",
        headers=ana.headers,
        json={"status": "lovely", "in_reply_to_id": bob_post},
    )
    assert comment.status_code == 200, comment.text
    for post_id in (bob_post, cy_post):
        liked = await client.post(f"/api/v1/statuses/{post_id}/favourite", headers=ana.headers)
        assert liked.status_code == 200, liked.text
    await follow(client, bob, ana)
    await follow(client, ana, bob)
    await run_jobs()
    return StateWorld(ana, bob, cy, ana_post, bob_post, cy_post, str(comment.json()["id"]))


async def _ids(client: httpx.AsyncClient, path: str, viewer: User, **query: str) -> list[str]:
    answer = await client.get(path, headers=viewer.headers, params=query)
    if answer.status_code != 200:
        return []
    body = answer.json()
    if isinstance(body, dict):  # search
        body = body.get("accounts", [])
    return [str(item["id"]) for item in body]


async def sightings(client: httpx.AsyncClient, w: StateWorld, viewer: User) -> dict[str, bool]:
    """Where `viewer` meets Ana: each read path, and whether she is on it."""
    ana = w.ana.id
    profile = await client.get(f"/api/v1/accounts/{ana}", headers=viewer.headers)
    grid = await _ids(client, f"/api/v1/accounts/{ana}/statuses", viewer)
    shown = await client.get(f"/api/v1/statuses/{w.ana_post}", headers=viewer.headers)
    context = await client.get(f"/api/v1/statuses/{w.bob_post}/context", headers=viewer.headers)
    notified = await client.get("/api/v1/notifications", headers=viewer.headers)
    return {
        "profile": profile.status_code == 200 and not profile.json().get("suspended"),
        "grid": w.ana_post in grid,
        "post": shown.status_code == 200,
        "tag": w.ana_post in await _ids(client, f"/api/v1/timelines/tag/{TAG}", viewer),
        "home": w.ana_post in await _ids(client, "/api/v1/timelines/home", viewer),
        "comment": w.ana_comment in [d["id"] for d in context.json().get("descendants", [])],
        "liker": ana in await _ids(client, f"/api/v1/statuses/{w.bob_post}/favourited_by", viewer),
        "follower": ana in await _ids(client, f"/api/v1/accounts/{w.bob.id}/followers", viewer),
        "search": ana in await _ids(client, "/api/v2/search", viewer, q="stana", type="accounts"),
        "notified": any(n["account"]["id"] == ana for n in notified.json()),
    }


EVERYWHERE = dict.fromkeys(
    (
        "profile",
        "grid",
        "post",
        "tag",
        "home",
        "comment",
        "liker",
        "follower",
        "search",
        "notified",
    ),
    True,
)
NOWHERE = dict.fromkeys(EVERYWHERE, False)


async def change(ctx: AppContext, user: User, verb: str) -> None:
    """A moderator's (or the owner's) change of `user`'s state: `states.<verb>`."""
    async with ctx.db.write() as session:
        account = await session.get(Account, int(user.id))
        assert account is not None
        await getattr(states, verb)(session, account)

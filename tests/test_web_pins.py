"""Pinning posts to the top of one's profile on the website over HTTP, on SQLite and
PostgreSQL: "Pin to profile" on one's own post page (a toggle), the pinned posts open
the grid with a pin (named for screen readers) and are not repeated below; Mastodon's
rules refuse someone else's post, a private message and a sixth pin, writing nothing.

The browser test (tests/web/test_web_post.py) presses the toggle in Chromium.
"""

from __future__ import annotations

import re

import httpx
from sqlalchemy import func, select

from shutter.infra.context import AppContext
from shutter.posts.models import Pin
from tests.support.api import post_photo, sign_up
from tests.test_web_profiles import as_web

JSON = {"Accept": "application/json"}
TILE = re.compile(r'<a class="tile" href="/@ana/(\d+)">')


async def _pins(ctx: AppContext) -> int:
    async with ctx.db.read() as session:
        return await session.scalar(select(func.count()).select_from(Pin)) or 0


async def test_pinned_posts_open_the_grid_once_and_unpin(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    ana = await sign_up(client, "ana")
    first, second, third = [await post_photo(client, ana, f"Photo {n}") for n in (1, 2, 3)]
    path = f"/@ana/{first['id']}"
    csrf = await as_web(client, ana, path)
    page = await client.get(path)
    assert 'name="pinned" value="true" aria-pressed="false">Pin to profile' in page.text

    pinned = await client.post(
        f"/web/posts/{first['id']}/pin", data={"csrf": csrf, "pinned": "true", "next": path}
    )
    assert pinned.status_code == 303 and pinned.headers["location"] == f"{path}#post-{first['id']}"
    page = await client.get(path)
    assert 'name="pinned" value="false" aria-pressed="true">Pin to profile' in page.text
    grid = (await client.get("/@ana")).text
    assert TILE.findall(grid) == [first["id"], third["id"], second["id"]]
    assert grid.count(", pinned</span>") == 1
    api = await client.get(f"/api/v1/accounts/{ana.id}/statuses?pinned=true")
    assert [s["id"] for s in api.json()] == [first["id"]]
    # Someone else looks: the same grid, the pin shown to them too.
    bo = await sign_up(client, "bo")
    await as_web(client, bo, "/@ana")
    assert TILE.findall((await client.get("/@ana")).text)[0] == first["id"]
    assert "Pin to profile" not in (await client.get(path)).text  # not bo's post

    await as_web(client, ana, path)
    undone = await client.post(
        f"/web/posts/{first['id']}/pin", data={"csrf": csrf, "pinned": "false"}, headers=JSON
    )
    assert undone.status_code == 200 and undone.json()["pinned"] is False
    grid = (await client.get("/@ana")).text
    assert TILE.findall(grid) == [third["id"], second["id"], first["id"]]
    assert ", pinned</span>" not in grid
    assert await _pins(ctx) == 0


async def test_refusals_pin_nothing(client: httpx.AsyncClient, ctx: AppContext) -> None:
    ana, bo = await sign_up(client, "ana"), await sign_up(client, "bo")
    theirs = await post_photo(client, bo, "Bo's")
    mine = [await post_photo(client, ana, f"Photo {n}") for n in range(6)]
    message = await client.post(
        "/api/v1/statuses",
        headers=ana.headers,
        json={"status": "@bo a secret", "visibility": "direct"},
    )
    assert message.status_code == 200, message.text
    csrf = await as_web(client, ana, "/@ana")
    refused = {
        "someone else's post": f"/web/posts/{theirs['id']}/pin",
        "a private message": f"/web/posts/{message.json()['id']}/pin",
        "an unknown post": "/web/posts/999999/pin",
    }
    for why, route in refused.items():
        answer = await client.post(route, data={"csrf": csrf, "pinned": "true"})
        assert 400 <= answer.status_code < 500, (why, answer.status_code)
    no_token = await client.post(f"/web/posts/{mine[0]['id']}/pin", data={"pinned": "true"})
    assert no_token.status_code == 403
    assert await _pins(ctx) == 0
    for post in mine[:5]:
        answer = await client.post(
            f"/web/posts/{post['id']}/pin", data={"csrf": csrf, "pinned": "true"}
        )
        assert answer.status_code == 303
    sixth = await client.post(
        f"/web/posts/{mine[5]['id']}/pin", data={"csrf": csrf, "pinned": "true"}
    )
    assert sixth.status_code == 422 and "maximum" in sixth.text
    assert await _pins(ctx) == 5

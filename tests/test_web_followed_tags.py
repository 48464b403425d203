"""Following hashtags on the website over HTTP, on SQLite and PostgreSQL: Follow on a
hashtag's page (also one no post used yet), the list in Settings, Unfollow; the followed
tag's public posts reach Home; refusals write nothing.

The browser test (tests/web/test_web_followed_tags.py) drives the same pages in Chromium.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
from sqlalchemy import func, select

from shutter.infra.context import AppContext
from shutter.posts.models import TagFollow
from tests.support.api import post_photo, sign_up
from tests.test_web_profiles import as_web

JSON = {"Accept": "application/json"}


async def _follows(ctx: AppContext) -> int:
    async with ctx.db.read() as session:
        return await session.scalar(select(func.count()).select_from(TagFollow)) or 0


async def test_follow_a_hashtag_see_its_posts_at_home_and_unfollow(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: Callable[[], Awaitable[int]]
) -> None:
    ana, ben = await sign_up(client, "ana"), await sign_up(client, "ben")
    await post_photo(client, ben, "Evening #Sunset")
    csrf = await as_web(client, ana, "/tags/sunset")
    page = await client.get("/tags/sunset")
    assert 'action="/web/tags/Sunset/follow"' in page.text and ">Follow</button>" in page.text

    followed = await client.post(
        "/web/tags/sunset/follow", data={"csrf": csrf, "follow": "true", "next": "/tags/sunset"}
    )
    assert followed.status_code == 303 and followed.headers["location"] == "/tags/sunset"
    assert ">Following</button>" in (await client.get("/tags/sunset")).text
    listed = await client.get("/settings/tags")
    assert 'href="/tags/Sunset"' in listed.text and ">Following</button>" in listed.text
    assert 'href="/settings/tags">Followed hashtags' in (await client.get("/settings")).text
    api = await client.get("/api/v1/followed_tags", headers=ana.headers)
    assert [t["name"] for t in api.json()] == ["Sunset"]
    # From now on its public posts come to Home, from anyone.
    later = await post_photo(client, ben, "Again #sunset")
    await run_jobs()
    assert f'id="post-{later["id"]}"' in (await client.get("/home")).text

    # A script gets the Tag entity; unfollowing from the list.
    unfollowed = await client.post(
        "/web/tags/sunset/follow", data={"csrf": csrf, "follow": "false"}, headers=JSON
    )
    assert unfollowed.status_code == 200 and unfollowed.json()["following"] is False
    assert "You follow no hashtags" in (await client.get("/settings/tags")).text
    assert await _follows(ctx) == 0


async def test_a_hashtag_no_post_used_yet_and_refusals(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    ana = await sign_up(client, "ana")
    csrf = await as_web(client, ana, "/tags/firstlight")
    page = await client.get("/tags/firstlight")
    assert "No public posts with #firstlight yet." in page.text
    assert ">Follow</button>" in page.text
    refused = {
        "no CSRF token": await client.post("/web/tags/firstlight/follow", data={"follow": "true"}),
        "a bad value": await client.post(
            "/web/tags/firstlight/follow", data={"csrf": csrf, "follow": "maybe"}
        ),
        "not a hashtag": await client.post(
            "/web/tags/%3Cb%3E/follow", data={"csrf": csrf, "follow": "true"}
        ),
        "unfollowing an unknown tag": await client.post(
            "/web/tags/neverused/follow", data={"csrf": csrf, "follow": "false"}
        ),
    }
    for why, answer in refused.items():
        assert 400 <= answer.status_code < 500, (why, answer.status_code)
    assert await _follows(ctx) == 0
    assert "&lt;b&gt;" in (await client.get("/tags/%3Cb%3E")).text  # shown literally
    made = await client.post("/web/tags/firstlight/follow", data={"csrf": csrf, "follow": "true"})
    assert made.status_code == 303
    assert await _follows(ctx) == 1

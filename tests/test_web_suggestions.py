"""Suggested for you on the website over HTTP, on SQLite and PostgreSQL: the page, an
empty Home, and the side column's fragment show friends of friends, then the most
followed, then (the website only) the people who posted lately, each with why; never
oneself or someone followed. "Remove" dismisses for good, as DELETE
/api/v1/suggestions/:id does; refusals write nothing. User text shows literally.

The browser test (tests/web/test_web_suggestions.py) drives the same pages in Chromium.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
from sqlalchemy import func, select

from shutter.graph.models import SuggestionDismissal
from shutter.infra.context import AppContext
from tests.support.api import follow, post_photo, sign_up
from tests.test_web_profiles import as_web

FRAGMENT = {"X-Shutter-Fragment": "suggestions"}
HOSTILE = "<b>Ana</b><img src=x>"  # within a display name's 30 characters


async def _dismissals(ctx: AppContext) -> int:
    async with ctx.db.read() as session:
        return await session.scalar(select(func.count()).select_from(SuggestionDismissal)) or 0


async def test_the_page_ranks_friends_of_friends_then_popular_then_recent_posters(
    client: httpx.AsyncClient,
) -> None:
    me, pal, fof, star, poster, quiet = [
        await sign_up(client, n) for n in ("me", "pal", "fof", "star", "poster", "quiet")
    ]
    await follow(client, me, pal)
    await follow(client, pal, fof)
    await follow(client, quiet, star)
    await post_photo(client, poster, "First light")
    await post_photo(client, pal, "Already followed")
    await as_web(client, me, "/suggestions")
    page = await client.get("/suggestions")
    assert page.status_code == 200
    shown = [line for line in page.text.splitlines() if 'class="person-username"' in line]
    order = [
        name
        for name in ("@fof", "@star", "@poster", "@quiet", "@pal", "@me")
        if any(name + "<" in line for line in shown)
    ]
    # quiet follows star but neither posted nor is followed: not suggested; pal is followed.
    assert order == ["@fof", "@star", "@poster"]
    for why in ("Followed by people you follow", "Popular here", "Posted recently"):
        assert why in page.text
    assert 'aria-label="Remove suggestion @fof"' in page.text
    # Mastodon's API keeps its own sources: no one is suggested for having posted lately.
    api = await client.get("/api/v2/suggestions", headers=me.headers)
    assert [s["account"]["username"] for s in api.json()] == ["fof", "star"]


async def test_an_empty_home_suggests_and_a_full_one_leaves_it_to_the_side_column(
    client: httpx.AsyncClient, run_jobs: Callable[[], Awaitable[int]]
) -> None:
    new, ana = await sign_up(client, "new"), await sign_up(client, "ana")
    await post_photo(client, ana, "Hello")
    await as_web(client, new)
    home = await client.get("/home")
    assert "Suggested for you" in home.text and "@ana<" in home.text
    assert "data-rail" not in home.text
    await follow(client, new, ana)
    await run_jobs()  # ana's posts merged into the new follower's Home
    home = await client.get("/home")
    assert "Suggested for you" not in home.text
    assert '<aside class="home-rail" aria-labelledby="rail-title" data-rail hidden>' in home.text
    # The side column's fragment: the list alone, no page around it.
    rail = await client.get("/suggestions", headers=FRAGMENT)
    assert rail.status_code == 200 and "<html" not in rail.text
    assert "No suggestions" not in rail.text and "person" not in rail.text  # ana is followed
    assert (await client.get("/suggestions")).text.count('class="person"') == 0


async def test_remove_dismisses_for_good_and_refusals_write_nothing(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    me, ana = await sign_up(client, "me"), await sign_up(client, "ana")
    named = await client.patch(
        "/api/v1/accounts/update_credentials", headers=ana.headers, data={"display_name": HOSTILE}
    )
    assert named.status_code == 200, named.text
    await post_photo(client, ana, "Hello")
    csrf = await as_web(client, me, "/suggestions")
    page = await client.get("/suggestions")
    assert "&lt;b&gt;Ana&lt;/b&gt;&lt;img src=x&gt;" in page.text
    assert HOSTILE not in page.text

    path = f"/web/suggestions/{ana.id}/dismiss"
    refused = {
        "no CSRF token": await client.post(path, data={}),
        "a wrong CSRF token": await client.post(path, data={"csrf": "forged"}),
        "an unknown account": await client.post(
            "/web/suggestions/999999/dismiss", data={"csrf": csrf}
        ),
        "a hostile id": await client.post("/web/suggestions/%3Cb%3E/dismiss", data={"csrf": csrf}),
    }
    for why, answer in refused.items():
        assert 400 <= answer.status_code < 500, (why, answer.status_code)
    assert await _dismissals(ctx) == 0

    gone = await client.post(path, data={"csrf": csrf, "next": "/home"})
    assert gone.status_code == 303 and gone.headers["location"] == "/home"
    again = await client.post(path, data={"csrf": csrf}, headers={"Accept": "application/json"})
    assert again.status_code == 200 and again.json() == {}
    assert await _dismissals(ctx) == 1
    assert "@ana<" not in (await client.get("/suggestions")).text
    assert "No suggestions right now" in (await client.get("/suggestions")).text
    # Signed out: to the log-in page, nothing written.
    client.cookies.clear()
    answer = await client.post(path, data={"csrf": csrf})
    assert answer.status_code in (303, 401, 403)
    assert (await client.get("/suggestions")).headers["location"].startswith("/login")

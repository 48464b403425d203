"""Home's place over HTTP, on SQLite and PostgreSQL: the count behind the "N new posts"
pill, the read marker the page moves, "You're all caught up" where the last visit began,
and the focal point of a crop as classes. The browser side is tests/web/test_web_pwa.py.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

import httpx

from shutter.infra.context import AppContext
from shutter.web.views import focus_classes
from tests.support.api import User, follow, post_photo, sign_up, upload_photo
from tests.support.credentials import PASSWORD

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
JSON = {"Accept": "application/json"}
MARKER = "You've seen the new posts since your last visit"


async def _csrf(http: httpx.AsyncClient, page: str) -> str:
    found = CSRF_META.search((await http.get(page)).text)
    assert found, page
    return found.group(1)


async def _web_session(http: httpx.AsyncClient, login: str) -> str:
    token = await _csrf(http, "/login")
    answer = await http.post(
        "/login", data={"csrf": token, "username": login, "password": PASSWORD, "next": "/home"}
    )
    assert answer.status_code == 303, answer.text
    return await _csrf(http, "/home")


async def _posts(client: httpx.AsyncClient, user: User, *captions: str) -> list[str]:
    return [(await post_photo(client, user, caption))["id"] for caption in captions]


async def test_new_posts_count_marker_and_caught_up(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: Callable[[], Awaitable[int]]
) -> None:
    ana = await sign_up(client, "ana")
    bob = await sign_up(client, "bob")
    await follow(client, ana, bob)
    old = await _posts(client, bob, "one", "two", "three")
    await run_jobs()
    csrf = await _web_session(client, "ana")

    first = (await client.get("/home")).text
    assert f'data-top="{old[-1]}"' in first and "data-last-read" not in first
    assert MARKER not in first  # nothing read yet: no divider
    assert (await client.get(f"/web/home/new?since_id={old[-1]}")).json() == {"count": 0}
    assert (await client.get("/web/home/new")).json() == {"count": 0}

    read = await client.post(
        "/web/markers/home", data={"csrf": csrf, "last_read_id": old[-1]}, headers=JSON
    )
    assert read.status_code == 200 and read.json() == {"last_read_id": old[-1]}
    marker = await client.get("/api/v1/markers?timeline[]=home", headers=ana.headers)
    assert marker.json()["home"]["last_read_id"] == old[-1]

    new = await _posts(client, bob, "four", "five")
    await run_jobs()
    assert (await client.get(f"/web/home/new?since_id={old[-1]}")).json() == {"count": 2}

    page = (await client.get("/home")).text
    assert f'data-last-read="{old[-1]}"' in page and f'data-top="{new[-1]}"' in page
    divider = page.index(MARKER)
    assert page.index(f'id="post-{new[0]}"') < divider < page.index(f'id="post-{old[-1]}"')
    # A page of older posts that starts below the divider shows none.
    older = (await client.get(f"/home?max_id={old[-1]}")).text
    assert MARKER not in older

    # The marker needs the session's token and a real id.
    refused = await client.post("/web/markers/home", data={"last_read_id": old[0]}, headers=JSON)
    assert refused.status_code == 403
    bad = await client.post(
        "/web/markers/home", data={"csrf": csrf, "last_read_id": "x"}, headers=JSON
    )
    assert bad.status_code == 422
    signed_out = httpx.AsyncClient(transport=client._transport, base_url=str(client.base_url))
    async with signed_out:
        answer = await signed_out.get("/web/home/new?since_id=1", headers=JSON)
        assert answer.status_code == 401


def test_focus_becomes_object_position_classes() -> None:
    assert focus_classes({}) == "fx-50 fy-50"
    assert focus_classes({"focus": {"x": 0.0, "y": 0.0}}) == "fx-50 fy-50"
    assert focus_classes({"focus": {"x": -1.0, "y": 1.0}}) == "fx-0 fy-0"  # top left
    assert focus_classes({"focus": {"x": 0.5, "y": -0.5}}) == "fx-75 fy-75"
    assert focus_classes({"focus": {"x": 9, "y": "up"}}) == "fx-100 fy-50"
    assert focus_classes({"focus": None}) == "fx-50 fy-50"


async def test_a_posts_focal_point_reaches_the_feeds_picture(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: Callable[[], Awaitable[int]]
) -> None:
    ana = await sign_up(client, "ana")
    media = await upload_photo(client, ana)
    changed = await client.put(
        f"/api/v1/media/{media['id']}", headers=ana.headers, data={"focus": "-0.5,0.5"}
    )
    assert changed.status_code == 200, changed.text
    made = await client.post(
        "/api/v1/statuses",
        headers=ana.headers,
        json={"status": "a lake", "media_ids": [media["id"]]},
    )
    assert made.status_code == 200, made.text
    status = made.json()
    await run_jobs()
    await _web_session(client, "ana")
    page = (await client.get(f"/@ana/{status['id']}")).text + (await client.get("/home")).text
    assert 'class="fx-25 fy-25"' in page

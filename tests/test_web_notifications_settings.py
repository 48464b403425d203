"""Notifications and settings over HTTP, on SQLite and PostgreSQL: grouped likes, the
navigation's unread name, marked read when seen; settings refusals are 422 with the form
again and change nothing, CSRF refuses a form without its token.

The browser tests (tests/web/test_web_notifications.py, test_web_settings.py) drive the
same pages in Chromium, the live count and each setting end to end.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

import httpx

from shutter.infra.context import AppContext
from tests.support.api import follow, post_photo, sign_up
from tests.support.credentials import PASSWORD

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


async def _web_log_in(http: httpx.AsyncClient, login: str) -> None:
    page = await http.get("/login")
    token = CSRF_META.search(page.text)
    assert token
    answer = await http.post(
        "/login",
        data={"csrf": token.group(1), "username": login, "password": PASSWORD, "next": "/home"},
    )
    assert answer.status_code == 303


async def _csrf(http: httpx.AsyncClient, page: str) -> str:
    found = CSRF_META.search((await http.get(page)).text)
    assert found
    return found.group(1)


async def test_likes_grouped_unread_named_and_marked_read(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: Callable[[], Awaitable[int]]
) -> None:
    ana = await sign_up(client, "ana")
    post = await post_photo(client, ana, "Dusk")
    for name in ("ben", "cy", "dee"):
        fan = await sign_up(client, name)
        liked = await client.post(f"/api/v1/statuses/{post['id']}/favourite", headers=fan.headers)
        assert liked.status_code == 200
    await run_jobs()
    await _web_log_in(client, "ana")
    home = await client.get("/home")
    assert 'aria-label="Notifications, 3 new"' in home.text
    assert (await client.get("/web/unread")).json() == {"count": 3, "messages": 0}
    page = await client.get("/notifications")
    assert page.status_code == 200
    assert re.search(r">(ben|cy|dee)</a> and 2 others liked your post", page.text)
    assert page.text.count('<li class="note') == 1
    assert f'href="/@ana/{post["id"]}"' in page.text
    # Seen: nothing unread any more, the link is plain "Notifications".
    assert (await client.get("/web/unread")).json() == {"count": 0, "messages": 0}
    again = await client.get("/home")
    assert 'aria-label="Notifications,' not in again.text
    markers = await client.get("/api/v1/markers?timeline[]=notifications", headers=ana.headers)
    assert markers.json()["notifications"]["last_read_id"]


async def test_a_message_a_mention_and_a_comment_each_say_what_they_are(
    client: httpx.AsyncClient, run_jobs: Callable[[], Awaitable[int]]
) -> None:
    ana, ben = await sign_up(client, "ana"), await sign_up(client, "ben")
    post = await post_photo(client, ana, "Dusk")
    await follow(client, ana, ben)  # else the private message waits among filtered ones
    await post_photo(client, ben, "@ana look at this")
    for body in (
        {"status": "@ana the lake tomorrow?", "visibility": "direct"},
        {"status": "Lovely light", "in_reply_to_id": post["id"]},
    ):
        sent = await client.post("/api/v1/statuses", headers=ben.headers, json=body)
        assert sent.status_code == 200, sent.text
    await run_jobs()
    await _web_log_in(client, "ana")
    page = (await client.get("/notifications")).text
    for says in ("sent you a message", "mentioned you", "commented"):
        assert page.count(says) == 1, says


async def test_settings_refusals_show_the_form_again_and_change_nothing(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await sign_up(client, "ana")
    await _web_log_in(client, "ana")
    page = await client.get("/settings")
    assert page.status_code == 200 and ">Log out</button>" in page.text
    token = await _csrf(client, "/settings")
    wrong = await client.post(
        "/web/settings/password",
        data={"csrf": token, "current_password": "nope nope nope", "password": "a new horse"},
    )
    assert wrong.status_code == 422 and 'role="alert"' in wrong.text
    assert "Change password" in wrong.text
    leave = await client.post(
        "/web/settings/deactivate", data={"csrf": token, "password": "nope nope nope"}
    )
    assert leave.status_code == 422 and 'role="alert"' in leave.text
    unticked = await client.post("/web/settings/delete", data={"csrf": token, "password": PASSWORD})
    assert unticked.status_code == 422 and "Tick the box" in unticked.text
    # Still signed in with the old password: nothing changed.
    assert (await client.get("/settings")).status_code == 200
    forged = await client.post("/web/settings/deactivate", data={"password": PASSWORD})
    assert forged.status_code == 403
    assert (await client.get("/settings")).status_code == 200
    bad = await client.post("/web/settings/defaults", data={"csrf": token, "privacy": "everyone"})
    assert bad.status_code == 422
    saved = await client.post(
        "/web/settings/defaults", data={"csrf": token, "privacy": "private", "sensitive": "true"}
    )
    assert saved.status_code == 303 and saved.headers["location"].startswith("/settings?done=")
    me = (await client.get("/settings")).text
    assert '<option value="private" selected>' in me

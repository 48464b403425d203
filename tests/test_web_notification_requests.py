"""Filtered notifications and the notification policy on the website over HTTP, on
SQLite and PostgreSQL: the policy's five conditions saved through the service, the
notifications page's link to the requests while any wait, a request's notifications,
accepting (they join the others, the sender comes through) and dismissing (they go);
bad values, unknown or someone else's requests and a missing CSRF token are 4xx that
write nothing. User text shows literally.

The browser test (tests/web/test_web_notification_requests.py) drives the same pages in
Chromium.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from shutter.infra.context import AppContext
from shutter.notifications.models import Notification, NotificationPolicy, NotificationRequest
from tests.support.api import User, post_photo, sign_up
from tests.test_web_profiles import HOSTILE, as_web

RunJobs = Callable[[], Awaitable[int]]
JSON = {"Accept": "application/json"}
POLICY = "/api/v2/notifications/policy"
FIVE = (
    "for_not_following",
    "for_not_followers",
    "for_new_accounts",
    "for_private_mentions",
    "for_limited_accounts",
)


async def _policy(client: httpx.AsyncClient, user: User) -> dict[str, Any]:
    answer = await client.get(POLICY, headers=user.headers)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def _requests(client: httpx.AsyncClient, user: User) -> list[dict[str, Any]]:
    answer = await client.get("/api/v1/notifications/requests", headers=user.headers)
    assert answer.status_code == 200, answer.text
    body: list[dict[str, Any]] = answer.json()
    return body


async def _seen(client: httpx.AsyncClient, user: User) -> list[str]:
    answer = await client.get("/api/v1/notifications", headers=user.headers)
    assert answer.status_code == 200, answer.text
    return [f"{n['type']}:{n['account']['username']}" for n in answer.json()]


async def _count(ctx: AppContext, table: Any) -> int:
    async with ctx.db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


async def _mention(client: httpx.AsyncClient, author: User, post_id: str, text: str) -> None:
    said = await client.post(
        "/api/v1/statuses",
        headers=author.headers,
        json={"status": text, "in_reply_to_id": post_id},
    )
    assert said.status_code == 200, said.text


async def _filtered_world(client: httpx.AsyncClient, run_jobs: RunJobs) -> tuple[User, str]:
    """Ana filters people she does not follow; bo and cy (whom she does not follow)
    comment on her post mentioning her: two requests. Her web session's CSRF token."""
    ana, bo, cy = [await sign_up(client, n) for n in ("ana", "bo", "cy")]
    csrf = await as_web(client, ana, "/settings/notifications")
    saved = await client.post(
        "/web/settings/notifications", data={"csrf": csrf, "for_not_following": "filter"}
    )
    assert saved.status_code == 303
    post = await post_photo(client, ana, "lake")
    await _mention(client, bo, post["id"], f"@ana {HOSTILE}")
    await _mention(client, cy, post["id"], "@ana hello from cy")
    await run_jobs()
    return ana, csrf


async def test_the_policy_page_saves_the_five_conditions(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    ana = await sign_up(client, "ana")
    csrf = await as_web(client, ana, "/settings/notifications")
    page = await client.get("/settings/notifications")
    assert page.status_code == 200
    assert page.text.count("<fieldset") == 5
    for name in ("People you don't follow", "New accounts", "Unsolicited private mentions"):
        assert f"<legend>{name.replace(chr(39), '&#39;')}</legend>" in page.text
    # Mastodon's defaults, checked.
    assert 'name="for_private_mentions" value="filter" checked' in page.text
    assert 'name="for_not_following" value="accept" checked' in page.text
    assert "> Ignore</label>" in page.text
    assert await _count(ctx, NotificationPolicy) == 0

    chosen = dict(zip(FIVE, ("filter", "drop", "filter", "accept", "drop"), strict=True))
    saved = await client.post("/web/settings/notifications", data={"csrf": csrf, **chosen})
    assert saved.status_code == 303
    assert saved.headers["location"] == "/settings/notifications?done=saved"
    assert {k: v for k, v in (await _policy(client, ana)).items() if k in FIVE} == chosen
    page = await client.get(saved.headers["location"])
    assert "Your notification settings are saved." in page.text
    assert 'name="for_not_followers" value="drop" checked' in page.text
    # What a form does not send stays; a script's fetch gets the API's entity.
    fetched = await client.post(
        "/web/settings/notifications",
        data={"csrf": csrf, "for_new_accounts": "accept"},
        headers=JSON,
    )
    assert fetched.status_code == 200
    assert fetched.json() == chosen | {
        "for_new_accounts": "accept",
        "summary": {"pending_requests_count": 0, "pending_notifications_count": 0},
    }
    # Reachable from Settings.
    assert (
        '<a href="/settings/notifications">Notifications</a>'
        in (await client.get("/settings")).text
    )


@pytest.mark.parametrize(
    "fields",
    [
        {"for_not_following": "maybe"},
        {"for_limited_accounts": "DROP"},
        {"for_new_accounts": ""},
        {"for_private_mentions": "accept", "for_not_followers": "ignore"},
    ],
)
async def test_a_bad_policy_value_is_422_and_writes_nothing(
    client: httpx.AsyncClient, ctx: AppContext, fields: dict[str, str]
) -> None:
    ana = await sign_up(client, "ana")
    csrf = await as_web(client, ana, "/settings/notifications")
    refused = await client.post("/web/settings/notifications", data={"csrf": csrf, **fields})
    assert refused.status_code == 422, refused.text
    assert await _count(ctx, NotificationPolicy) == 0


async def test_filtered_notifications_are_listed_opened_accepted_and_dismissed(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: RunJobs
) -> None:
    ana, csrf = await _filtered_world(client, run_jobs)
    assert await _seen(client, ana) == []
    page = await client.get("/notifications")
    assert page.status_code == 200
    assert 'href="/notifications/requests"' in page.text
    assert "Filtered notifications" in page.text and "From 2 people" in page.text

    listed = await client.get("/notifications/requests")
    assert listed.status_code == 200
    html = listed.text
    assert "@bo" in html and "@cy" in html
    assert "hello from cy" in html and "1 notification" in html
    # The excerpt is text: bo's markup shows literally, the opening mention left out.
    assert "&lt;b&gt;bold&lt;/b&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<img src=x" not in html
    assert 'Accept<span class="visually-hidden"> notifications from bo' in html
    assert 'Dismiss<span class="visually-hidden"> notifications from cy' in html
    by_name = {r["account"]["username"]: r["id"] for r in await _requests(client, ana)}

    opened = await client.get(f"/notifications/requests/{by_name['bo']}")
    assert opened.status_code == 200
    assert "Filtered notifications from @bo" in opened.text
    assert "commented" in opened.text and '<li class="note">' in opened.text
    assert "&lt;b&gt;bold&lt;/b&gt;" in opened.text and "<b>bold</b>" not in opened.text

    accepted = await client.post(
        f"/web/notifications/requests/{by_name['bo']}/accept",
        data={"csrf": csrf, "next": "/notifications/requests"},
    )
    assert accepted.status_code == 303
    assert accepted.headers["location"] == "/notifications/requests"
    assert await _seen(client, ana) == ["mention:bo"]
    assert [r["account"]["username"] for r in await _requests(client, ana)] == ["cy"]
    opened = await client.get(f"/notifications/requests/{by_name['bo']}")
    assert opened.status_code == 404

    held = await _count(ctx, Notification)
    dismissed = await client.post(
        f"/web/notifications/requests/{by_name['cy']}/dismiss", data={"csrf": csrf}, headers=JSON
    )
    assert dismissed.status_code == 200 and dismissed.json() == {}
    assert await _requests(client, ana) == []
    assert await _count(ctx, Notification) == held - 1
    assert await _seen(client, ana) == ["mention:bo"]
    # Nothing waits: the page shows no link to it, only the settings.
    page = await client.get("/notifications")
    assert 'href="/notifications/requests"' not in page.text
    assert 'href="/settings/notifications"' in page.text
    empty = await client.get("/notifications/requests")
    assert "No filtered notifications" in empty.text


async def test_csrf_unknown_and_others_requests_are_refused_and_write_nothing(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: RunJobs
) -> None:
    ana, _ = await _filtered_world(client, run_jobs)
    [first, *_] = await _requests(client, ana)
    # Dee is no one's recipient: ana's requests are not hers to see or answer.
    dee = await sign_up(client, "dee")
    dee_csrf = await as_web(client, dee, "/notifications/requests")
    before = (await _count(ctx, Notification), await _count(ctx, NotificationRequest))
    for request_id in (first["id"], "999999999"):
        shown = await client.get(f"/notifications/requests/{request_id}")
        assert shown.status_code == 404
        assert "Notification request not found" in shown.text
        for action in ("accept", "dismiss"):
            refused = await client.post(
                f"/web/notifications/requests/{request_id}/{action}", data={"csrf": dee_csrf}
            )
            assert refused.status_code == 404, refused.text
    # Ana's own, without the token: refused.
    await as_web(client, ana, "/notifications/requests")
    for action in ("accept", "dismiss"):
        refused = await client.post(f"/web/notifications/requests/{first['id']}/{action}")
        assert refused.status_code == 403
    refused = await client.post("/web/settings/notifications", data={"for_not_following": "drop"})
    assert refused.status_code == 403
    assert (await _policy(client, ana))["for_not_following"] == "filter"
    assert (await _count(ctx, Notification), await _count(ctx, NotificationRequest)) == before
    assert len(await _requests(client, ana)) == 2
    # Without a session: to the log-in page.
    client.cookies.clear()
    answer = await client.get("/notifications/requests")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/notifications/requests"

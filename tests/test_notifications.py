"""Notifications through the HTTP API: creation by jobs, lists, groups, counts, markers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from sqlalchemy import func, select

from shutter.infra.context import AppContext
from shutter.notifications.models import Notification
from tests.support.api import User, follow, sign_up
from tests.support.schema import assert_entity

RunJobs = Callable[[], Awaitable[int]]


async def _lock(client: httpx.AsyncClient, user: User) -> None:
    response = await client.patch(
        "/api/v1/accounts/update_credentials", headers=user.headers, data={"locked": "true"}
    )
    assert response.status_code == 200, response.text


async def _notifications(
    client: httpx.AsyncClient, user: User, **query: Any
) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/notifications", headers=user.headers, params=query)
    assert response.status_code == 200, response.text
    for item in response.json():
        assert_entity("Notification", item)
    return response.json()


async def _count_rows(ctx: AppContext) -> int:
    async with ctx.db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(Notification)) or 0)


async def _fans(client: httpx.AsyncClient, target: User, n: int, run_jobs: RunJobs) -> list[User]:
    """`n` new followers of `target`, notified in this order (jobs run after each)."""
    fans = [await sign_up(client, f"fan{i}") for i in range(n)]
    for fan in fans:
        await follow(client, fan, target)
        await run_jobs()
    return fans


async def test_follow_notifies_after_the_job(client: httpx.AsyncClient, run_jobs: RunJobs) -> None:
    ana, bo = await sign_up(client, "ana"), await sign_up(client, "bo")
    await follow(client, bo, ana)
    assert await _notifications(client, ana) == []  # the job has not run yet
    await run_jobs()
    [item] = await _notifications(client, ana)
    assert item["type"] == "follow"
    assert item["account"]["id"] == bo.id
    assert "status" not in item
    assert await _notifications(client, bo) == []  # never for your own actions
    response = await client.get(f"/api/v1/notifications/{item['id']}", headers=ana.headers)
    assert response.status_code == 200
    assert_entity("Notification", response.json())
    assert response.json() == item


async def test_duplicate_jobs_make_one_notification(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: RunJobs
) -> None:
    from shutter.notifications import service

    ana, bo = await sign_up(client, "ana"), await sign_up(client, "bo")
    await follow(client, bo, ana)
    async with ctx.db.write() as session:  # the same job delivered twice (at-least-once)
        for _ in range(2):
            service.notify(
                session, type="follow", account_id=int(ana.id), from_account_id=int(bo.id)
            )
    assert await run_jobs() == 4  # back-fill, the follow's notification, two duplicates
    assert len(await _notifications(client, ana)) == 1
    assert await _count_rows(ctx) == 1


async def test_follow_request_notification_is_withdrawn_when_answered(
    client: httpx.AsyncClient, run_jobs: RunJobs
) -> None:
    ana, bo, cy = [await sign_up(client, n) for n in ("ana", "bo", "cy")]
    await _lock(client, ana)
    await follow(client, bo, ana)
    await run_jobs()
    await follow(client, cy, ana)
    await run_jobs()
    items = await _notifications(client, ana)
    assert [(i["type"], i["account"]["id"]) for i in items] == [
        ("follow_request", cy.id),
        ("follow_request", bo.id),
    ]
    response = await client.post(f"/api/v1/follow_requests/{bo.id}/authorize", headers=ana.headers)
    assert response.status_code == 200, response.text
    response = await client.post(f"/api/v1/follow_requests/{cy.id}/reject", headers=ana.headers)
    assert response.status_code == 200, response.text
    await run_jobs()
    items = await _notifications(client, ana)
    assert [(i["type"], i["account"]["id"]) for i in items] == [("follow", bo.id)]


async def test_cancelled_request_and_quick_unfollow_leave_nothing(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: RunJobs
) -> None:
    ana, bo, cy = [await sign_up(client, n) for n in ("ana", "bo", "cy")]
    await follow(client, bo, ana)  # public: a follow
    await client.post(f"/api/v1/accounts/{ana.id}/unfollow", headers=bo.headers)
    await _lock(client, cy)
    await follow(client, bo, cy)  # locked: a request, then withdrawn
    await client.post(f"/api/v1/accounts/{cy.id}/unfollow", headers=bo.headers)
    await run_jobs()
    assert await _count_rows(ctx) == 0


async def test_list_filters_and_pagination(client: httpx.AsyncClient, run_jobs: RunJobs) -> None:
    ana = await sign_up(client, "ana")
    fans = await _fans(client, ana, 5, run_jobs)
    await run_jobs()
    first = await client.get("/api/v1/notifications?limit=2", headers=ana.headers)
    assert first.status_code == 200
    assert [i["account"]["id"] for i in first.json()] == [fans[4].id, fans[3].id]
    assert 'rel="next"' in first.headers["link"]
    next_url = first.headers["link"].split(";")[0].strip("<>")
    second = await client.get(next_url, headers=ana.headers)
    assert [i["account"]["id"] for i in second.json()] == [fans[2].id, fans[1].id]
    newest_id = first.json()[0]["id"]
    oldest = await _notifications(client, ana, min_id="0", limit="1")
    assert [i["account"]["id"] for i in oldest] == [fans[0].id]
    assert await _notifications(client, ana, since_id=newest_id) == []
    only = await _notifications(client, ana, account_id=fans[2].id)
    assert [i["account"]["id"] for i in only] == [fans[2].id]
    assert await _notifications(client, ana, account_id="nonsense") == []
    assert len(await _notifications(client, ana, **{"types[]": "follow"})) == 5
    assert await _notifications(client, ana, **{"types[]": "favourite"}) == []
    assert await _notifications(client, ana, **{"exclude_types[]": ["follow", "mention"]}) == []
    response = await client.get("/api/v1/notifications?limit=many", headers=ana.headers)
    assert response.status_code == 422


async def test_dismiss_and_clear(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: RunJobs
) -> None:
    ana, bo = await sign_up(client, "ana"), await sign_up(client, "bo")
    await _fans(client, ana, 3, run_jobs)
    await follow(client, ana, bo)
    await run_jobs()
    items = await _notifications(client, ana)
    mine = items[0]["id"]
    theirs = (await _notifications(client, bo))[0]["id"]
    # Someone else's notification, an unknown id and garbage are all 404, and change nothing.
    for bad in (theirs, "123456789", "abc", "-1", "99999999999999999999999"):
        response = await client.post(f"/api/v1/notifications/{bad}/dismiss", headers=ana.headers)
        assert response.status_code == 404, bad
        assert "error" in response.json()
        response = await client.get(f"/api/v1/notifications/{bad}", headers=ana.headers)
        assert response.status_code == 404, bad
    assert await _count_rows(ctx) == 4
    response = await client.post(f"/api/v1/notifications/{mine}/dismiss", headers=ana.headers)
    assert response.status_code == 200
    assert response.json() == {}
    assert mine not in [i["id"] for i in await _notifications(client, ana)]
    response = await client.post("/api/v1/notifications/clear", headers=ana.headers)
    assert response.status_code == 200
    assert await _notifications(client, ana) == []
    assert len(await _notifications(client, bo)) == 1  # only ana's were cleared


async def test_auth_and_scopes(client: httpx.AsyncClient) -> None:
    from tests.support.api import app_token, register_app

    app = await register_app(client)
    app_only = {"Authorization": f"Bearer {await app_token(client, app)}"}
    for method, path in (
        ("GET", "/api/v1/notifications"),
        ("GET", "/api/v1/notifications/1"),
        ("POST", "/api/v1/notifications/clear"),
        ("POST", "/api/v1/notifications/1/dismiss"),
        ("GET", "/api/v1/notifications/unread_count"),
        ("GET", "/api/v2/notifications"),
        ("GET", "/api/v2/notifications/unread_count"),
        ("GET", "/api/v2/notifications/favourite-1-1"),
        ("GET", "/api/v1/markers"),
        ("POST", "/api/v1/markers"),
    ):
        response = await client.request(method, path)
        assert response.status_code == 401, path
        response = await client.request(method, path, headers={"Authorization": "Bearer nope"})
        assert response.status_code == 401, path
        response = await client.request(method, path, headers=app_only)
        assert response.status_code == 422, path  # a user token is required


async def _scoped_headers(client: httpx.AsyncClient, username: str, scopes: str) -> dict[str, str]:
    """A password-grant token of `username` limited to `scopes`."""
    from tests.support.api import register_app

    app = await register_app(client, scopes=scopes)
    response = await client.post(
        "/oauth/token",
        data={
            "grant_type": "password",
            "username": username,
            "password": "correct horse battery",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "scope": scopes,
        },
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def test_wrong_scope_is_refused(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: RunJobs
) -> None:
    ana, bo = await sign_up(client, "ana"), await sign_up(client, "bo")
    await follow(client, bo, ana)
    await run_jobs()
    statuses_only = await _scoped_headers(client, "ana", "read:statuses write:statuses")
    for method, path in (
        ("GET", "/api/v1/notifications"),
        ("GET", "/api/v2/notifications"),
        ("GET", "/api/v1/notifications/unread_count"),
        ("POST", "/api/v1/notifications/clear"),
    ):
        response = await client.request(method, path, headers=statuses_only)
        assert response.status_code == 403, path
    read_only = await _scoped_headers(client, "ana", "read")
    assert (await client.get("/api/v1/notifications", headers=read_only)).status_code == 200
    response = await client.post("/api/v1/notifications/clear", headers=read_only)
    assert response.status_code == 403
    response = await client.post(
        "/api/v1/markers", headers=read_only, json={"home": {"last_read_id": "5"}}
    )
    assert response.status_code == 403
    assert await _count_rows(ctx) == 1


async def test_unread_count_follows_the_marker(
    client: httpx.AsyncClient, run_jobs: RunJobs
) -> None:
    ana = await sign_up(client, "ana")
    await _fans(client, ana, 3, run_jobs)
    await run_jobs()
    response = await client.get("/api/v1/notifications/unread_count", headers=ana.headers)
    assert response.json() == {"count": 3}
    response = await client.get("/api/v1/notifications/unread_count?limit=2", headers=ana.headers)
    assert response.json() == {"count": 2}
    items = await _notifications(client, ana)
    response = await client.post(
        "/api/v1/markers",
        headers=ana.headers,
        json={"notifications": {"last_read_id": items[1]["id"]}},
    )
    assert response.status_code == 200, response.text
    assert_entity("Marker", response.json()["notifications"])
    assert response.json()["notifications"]["version"] == 1
    response = await client.get("/api/v1/notifications/unread_count", headers=ana.headers)
    assert response.json() == {"count": 1}
    response = await client.get("/api/v2/notifications/unread_count", headers=ana.headers)
    assert response.json() == {"count": 1}


async def test_markers(client: httpx.AsyncClient) -> None:
    ana, bo = await sign_up(client, "ana"), await sign_up(client, "bo")
    response = await client.get(
        "/api/v1/markers?timeline[]=home&timeline[]=notifications", headers=ana.headers
    )
    assert response.status_code == 200
    assert response.json() == {}
    response = await client.post(
        "/api/v1/markers",
        headers=ana.headers,
        data={"home[last_read_id]": "1000", "notifications[last_read_id]": "2000"},
    )
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"home", "notifications"}
    response = await client.post(
        "/api/v1/markers", headers=ana.headers, json={"home": {"last_read_id": "1500"}}
    )
    assert response.json()["home"]["last_read_id"] == "1500"
    assert response.json()["home"]["version"] == 2
    response = await client.get(
        "/api/v1/markers?timeline[]=home&timeline[]=notifications", headers=ana.headers
    )
    body = response.json()
    for marker in body.values():
        assert_entity("Marker", marker)
    assert body["home"]["last_read_id"] == "1500"
    assert body["notifications"] == {**body["notifications"], "last_read_id": "2000", "version": 1}
    only_home = await client.get("/api/v1/markers?timeline[]=home", headers=ana.headers)
    assert set(only_home.json()) == {"home"}
    # Markers are per account.
    response = await client.get("/api/v1/markers?timeline[]=home", headers=bo.headers)
    assert response.json() == {}
    # Bad input: nothing given, a non-id, a wrong shape; nothing changes.
    bad_bodies: tuple[dict[str, Any], ...] = (
        {},
        {"home": {"last_read_id": "abc"}},
        {"home": {"last_read_id": ""}},
        {"home": "5"},
        {"notifications": {}},
    )
    for bad in bad_bodies:
        response = await client.post("/api/v1/markers", headers=ana.headers, json=bad)
        assert response.status_code == 422, bad
        assert "error" in response.json()
    response = await client.get("/api/v1/markers?timeline[]=home", headers=ana.headers)
    assert response.json()["home"]["version"] == 2


async def test_grouped_follows(client: httpx.AsyncClient, run_jobs: RunJobs) -> None:
    ana, bo = await sign_up(client, "ana"), await sign_up(client, "bo")
    await _lock(client, bo)
    fans = await _fans(client, ana, 5, run_jobs)
    await follow(client, fans[0], bo)  # a request: never grouped
    await run_jobs()
    response = await client.get("/api/v2/notifications", headers=ana.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert_entity("GroupedNotificationsResults", body)
    [group] = body["notification_groups"]
    assert group["type"] == "follow"
    assert group["notifications_count"] == 5
    assert group["sample_account_ids"] == [f.id for f in reversed(fans)]
    assert {a["id"] for a in body["accounts"]} == {f.id for f in fans}
    assert body["statuses"] == []
    latest = (await _notifications(client, ana))[0]
    assert group["most_recent_notification_id"] == int(latest["id"])
    assert group["group_key"] == latest["group_key"]
    response = await client.get(f"/api/v2/notifications/{group['group_key']}", headers=ana.headers)
    assert response.status_code == 200
    assert_entity("GroupedNotificationsResults", response.json())
    assert response.json()["notification_groups"][0]["notifications_count"] == 5
    # bo's request stands alone, and its key is Mastodon's ungrouped-<id>.
    response = await client.get("/api/v2/notifications", headers=bo.headers)
    [alone] = response.json()["notification_groups"]
    assert alone["type"] == "follow_request"
    assert alone["group_key"] == f"ungrouped-{alone['most_recent_notification_id']}"
    response = await client.get(f"/api/v2/notifications/{alone['group_key']}", headers=bo.headers)
    assert response.status_code == 200
    # Someone else's group and unknown keys are 404.
    for bad in (alone["group_key"], "ungrouped-abc", "favourite-1-1", "x" * 200):
        response = await client.get(f"/api/v2/notifications/{bad}", headers=ana.headers)
        assert response.status_code == 404, bad


async def test_group_accounts_and_dismissal(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: RunJobs
) -> None:
    ana, bo = await sign_up(client, "ana"), await sign_up(client, "bo")
    fans = await _fans(client, ana, 3, run_jobs)
    await _lock(client, bo)
    await follow(client, ana, bo)  # a request: bo's notification stands alone
    await run_jobs()
    [group] = (await client.get("/api/v2/notifications", headers=ana.headers)).json()[
        "notification_groups"
    ]
    accounts_path = f"/api/v2/notifications/{group['group_key']}/accounts"
    response = await client.get(accounts_path, headers=ana.headers)
    assert response.status_code == 200, response.text
    for account in response.json():
        assert_entity("Account", account)
    assert [a["id"] for a in response.json()] == [f.id for f in reversed(fans)]
    # A page at a time, newest first, with Mastodon's Link header.
    response = await client.get(accounts_path + "?limit=2", headers=ana.headers)
    assert [a["id"] for a in response.json()] == [fans[2].id, fans[1].id]
    assert 'rel="next"' in response.headers["link"]
    older = response.links["next"]["url"]
    assert [a["id"] for a in (await client.get(older, headers=ana.headers)).json()] == [fans[0].id]
    # Someone else's group, unknown keys: 404, and nothing is dismissed.
    [bo_group] = (await client.get("/api/v2/notifications", headers=bo.headers)).json()[
        "notification_groups"
    ]
    rows = await _count_rows(ctx)
    for bad in (bo_group["group_key"], "ungrouped-abc", "favourite-1-1", "x" * 200):
        for method, path in (("GET", "accounts"), ("POST", "dismiss")):
            response = await client.request(
                method, f"/api/v2/notifications/{bad}/{path}", headers=ana.headers
            )
            assert response.status_code == 404, (bad, path)
    assert await _count_rows(ctx) == rows
    # Dismissing takes the whole group, and only it.
    response = await client.post(
        f"/api/v2/notifications/{group['group_key']}/dismiss", headers=ana.headers
    )
    assert (response.status_code, response.json()) == (200, {})
    assert (await client.get("/api/v2/notifications", headers=ana.headers)).json()[
        "notification_groups"
    ] == []
    assert (await client.get(accounts_path, headers=ana.headers)).status_code == 404
    assert await _count_rows(ctx) == rows - 3
    # A lone notification's key (ungrouped-<id>) dismisses that one.
    response = await client.post(
        f"/api/v2/notifications/{bo_group['group_key']}/dismiss", headers=bo.headers
    )
    assert response.status_code == 200
    assert await _count_rows(ctx) == rows - 4


async def test_grouped_pagination(client: httpx.AsyncClient, run_jobs: RunJobs) -> None:
    ana = await sign_up(client, "ana")
    await _lock(client, ana)
    fans = await _fans(client, ana, 3, run_jobs)  # three requests: three groups
    await run_jobs()
    response = await client.get("/api/v2/notifications?limit=2", headers=ana.headers)
    body = response.json()
    assert_entity("GroupedNotificationsResults", body)
    assert [g["sample_account_ids"] for g in body["notification_groups"]] == [
        [fans[2].id],
        [fans[1].id],
    ]
    for group in body["notification_groups"]:
        assert group["page_min_id"] == group["page_max_id"]
        assert group["latest_page_notification_at"]
    next_url = response.headers["link"].split(";")[0].strip("<>")
    response = await client.get(next_url, headers=ana.headers)
    assert [g["sample_account_ids"] for g in response.json()["notification_groups"]] == [
        [fans[0].id]
    ]
    filtered = await client.get(
        "/api/v2/notifications?exclude_types[]=follow_request", headers=ana.headers
    )
    assert filtered.json() == {"accounts": [], "statuses": [], "notification_groups": []}


# --- likes, comments and mentions (the posts service notifies) ---------------------------


async def _like(client: httpx.AsyncClient, user: User, status_id: str, undo: bool = False) -> None:
    action = "unfavourite" if undo else "favourite"
    response = await client.post(f"/api/v1/statuses/{status_id}/{action}", headers=user.headers)
    assert response.status_code == 200, response.text


async def test_likes_group_and_unlike_withdraws(
    client: httpx.AsyncClient, run_jobs: RunJobs
) -> None:
    from tests.support.api import post_photo

    ana = await sign_up(client, "ana")
    post = await post_photo(client, ana, "sunset")
    fans = [await sign_up(client, f"fan{i}") for i in range(5)]
    for fan in fans:
        await _like(client, fan, post["id"])
        await run_jobs()
    await _like(client, ana, post["id"])  # your own like: no notification
    await run_jobs()
    items = await _notifications(client, ana)
    assert [i["type"] for i in items] == ["favourite"] * 5
    assert {i["status"]["id"] for i in items} == {post["id"]}
    # "fan4 and 4 others liked your post": one group.
    response = await client.get("/api/v2/notifications", headers=ana.headers)
    body = response.json()
    assert_entity("GroupedNotificationsResults", body)
    [group] = body["notification_groups"]
    assert group["type"] == "favourite"
    assert group["notifications_count"] == 5
    assert group["sample_account_ids"][0] == fans[4].id
    assert group["status_id"] == post["id"]
    assert [s["id"] for s in body["statuses"]] == [post["id"]]
    await _like(client, fans[4], post["id"], undo=True)
    await run_jobs()
    items = await _notifications(client, ana)
    assert [i["account"]["id"] for i in items] == [f.id for f in reversed(fans[:4])]


async def test_reply_and_mention_notify_and_deleting_withdraws(
    client: httpx.AsyncClient, run_jobs: RunJobs
) -> None:
    from tests.support.api import post_photo

    ana, bo, cy = [await sign_up(client, n) for n in ("ana", "bo", "cy")]
    post = await post_photo(client, ana, "lake")
    response = await client.post(
        "/api/v1/statuses",
        headers=bo.headers,
        json={"status": "lovely, @cy look", "in_reply_to_id": post["id"]},
    )
    assert response.status_code == 200, response.text
    comment = response.json()
    await run_jobs()
    for user in (ana, cy):
        [item] = await _notifications(client, user)
        assert item["type"] == "mention"
        assert item["status"]["id"] == comment["id"]
        assert item["account"]["id"] == bo.id
    # Mentions are never grouped.
    response = await client.get("/api/v2/notifications", headers=ana.headers)
    [group] = response.json()["notification_groups"]
    assert group["group_key"].startswith("ungrouped-")
    response = await client.delete(f"/api/v1/statuses/{comment['id']}", headers=bo.headers)
    assert response.status_code == 200, response.text
    await run_jobs()
    assert await _notifications(client, ana) == []
    assert await _notifications(client, cy) == []


async def test_no_notifications_from_blocked_or_muted_accounts(
    client: httpx.AsyncClient, run_jobs: RunJobs
) -> None:
    from tests.support.api import post_photo

    ana, bo, cy = [await sign_up(client, n) for n in ("ana", "bo", "cy")]
    post = await post_photo(client, ana, "hill")
    await _like(client, bo, post["id"])  # before the mute: hidden once bo is muted
    await run_jobs()
    response = await client.post(f"/api/v1/accounts/{bo.id}/mute", headers=ana.headers)
    assert response.status_code == 200, response.text
    await follow(client, bo, ana)
    await run_jobs()
    assert await _notifications(client, ana) == []
    await _like(client, cy, post["id"])
    await run_jobs()
    [item] = await _notifications(client, ana)
    assert item["account"]["id"] == cy.id
    response = await client.post(f"/api/v1/accounts/{cy.id}/block", headers=ana.headers)
    assert response.status_code == 200, response.text
    assert await _notifications(client, ana) == []
    response = await client.get("/api/v1/notifications/unread_count", headers=ana.headers)
    assert response.json() == {"count": 0}
    response = await client.get(f"/api/v1/notifications/{item['id']}", headers=ana.headers)
    assert response.status_code == 404


async def test_a_mute_without_notifications_keeps_notifying(
    client: httpx.AsyncClient, run_jobs: RunJobs
) -> None:
    from tests.support.api import post_photo

    ana, bo = await sign_up(client, "ana"), await sign_up(client, "bo")
    post = await post_photo(client, ana, "hill")
    response = await client.post(
        f"/api/v1/accounts/{bo.id}/mute", headers=ana.headers, json={"notifications": False}
    )
    assert response.json()["muting"] is True
    assert response.json()["muting_notifications"] is False
    await _like(client, bo, post["id"])
    await run_jobs()
    [item] = await _notifications(client, ana)
    assert item["type"] == "favourite" and item["account"]["id"] == bo.id


async def test_unfollow_takes_the_follow_notification(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: RunJobs
) -> None:
    ana, bo = await sign_up(client, "ana"), await sign_up(client, "bo")
    await follow(client, bo, ana)
    await run_jobs()
    assert len(await _notifications(client, ana)) == 1
    await client.post(f"/api/v1/accounts/{ana.id}/unfollow", headers=bo.headers)
    await run_jobs()
    assert await _count_rows(ctx) == 0
    await follow(client, bo, ana)  # following again notifies again
    await run_jobs()
    assert len(await _notifications(client, ana)) == 1


async def test_streams_drop_events_of_hidden_authors(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    from shutter.notifications.streams import HiddenAuthors

    ana, bo, cy = [await sign_up(client, n) for n in ("ana", "bo", "cy")]
    await client.post(f"/api/v1/accounts/{bo.id}/mute", headers=ana.headers)
    await client.post(f"/api/v1/accounts/{ana.id}/block", headers=cy.headers)
    hidden = HiddenAuthors(ctx, int(ana.id))
    assert await hidden.hides({"event": "update", "payload": "{}", "author_id": int(bo.id)})
    assert await hidden.hides({"event": "update", "payload": "{}", "author_id": int(cy.id)})
    assert not await hidden.hides({"event": "update", "payload": "{}", "author_id": int(ana.id)})
    assert not await hidden.hides({"event": "notification", "payload": "{}"})

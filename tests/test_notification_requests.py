"""Notification policy and notification requests through the HTTP API (Mastodon 4.3):
what the policy filters or drops, the requests filtered mentions make, accepting and
dismissing them, and what filtered notifications stay out of (lists, counts, streams,
pushes)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from shutter.infra.context import AppContext
from shutter.infra.events import user_channel
from shutter.notifications.models import Notification, NotificationPolicy, NotificationRequest
from tests.support.api import User, follow, post_photo, sign_up
from tests.support.credentials import PASSWORD, password_grant
from tests.support.hostile import BAD_PATH_IDS
from tests.support.push_receiver import PushReceiver
from tests.support.schema import assert_entity
from tests.support.states import change

RunJobs = Callable[[], Awaitable[int]]
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
POLICY, V1_POLICY = "/api/v2/notifications/policy", "/api/v1/notifications/policy"
REQUESTS = "/api/v1/notifications/requests"
DEFAULTS = {
    "for_not_following": "accept",
    "for_not_followers": "accept",
    "for_new_accounts": "accept",
    "for_private_mentions": "filter",
    "for_limited_accounts": "filter",
}


async def _policy(client: httpx.AsyncClient, user: User) -> dict[str, Any]:
    response = await client.get(POLICY, headers=user.headers)
    assert response.status_code == 200, response.text
    assert_entity("NotificationPolicy", response.json())
    return response.json()


async def _set(client: httpx.AsyncClient, user: User, **settings: str) -> dict[str, Any]:
    response = await client.patch(POLICY, headers=user.headers, json=settings)
    assert response.status_code == 200, response.text
    assert_entity("NotificationPolicy", response.json())
    return response.json()


async def _requests(client: httpx.AsyncClient, user: User, **query: Any) -> list[dict[str, Any]]:
    response = await client.get(REQUESTS, headers=user.headers, params=query)
    assert response.status_code == 200, response.text
    for item in response.json():
        assert_entity("NotificationRequest", item)
    return response.json()


async def _ids(client: httpx.AsyncClient, user: User, **query: Any) -> list[str]:
    """The notification types and senders `user` sees in v1, as `type:username`."""
    response = await client.get("/api/v1/notifications", headers=user.headers, params=query)
    assert response.status_code == 200, response.text
    for item in response.json():
        assert_entity("Notification", item)
    return [f"{n['type']}:{n['account']['username']}" for n in response.json()]


async def _groups(client: httpx.AsyncClient, user: User, **query: Any) -> list[str]:
    response = await client.get("/api/v2/notifications", headers=user.headers, params=query)
    assert response.status_code == 200, response.text
    return [g["type"] for g in response.json()["notification_groups"]]


async def _unread(client: httpx.AsyncClient, user: User) -> tuple[int, int]:
    counts = []
    for version in ("v1", "v2"):
        response = await client.get(
            f"/api/{version}/notifications/unread_count", headers=user.headers
        )
        assert response.status_code == 200, response.text
        counts.append(response.json()["count"])
    return counts[0], counts[1]


async def _say(client: httpx.AsyncClient, user: User, text: str, **fields: Any) -> dict[str, Any]:
    """A text comment (under `in_reply_to_id`)."""
    response = await client.post(
        "/api/v1/statuses", headers=user.headers, json={"status": text, **fields}
    )
    assert response.status_code == 200, response.text
    return response.json()


async def _like(client: httpx.AsyncClient, user: User, status_id: str) -> None:
    response = await client.post(f"/api/v1/statuses/{status_id}/favourite", headers=user.headers)
    assert response.status_code == 200, response.text


async def _rows(ctx: AppContext, table: Any = Notification) -> int:
    async with ctx.db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


# --- the policy ------------------------------------------------------------------------------


async def test_defaults_and_the_v2_route_is_no_group_key(client: httpx.AsyncClient) -> None:
    ana = await sign_up(client, "ana")
    policy = await _policy(client, ana)
    assert policy == DEFAULTS | {
        "summary": {"pending_requests_count": 0, "pending_notifications_count": 0}
    }
    response = await client.get(V1_POLICY, headers=ana.headers)
    assert response.status_code == 200, response.text
    assert_entity("V1NotificationPolicy", response.json())
    assert response.json() == {
        "filter_not_following": False,
        "filter_not_followers": False,
        "filter_new_accounts": False,
        "filter_private_mentions": True,
        "summary": {"pending_requests_count": 0, "pending_notifications_count": 0},
    }
    # Group keys still route to groups.
    response = await client.get("/api/v2/notifications/follow-1", headers=ana.headers)
    assert response.status_code == 404
    assert response.json()["error"] == "Notification group not found"
    assert (await client.get(POLICY)).status_code == 401


async def test_v2_patch_and_v1_put_change_what_they_name(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    ana = await sign_up(client, "ana")
    changed = await _set(client, ana, for_not_following="filter", for_new_accounts="drop")
    assert changed | {"summary": {}} == DEFAULTS | {
        "for_not_following": "filter",
        "for_new_accounts": "drop",
        "summary": {},
    }
    assert await _policy(client, ana) == changed
    v1 = (await client.get(V1_POLICY, headers=ana.headers)).json()
    assert v1["filter_not_following"] is True and v1["filter_new_accounts"] is True  # drop
    assert v1["filter_not_followers"] is False
    # v1 maps true to filter and false to accept; what it does not name stays.
    response = await client.put(
        V1_POLICY,
        headers=ana.headers,
        data={"filter_not_following": "false", "filter_not_followers": "true"},
    )
    assert response.status_code == 200, response.text
    assert_entity("V1NotificationPolicy", response.json())
    assert response.json()["filter_not_following"] is False
    policy = await _policy(client, ana)
    assert policy["for_not_following"] == "accept"
    assert policy["for_not_followers"] == "filter"
    assert policy["for_new_accounts"] == "drop"  # not named: kept
    assert policy["for_private_mentions"] == "filter"


@pytest.mark.parametrize(
    ("path", "method", "body"),
    [
        (POLICY, "PATCH", {"for_not_following": "maybe"}),
        (POLICY, "PATCH", {"for_limited_accounts": "DROP"}),
        (POLICY, "PATCH", {"for_new_accounts": ["drop"]}),
        (POLICY, "PATCH", {"for_private_mentions": "accept", "for_not_followers": ""}),
        (V1_POLICY, "PUT", {"filter_not_following": "perhaps"}),
        (V1_POLICY, "PUT", {"filter_private_mentions": {"a": 1}}),
    ],
)
async def test_bad_policy_values_are_422_and_change_nothing(
    client: httpx.AsyncClient, ctx: AppContext, path: str, method: str, body: dict[str, Any]
) -> None:
    ana = await sign_up(client, "ana")
    response = await client.request(method, path, headers=ana.headers, json=body)
    assert response.status_code == 422, response.text
    assert "error" in response.json()
    assert await _rows(ctx, NotificationPolicy) == 0
    assert await _policy(client, ana) | {"summary": {}} == DEFAULTS | {"summary": {}}


async def test_scopes(client: httpx.AsyncClient) -> None:
    ana = await sign_up(client, "ana")
    # A token that may only read notifications reads the policy but does not change it.
    granted = await password_grant(client, "ana@example.com", scope="read:notifications")
    assert granted.status_code == 200, granted.text
    reader = {"Authorization": f"Bearer {granted.json()['access_token']}"}
    assert (await client.get(POLICY, headers=reader)).status_code == 200
    assert (await client.get(REQUESTS, headers=reader)).status_code == 200
    refused = await client.patch(POLICY, headers=reader, json={"for_not_following": "drop"})
    assert refused.status_code == 403
    refused = await client.post(f"{REQUESTS}/accept", headers=reader, json={"id": []})
    assert refused.status_code == 403
    assert (await _policy(client, ana))["for_not_following"] == "accept"


# --- filtering, requests, accepting ----------------------------------------------------------


async def test_a_filtered_mention_waits_in_a_request_until_accepted(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: RunJobs
) -> None:
    ana, bo, cy = [await sign_up(client, n) for n in ("ana", "bo", "cy")]
    await follow(client, ana, cy)
    await _set(client, ana, for_not_following="filter")
    post = await post_photo(client, ana, "lake")
    comment = await _say(client, bo, "hi @ana", in_reply_to_id=post["id"])
    await _like(client, bo, post["id"])
    await _like(client, cy, post["id"])  # ana follows cy: not filtered
    await run_jobs()
    assert await _ids(client, ana) == ["favourite:cy"]
    assert await _groups(client, ana) == ["favourite"]
    assert await _unread(client, ana) == (1, 1)
    # Mastodon's include_filtered, and a sender's own notifications, show them.
    assert await _ids(client, ana, include_filtered="true") == [
        "favourite:cy",
        "favourite:bo",
        "mention:bo",
    ]
    assert await _ids(client, ana, account_id=bo.id) == ["favourite:bo", "mention:bo"]
    assert sorted(await _groups(client, ana, include_filtered="true")) == [
        "favourite",
        "mention",
    ]
    # Only mentions make a request (Mastodon's rule); the like is filtered all the same.
    [request] = await _requests(client, ana)
    assert request["account"]["id"] == bo.id
    assert request["notifications_count"] == "1"
    assert request["last_status"]["id"] == comment["id"]
    summary = (await _policy(client, ana))["summary"]
    assert summary == {"pending_requests_count": 1, "pending_notifications_count": 1}
    response = await client.get(f"{REQUESTS}/{request['id']}", headers=ana.headers)
    assert response.status_code == 200
    assert_entity("NotificationRequest", response.json())
    assert response.json() == request
    # A second mention counts in the same request.
    second = await _say(client, bo, "again @ana", in_reply_to_id=post["id"])
    await run_jobs()
    [request] = await _requests(client, ana)
    assert request["notifications_count"] == "2"
    assert request["last_status"]["id"] == second["id"]

    response = await client.post(f"{REQUESTS}/{request['id']}/accept", headers=ana.headers)
    assert response.status_code == 200 and response.json() == {}
    assert await _ids(client, ana) == [
        "mention:bo",
        "favourite:cy",
        "favourite:bo",
        "mention:bo",
    ]
    assert await _requests(client, ana) == []
    assert (await client.get(f"{REQUESTS}/{request['id']}", headers=ana.headers)).status_code == 404
    response = await client.get(f"{REQUESTS}/merged", headers=ana.headers)
    assert response.status_code == 200 and response.json() == {"merged": True}
    assert (await _policy(client, ana))["summary"]["pending_requests_count"] == 0
    # The sender is let through from now on.
    await _say(client, bo, "thanks @ana", in_reply_to_id=post["id"])
    await run_jobs()
    assert (await _ids(client, ana))[0] == "mention:bo"
    assert await _requests(client, ana) == []


async def test_dismissing_deletes_them_and_the_next_mention_starts_anew(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: RunJobs
) -> None:
    ana, bo = await sign_up(client, "ana"), await sign_up(client, "bo")
    await _set(client, ana, for_not_following="filter")
    post = await post_photo(client, ana, "lake")
    await _say(client, bo, "hi @ana", in_reply_to_id=post["id"])
    await _like(client, bo, post["id"])
    await run_jobs()
    [request] = await _requests(client, ana)
    assert await _rows(ctx) == 2
    response = await client.post(f"{REQUESTS}/{request['id']}/dismiss", headers=ana.headers)
    assert response.status_code == 200 and response.json() == {}
    assert await _rows(ctx) == 0
    assert await _ids(client, ana, include_filtered="true") == []
    assert await _requests(client, ana) == []
    for action in ("accept", "dismiss"):
        again = await client.post(f"{REQUESTS}/{request['id']}/{action}", headers=ana.headers)
        assert again.status_code == 404
    # Dismissing grants nothing: the next mention is filtered into a new request.
    await _say(client, bo, "hello? @ana", in_reply_to_id=post["id"])
    await run_jobs()
    [renewed] = await _requests(client, ana)
    assert renewed["id"] != request["id"] and renewed["notifications_count"] == "1"
    assert await _ids(client, ana) == []


async def test_a_withdrawn_mention_leaves_its_request(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: RunJobs
) -> None:
    ana, bo = await sign_up(client, "ana"), await sign_up(client, "bo")
    await _set(client, ana, for_not_following="filter")
    post = await post_photo(client, ana, "lake")
    first = await _say(client, bo, "hi @ana", in_reply_to_id=post["id"])
    second = await _say(client, bo, "and @ana", in_reply_to_id=post["id"])
    await run_jobs()
    [request] = await _requests(client, ana)
    assert request["notifications_count"] == "2"
    assert (await client.delete(f"/api/v1/statuses/{second['id']}", headers=bo.headers)).is_success
    await run_jobs()
    [request] = await _requests(client, ana)
    assert request["notifications_count"] == "1"
    assert request["last_status"]["id"] == first["id"]
    assert (await client.delete(f"/api/v1/statuses/{first['id']}", headers=bo.headers)).is_success
    await run_jobs()
    assert await _requests(client, ana) == []
    assert await _rows(ctx, NotificationRequest) == 0


async def test_bulk_accept_and_dismiss_touch_only_the_callers_requests(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: RunJobs
) -> None:
    ana, bo, cy, dee = [await sign_up(client, n) for n in ("ana", "bo", "cy", "dee")]
    for user in (ana, dee):
        await _set(client, user, for_not_following="filter")
    ana_post, dee_post = await post_photo(client, ana, "lake"), await post_photo(client, dee, "sea")
    for sender in (bo, cy):
        await _say(client, sender, "hi @ana", in_reply_to_id=ana_post["id"])
    await _say(client, bo, "hi @dee", in_reply_to_id=dee_post["id"])
    await run_jobs()
    by_sender = {r["account"]["username"]: r["id"] for r in await _requests(client, ana)}
    [dees] = await _requests(client, dee)
    # Someone else's request and unknown ids are passed over, as Mastodon does.
    response = await client.post(
        f"{REQUESTS}/accept",
        headers=ana.headers,
        data={"id[]": [by_sender["bo"], dees["id"], "12345"]},
    )
    assert response.status_code == 200 and response.json() == {}
    assert await _ids(client, ana) == ["mention:bo"]
    assert [r["id"] for r in await _requests(client, ana)] == [by_sender["cy"]]
    assert await _requests(client, dee) == [dees]
    response = await client.post(
        f"{REQUESTS}/dismiss", headers=ana.headers, json={"id": [by_sender["cy"], dees["id"]]}
    )
    assert response.status_code == 200
    assert await _requests(client, ana) == []
    assert await _ids(client, ana, include_filtered="true") == ["mention:bo"]
    assert await _requests(client, dee) == [dees]
    # A malformed id is a 422 that changes nothing.
    response = await client.post(f"{REQUESTS}/dismiss", headers=dee.headers, json={"id": ["x1"]})
    assert response.status_code == 422
    assert await _requests(client, dee) == [dees]


async def test_requests_page_with_a_link_header(
    client: httpx.AsyncClient, run_jobs: RunJobs
) -> None:
    ana = await sign_up(client, "ana")
    await _set(client, ana, for_not_following="filter")
    post = await post_photo(client, ana, "lake")
    senders = [await sign_up(client, f"s{i}") for i in range(3)]
    for sender in senders:
        await _say(client, sender, "hi @ana", in_reply_to_id=post["id"])
        await run_jobs()
    response = await client.get(REQUESTS, headers=ana.headers, params={"limit": 2})
    assert response.status_code == 200
    first = response.json()
    assert [r["account"]["username"] for r in first] == ["s2", "s1"]
    assert "max_id=" in response.headers["link"]
    response = await client.get(
        REQUESTS, headers=ana.headers, params={"limit": 2, "max_id": first[-1]["id"]}
    )
    assert [r["account"]["username"] for r in response.json()] == ["s0"]
    assert len(await _requests(client, ana, limit=500)) == 3  # clamped to 80, as Mastodon
    response = await client.get(REQUESTS, headers=ana.headers, params={"limit": "many"})
    assert response.status_code == 422


# --- the conditions ----------------------------------------------------------------------


async def test_default_policy_filters_unsolicited_private_mentions(
    client: httpx.AsyncClient, run_jobs: RunJobs
) -> None:
    ana, bo, cy, dee = [await sign_up(client, n) for n in ("ana", "bo", "cy", "dee")]
    await follow(client, ana, cy)
    await post_photo(client, bo, "psst @ana", visibility="direct")  # a stranger: filtered
    await post_photo(client, cy, "psst @ana", visibility="direct")  # followed: shown
    await post_photo(client, dee, "hello @ana")  # public: shown
    # Ana's own private mention of Bo: his private answer is not filtered.
    opened = await post_photo(client, ana, "@bo about that", visibility="direct")
    await run_jobs()
    answer = await _say(client, bo, "@ana sure", in_reply_to_id=opened["id"], visibility="direct")
    await run_jobs()
    shown = await _ids(client, ana)
    assert sorted(shown) == ["mention:bo", "mention:cy", "mention:dee"]
    [request] = await _requests(client, ana)
    assert request["account"]["id"] == bo.id and request["notifications_count"] == "1"
    assert request["last_status"]["id"] != answer["id"]
    # Accept lets private mentions through too.
    await _set(client, ana, for_private_mentions="accept")
    await post_photo(client, bo, "again @ana", visibility="direct")
    await run_jobs()
    assert len(await _ids(client, ana)) == 4


async def test_limited_accounts_are_filtered_accepted_or_dropped(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: RunJobs
) -> None:
    ana, bo, cy = [await sign_up(client, n) for n in ("ana", "bo", "cy")]
    post = await post_photo(client, ana, "lake")
    await change(ctx, bo, "silence")
    await _like(client, bo, post["id"])
    await run_jobs()
    assert await _ids(client, ana) == []
    assert await _ids(client, ana, include_filtered="true") == ["favourite:bo"]
    assert await _unread(client, ana) == (0, 0)
    # Dropped: nothing is stored.
    await _set(client, ana, for_limited_accounts="drop")
    await change(ctx, cy, "silence")
    await _like(client, cy, post["id"])
    await run_jobs()
    assert await _rows(ctx) == 1
    # Accepted: a limited account's notification shows.
    await _set(client, ana, for_limited_accounts="accept")
    await _say(client, cy, "hi @ana", in_reply_to_id=post["id"])
    await run_jobs()
    assert await _ids(client, ana) == ["mention:cy"]


async def test_drop_stores_nothing_and_followers_new_accounts_apply(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: RunJobs
) -> None:
    ana, bo, cy = [await sign_up(client, n) for n in ("ana", "bo", "cy")]
    post = await post_photo(client, ana, "lake")
    await follow(client, ana, bo)
    await _set(client, ana, for_not_following="drop")
    await _like(client, cy, post["id"])  # not followed: dropped
    await _like(client, bo, post["id"])  # followed: shown
    await run_jobs()
    assert await _ids(client, ana) == ["favourite:bo"]
    assert await _ids(client, ana, include_filtered="true") == ["favourite:bo"]  # not stored
    # Everyone here is younger than 30 days and follows for less than 3: Mastodon's
    # thresholds filter them, except those Ana follows (new accounts).
    await _set(client, ana, for_not_following="accept", for_new_accounts="filter")
    await follow(client, cy, ana)
    await follow(client, bo, ana)
    await run_jobs()
    assert await _ids(client, ana) == ["follow:bo", "favourite:bo"]
    await _set(client, ana, for_new_accounts="accept", for_not_followers="filter")
    await _say(client, bo, "hi @ana", in_reply_to_id=post["id"])
    await run_jobs()
    assert await _ids(client, ana) == ["follow:bo", "favourite:bo"]  # a follower of < 3 days
    assert await _ids(client, ana, include_filtered="true") == [
        "mention:bo",
        "follow:bo",
        "follow:cy",
        "favourite:bo",
    ]


async def test_moderation_notifications_are_never_filtered(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: RunJobs
) -> None:
    from tests.support.roles import staff

    admin = await staff(client, ctx, "boss", "admin")
    await _set(client, admin, for_not_following="filter", for_new_accounts="filter")
    await sign_up(client, "newbie")
    await run_jobs()
    assert "admin.sign_up:newbie" in await _ids(client, admin)


# --- streams and pushes ------------------------------------------------------------------


@pytest.fixture
async def receiver(
    client: httpx.AsyncClient, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[PushReceiver]:
    monkeypatch.setattr(ctx.settings, "push_allow_insecure", True)
    instance = await client.get("/api/v2/instance")
    server_key = instance.json()["configuration"]["vapid"]["public_key"]
    started = await PushReceiver(server_key=server_key).start()
    yield started
    await started.stop()


async def test_filtered_notifications_are_neither_streamed_nor_pushed(
    client: httpx.AsyncClient, ctx: AppContext, receiver: PushReceiver, run_jobs: RunJobs
) -> None:
    ana, bo, cy = [await sign_up(client, n) for n in ("ana", "bo", "cy")]
    await follow(client, ana, cy)
    await _set(client, ana, for_not_following="filter")
    response = await client.post(
        "/api/v1/push/subscription",
        headers=ana.headers,
        data={
            "subscription[endpoint]": receiver.endpoint(),
            "subscription[keys][p256dh]": receiver.p256dh,
            "subscription[keys][auth]": receiver.auth,
            "data[alerts][mention]": "true",
        },
    )
    assert response.status_code == 200, response.text
    post = await post_photo(client, ana, "lake")
    await run_jobs()
    stream = await ctx.events.subscribe([user_channel(int(ana.id))])
    try:
        await _say(client, bo, "hi @ana", in_reply_to_id=post["id"])  # filtered
        await run_jobs()
        await ctx.events.flush()
        assert stream.queue.empty()
        assert receiver.requests == 0
        await _say(client, cy, "hi @ana", in_reply_to_id=post["id"])  # followed: shown
        await run_jobs()
        _channel, event = await asyncio.wait_for(stream.get(), 2)
        assert event["event"] == "notification" and '"cy"' in event["payload"]
        assert [d.payload["notification_type"] for d in receiver.deliveries] == ["mention"]
    finally:
        await stream.close()


async def test_the_website_counts_and_shows_no_filtered_notification(
    client: httpx.AsyncClient, run_jobs: RunJobs
) -> None:
    ana, bo, cy = [await sign_up(client, n) for n in ("ana", "bo", "cy")]
    await follow(client, ana, cy)
    await _set(client, ana, for_not_following="filter")
    post = await post_photo(client, ana, "lake")
    await _like(client, bo, post["id"])  # filtered
    await _like(client, cy, post["id"])
    await run_jobs()
    page = await client.get("/login")
    csrf = CSRF_META.search(page.text)
    assert csrf
    form = {"csrf": csrf.group(1), "username": "ana", "password": PASSWORD, "next": "/home"}
    assert (await client.post("/login", data=form)).status_code == 303
    assert 'aria-label="Notifications, 1 new"' in (await client.get("/home")).text
    assert (await client.get("/web/unread")).json()["count"] == 1
    page = await client.get("/notifications")
    assert page.status_code == 200
    assert ">cy</a> liked your post" in page.text and ">bo</a>" not in page.text


# --- hostile input -------------------------------------------------------------------------


@pytest.mark.parametrize("bad", BAD_PATH_IDS)
async def test_bad_or_foreign_request_ids_are_404_and_change_nothing(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: RunJobs, bad: str
) -> None:
    ana, bo = await sign_up(client, "ana"), await sign_up(client, "bo")
    await _set(client, ana, for_not_following="filter")
    post = await post_photo(client, ana, "lake")
    await _say(client, bo, "hi @ana", in_reply_to_id=post["id"])
    await run_jobs()
    [request] = await _requests(client, ana)
    for user, request_id in ((bo, request["id"]), (ana, bad)):
        response = await client.get(f"{REQUESTS}/{request_id}", headers=user.headers)
        assert response.status_code == 404, response.text
        for action in ("accept", "dismiss"):
            response = await client.post(f"{REQUESTS}/{request_id}/{action}", headers=user.headers)
            assert response.status_code == 404, response.text
    assert await _requests(client, ana) == [request]
    assert await _rows(ctx) == 1

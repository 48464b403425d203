"""Web Push end to end: subscriptions through the API, notifications pushed by jobs to a
receiver on 127.0.0.1 that checks the VAPID signature and decrypts what arrives."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update

from shutter.infra.context import AppContext
from shutter.infra.db import utcnow
from shutter.infra.jobs import Job
from shutter.notifications import push_sender
from shutter.notifications.models import PushSubscription
from shutter.notifications.service import push
from tests.support.api import User, follow, post_photo, register_app, sign_up
from tests.support.credentials import bearer, password_grant
from tests.support.push_receiver import PushReceiver
from tests.support.schema import assert_entity

RunJobs = Callable[[], Awaitable[int]]
SUBSCRIPTION = "/api/v1/push/subscription"


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


def _form(receiver: PushReceiver, *alerts: str, policy: str | None = None) -> dict[str, str]:
    form = {
        "subscription[endpoint]": receiver.endpoint(),
        "subscription[keys][p256dh]": receiver.p256dh,
        "subscription[keys][auth]": receiver.auth,
    }
    form.update({f"data[alerts][{name}]": "true" for name in alerts})
    if policy is not None:
        form["data[policy]"] = policy
    return form


async def _subscribe(
    client: httpx.AsyncClient,
    user: User,
    receiver: PushReceiver,
    *alerts: str,
    policy: str | None = None,
) -> dict[str, Any]:
    response = await client.post(
        SUBSCRIPTION, headers=user.headers, data=_form(receiver, *alerts, policy=policy)
    )
    assert response.status_code == 200, response.text
    assert_entity("WebPushSubscription", response.json())
    return response.json()


async def _rows(ctx: AppContext) -> int:
    async with ctx.db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(PushSubscription)) or 0)


async def _like(client: httpx.AsyncClient, user: User, status_id: str) -> None:
    response = await client.post(f"/api/v1/statuses/{status_id}/favourite", headers=user.headers)
    assert response.status_code == 200, response.text


async def _retry_now(ctx: AppContext) -> None:
    """Make the jobs waiting for their backoff due now."""
    async with ctx.db.write() as session:
        await session.execute(update(Job).values(run_at=utcnow()))


# --- the subscription ------------------------------------------------------------------------


async def test_subscribe_read_update_and_delete(
    client: httpx.AsyncClient, receiver: PushReceiver, ctx: AppContext
) -> None:
    ana = await sign_up(client, "ana")
    created = await _subscribe(client, ana, receiver, "mention", "favourite", policy="followed")
    assert created["endpoint"] == receiver.endpoint()
    assert created["server_key"] == receiver.server_key
    assert created["policy"] == "followed" and created["standard"] is True
    assert {k for k, v in created["alerts"].items() if v} == {"mention", "favourite"}
    assert len(created["alerts"]) == len(push.ALERTS)

    shown = await client.get(SUBSCRIPTION, headers=ana.headers)
    assert shown.status_code == 200 and shown.json() == created

    # PUT replaces the data, as Mastodon's: alerts not given are off.
    changed = await client.put(
        SUBSCRIPTION,
        headers=ana.headers,
        json={"data": {"alerts": {"follow": True, "admin.sign_up": "1"}, "policy": "all"}},
    )
    assert changed.status_code == 200, changed.text
    assert_entity("WebPushSubscription", changed.json())
    assert {k for k, v in changed.json()["alerts"].items() if v} == {"follow", "admin.sign_up"}
    assert changed.json()["policy"] == "all" and changed.json()["id"] == created["id"]

    # A second subscription of the same token replaces the first.
    again = await _subscribe(client, ana, receiver, "follow")
    assert again["id"] != created["id"] and await _rows(ctx) == 1

    gone = await client.delete(SUBSCRIPTION, headers=ana.headers)
    assert gone.status_code == 200 and gone.json() == {}
    missing = await client.get(SUBSCRIPTION, headers=ana.headers)
    assert missing.status_code == 404 and "error" in missing.json()
    assert (await client.put(SUBSCRIPTION, headers=ana.headers, data={})).status_code == 404
    assert await _rows(ctx) == 0


async def test_subscribing_twice_at_once_leaves_one(
    client: httpx.AsyncClient, receiver: PushReceiver, ctx: AppContext
) -> None:
    ana = await sign_up(client, "ana")
    answers = await asyncio.gather(
        *[
            client.post(SUBSCRIPTION, headers=ana.headers, data=_form(receiver, alert))
            for alert in ("follow", "mention", "favourite")
        ]
    )
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert await _rows(ctx) == 1


async def test_each_token_has_its_own_and_no_other_reads_it(
    client: httpx.AsyncClient, receiver: PushReceiver
) -> None:
    ana, bo = await sign_up(client, "ana"), await sign_up(client, "bo")
    await _subscribe(client, ana, receiver, "follow")
    granted = await password_grant(client, "ana", scope="read write push")
    other_token = granted.json()["access_token"]
    for headers in (bearer(other_token), bo.headers):
        assert (await client.get(SUBSCRIPTION, headers=headers)).status_code == 404
        assert (await client.put(SUBSCRIPTION, headers=headers, data={})).status_code == 404
        assert (await client.delete(SUBSCRIPTION, headers=headers)).status_code == 200
    assert (await client.get(SUBSCRIPTION, headers=ana.headers)).status_code == 200
    # The push scope is needed; no token, no answer.
    no_push = (await password_grant(client, "ana", scope="read write")).json()["access_token"]
    assert (await client.get(SUBSCRIPTION, headers=bearer(no_push))).status_code == 403
    assert (await client.post(SUBSCRIPTION, data=_form(receiver))).status_code == 401


BAD_INPUT: list[tuple[str, dict[str, str]]] = [
    ("subscription[endpoint]", {"subscription[endpoint]": "ftp://push.example/x"}),
    ("subscription[endpoint]", {"subscription[endpoint]": "http://push.example/x"}),
    ("subscription[endpoint]", {"subscription[endpoint]": "https://10.1.2.3/x"}),
    ("subscription[endpoint]", {"subscription[endpoint]": "https://169.254.169.254/x"}),
    ("subscription[endpoint]", {"subscription[endpoint]": "https://[::ffff:10.0.0.1]/x"}),
    ("subscription[endpoint]", {"subscription[endpoint]": "https://u:p@push.example/x"}),
    ("subscription[endpoint]", {"subscription[endpoint]": "https://push.example:99999/"}),
    ("subscription[endpoint]", {"subscription[endpoint]": "not a url"}),
    ("subscription[endpoint]", {"subscription[endpoint]": "https://e.example/" + "x" * 2100}),
    ("subscription[keys][p256dh]", {"subscription[keys][p256dh]": "not base64!"}),
    ("subscription[keys][p256dh]", {"subscription[keys][p256dh]": "BAAA"}),
    # 65 bytes that start as a point should, but lie on no curve.
    ("subscription[keys][p256dh]", {"subscription[keys][p256dh]": "BA" + "A" * 85}),
    ("subscription[keys][auth]", {"subscription[keys][auth]": "AAAAAAAAAAAAAAAAAAAA"}),
    ("subscription[keys][auth]", {"subscription[keys][auth]": ""}),
    ("policy", {"data[policy]": "friends"}),
    ("data", {"data[alerts][follow]": "perhaps"}),
    ("subscription", {"subscription[endpoint]": "\x00"}),
]


async def test_bad_input_is_422_and_writes_nothing(
    client: httpx.AsyncClient, receiver: PushReceiver, ctx: AppContext
) -> None:
    ana = await sign_up(client, "ana")
    for field, change in BAD_INPUT:
        response = await client.post(
            SUBSCRIPTION, headers=ana.headers, data=_form(receiver, "follow") | change
        )
        assert response.status_code == 422, (change, response.text)
        assert field in response.text, (field, response.text)
    missing_keys = {"subscription[endpoint]": receiver.endpoint()}
    response = await client.post(SUBSCRIPTION, headers=ana.headers, data=missing_keys)
    assert response.status_code == 422
    assert await _rows(ctx) == 0
    # A bad request leaves the subscription it would have replaced as it was.
    kept = await _subscribe(client, ana, receiver, "follow")
    response = await client.post(
        SUBSCRIPTION, headers=ana.headers, data=_form(receiver) | BAD_INPUT[2][1]
    )
    assert response.status_code == 422
    assert (await client.get(SUBSCRIPTION, headers=ana.headers)).json() == kept
    bad_put = await client.put(SUBSCRIPTION, headers=ana.headers, data={"data[policy]": "x"})
    assert bad_put.status_code == 422
    assert (await client.get(SUBSCRIPTION, headers=ana.headers)).json() == kept


# --- pushing ---------------------------------------------------------------------------------


async def test_follow_like_and_mention_are_pushed_encrypted_and_signed(
    client: httpx.AsyncClient, receiver: PushReceiver, run_jobs: RunJobs
) -> None:
    ana, bo = await sign_up(client, "ana"), await sign_up(client, "bo")
    post = await post_photo(client, ana, "lake at dawn")
    await _subscribe(client, ana, receiver, "follow", "favourite", "mention")
    await follow(client, bo, ana)
    await _like(client, bo, post["id"])
    comment = await client.post(
        "/api/v1/statuses",
        headers=bo.headers,
        json={"status": "lovely light, @ana", "in_reply_to_id": post["id"]},
    )
    assert comment.status_code == 200, comment.text
    await run_jobs()
    assert receiver.errors == []
    notifications = (await client.get("/api/v1/notifications", headers=ana.headers)).json()
    by_type = {n["type"]: n for n in notifications}
    pushed = {d.payload["notification_type"]: d.payload for d in receiver.deliveries}
    assert set(pushed) == {"follow", "favourite", "mention"} == set(by_type)
    for kind, payload in pushed.items():
        assert payload["access_token"] == ana.token
        assert payload["notification_id"] == by_type[kind]["id"]
        assert payload["preferred_locale"] == "en"
        assert payload["icon"] == by_type[kind]["account"]["avatar_static"]
        assert "bo" in payload["title"]
    assert pushed["favourite"]["title"] == "bo liked your post"
    assert pushed["favourite"]["body"] == "lake at dawn"
    assert pushed["mention"]["body"] == "lovely light, @ana"
    assert pushed["follow"]["body"] == ""
    assert all(d.headers["ttl"] == str(push.TTL_SECONDS) for d in receiver.deliveries)


async def test_alerts_off_and_policy_none_push_nothing(
    client: httpx.AsyncClient, receiver: PushReceiver, run_jobs: RunJobs
) -> None:
    ana, bo, cy = [await sign_up(client, n) for n in ("ana", "bo", "cy")]
    await _subscribe(client, ana, receiver, "mention")  # follows are not wanted
    await follow(client, bo, ana)
    await run_jobs()
    response = await client.put(
        SUBSCRIPTION, headers=ana.headers, data={"data[alerts][follow]": "true", "policy": "none"}
    )
    assert response.json()["policy"] == "none"
    await follow(client, cy, ana)
    await run_jobs()
    assert receiver.requests == 0
    assert len((await client.get("/api/v1/notifications", headers=ana.headers)).json()) == 2


async def test_policy_followed_and_follower(
    client: httpx.AsyncClient, receiver: PushReceiver, run_jobs: RunJobs
) -> None:
    ana, fan, friend = [await sign_up(client, n) for n in ("ana", "fan", "friend")]
    post = await post_photo(client, ana, "hills")
    await follow(client, fan, ana)  # fan follows ana
    await follow(client, ana, friend)  # ana follows friend
    await run_jobs()
    await _subscribe(client, ana, receiver, "favourite", policy="follower")
    await _like(client, fan, post["id"])
    await _like(client, friend, post["id"])
    await run_jobs()
    assert [d.payload["title"] for d in receiver.deliveries] == ["fan liked your post"]
    receiver.deliveries.clear()
    await client.put(
        SUBSCRIPTION,
        headers=ana.headers,
        data={"data[alerts][favourite]": "true", "data[policy]": "followed"},
    )
    for liker in (fan, friend):  # unlike and like again: new notifications
        await client.post(f"/api/v1/statuses/{post['id']}/unfavourite", headers=liker.headers)
        await run_jobs()
        await _like(client, liker, post["id"])
    await run_jobs()
    assert [d.payload["title"] for d in receiver.deliveries] == ["friend liked your post"]
    assert receiver.errors == []


async def test_gone_subscription_is_deleted_and_errors_are_retried(
    client: httpx.AsyncClient, receiver: PushReceiver, ctx: AppContext, run_jobs: RunJobs
) -> None:
    ana, bo, cy = [await sign_up(client, n) for n in ("ana", "bo", "cy")]
    await _subscribe(client, ana, receiver, "follow")
    receiver.answer(500, 429)
    await follow(client, bo, ana)
    await run_jobs()
    assert receiver.requests == 1 and receiver.deliveries == []
    for expected in (2, 3):  # each retry after its backoff
        await _retry_now(ctx)
        await run_jobs()
        assert receiver.requests == expected
    assert [d.payload["notification_type"] for d in receiver.deliveries] == ["follow"]
    assert await _rows(ctx) == 1

    receiver.answer(410)  # the browser unsubscribed: the push service forgot it
    await follow(client, cy, ana)
    await run_jobs()
    assert receiver.requests == 4 and await _rows(ctx) == 0
    assert (await client.get(SUBSCRIPTION, headers=ana.headers)).status_code == 404
    async with ctx.db.read() as session:  # nothing left to retry
        assert await session.scalar(select(func.count()).select_from(Job)) == 0


async def test_a_revoked_token_ends_its_subscription(
    client: httpx.AsyncClient, receiver: PushReceiver, ctx: AppContext, run_jobs: RunJobs
) -> None:
    ana, bo = await sign_up(client, "ana"), await sign_up(client, "bo")
    app = await register_app(client)
    granted = await password_grant(client, "ana", app=app, scope="read push")
    token = granted.json()["access_token"]
    response = await client.post(
        SUBSCRIPTION, headers=bearer(token), data=_form(receiver, "follow")
    )
    assert response.status_code == 200, response.text
    revoked = await client.post(
        "/oauth/revoke",
        data={"client_id": app["client_id"], "client_secret": app["client_secret"], "token": token},
    )
    assert revoked.status_code == 200
    await follow(client, bo, ana)
    await run_jobs()
    assert receiver.requests == 0 and await _rows(ctx) == 0


async def test_private_receivers_are_refused_without_the_insecure_setting(
    client: httpx.AsyncClient,
    receiver: PushReceiver,
    ctx: AppContext,
    run_jobs: RunJobs,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ana, bo = await sign_up(client, "ana"), await sign_up(client, "bo")
    await _subscribe(client, ana, receiver, "follow")
    monkeypatch.setattr(ctx.settings, "push_allow_insecure", False)
    response = await client.post(SUBSCRIPTION, headers=ana.headers, data=_form(receiver))
    assert response.status_code == 422
    await follow(client, bo, ana)
    await run_jobs()
    assert receiver.requests == 0 and await _rows(ctx) == 0


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://127.0.0.1/x",
        "https://localhost/x",
        "https://[::1]/x",
        "https://0.0.0.0/x",
        "https://192.168.1.10/x",
        "https://100.64.0.1/x",
        "https://[fd00::1]/x",
        "https://[::ffff:127.0.0.1]/x",
        "https://224.0.0.1/x",
    ],
)
async def test_the_sender_never_reaches_a_private_address(endpoint: str) -> None:
    assert push_sender.endpoint_problem(endpoint, allow_insecure=False) is not None
    with pytest.raises(push_sender.Refused):
        await push_sender.post(endpoint, b"", {}, allow_insecure=False, time_limit=1)


async def test_a_name_resolving_to_a_private_address_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import ipaddress

    async def resolve(host: str, port: int) -> list[Any]:
        return [ipaddress.ip_address("93.184.216.34"), ipaddress.ip_address("10.0.0.7")]

    monkeypatch.setattr(push_sender, "_resolve", resolve)
    assert push_sender.endpoint_problem("https://push.example/x", allow_insecure=True) is None
    with pytest.raises(push_sender.Refused):
        await push_sender.post("https://push.example/x", b"", {}, allow_insecure=True, time_limit=1)

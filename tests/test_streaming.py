"""Live delivery over real HTTP: WebSocket and SSE streams of `shutter serve`, one or two.

These start real servers (the in-process ASGI transport cannot speak WebSocket). The
embedded profile runs jobs inside the server, so an action's notification is created
and pushed by the same process; the scaled test runs two servers on PostgreSQL that
share events through Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from sqlalchemy import update
from websockets.asyncio.client import ClientConnection

from shutter.auth import service as auth
from shutter.auth.models import Token
from shutter.auth.revocation import AccessEnded, AccessWatch
from shutter.infra.context import AppContext
from shutter.infra.db import utcnow
from shutter.infra.migrate import upgrade
from shutter.notifications.streaming import READ_SCOPES
from shutter.notifications.streams import next_event
from tests.support.api import User, post_photo, register_app, sign_up
from tests.support.credentials import password_grant
from tests.support.feed_stores import redis_cluster_url, redis_space
from tests.support.live import LiveServer, start_server
from tests.support.schema import assert_entity
from tests.support.streams import open_sse, sse_ends, sse_event, ws_closed

__all__ = ["redis_cluster_url"]  # a fixture used by these tests


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("streaming")
    with start_server(f"sqlite+aiosqlite:///{folder / 'live.db'}", folder / "var") as live:
        yield live


@pytest.fixture
async def http(server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        yield client


def ws_url(server: LiveServer, query: str = "") -> str:
    return server.url.replace("http://", "ws://") + "/api/v1/streaming" + query


def _name(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


async def _message(socket: ClientConnection, wait: float = 1.0) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(socket.recv(), wait))


async def _follow(client: httpx.AsyncClient, who: User, whom: User) -> None:
    response = await client.post(f"/api/v1/accounts/{whom.id}/follow", headers=who.headers)
    assert response.status_code == 200, response.text


async def test_health(http: httpx.AsyncClient) -> None:
    response = await http.get("/api/v1/streaming/health")
    assert response.status_code == 200
    assert response.text == "OK"


async def test_follow_reaches_open_websocket_within_a_second(
    server: LiveServer, http: httpx.AsyncClient
) -> None:
    ana, bo = await sign_up(http, _name("ana")), await sign_up(http, _name("bo"))
    async with websockets.connect(ws_url(server, f"?access_token={ana.token}")) as socket:
        await socket.send(json.dumps({"type": "subscribe", "stream": "user:notification"}))
        await asyncio.sleep(0.1)  # the subscription is in place before the action
        started = time.monotonic()
        await _follow(http, bo, ana)
        message = await _message(socket)
        assert time.monotonic() - started < 1.0
    assert message["stream"] == ["user:notification"]
    assert message["event"] == "notification"
    payload = json.loads(message["payload"])
    assert_entity("Notification", payload)
    assert payload["type"] == "follow"
    assert payload["account"]["id"] == bo.id


async def test_like_reaches_the_authors_open_websocket_within_a_second(
    server: LiveServer, http: httpx.AsyncClient
) -> None:
    ana, bo = await sign_up(http, _name("ana")), await sign_up(http, _name("bo"))
    status = await post_photo(http, ana, "sunrise")
    async with websockets.connect(ws_url(server, f"?access_token={ana.token}")) as socket:
        await socket.send(json.dumps({"type": "subscribe", "stream": "user"}))
        await asyncio.sleep(0.1)  # the subscription is in place before the action
        started = time.monotonic()
        liked = await http.post(f"/api/v1/statuses/{status['id']}/favourite", headers=bo.headers)
        assert liked.status_code == 200, liked.text
        message = await _message(socket)
        while message["event"] != "notification":  # the user stream also carries updates
            message = await _message(socket)
        assert time.monotonic() - started < 1.0
    payload = json.loads(message["payload"])
    assert_entity("Notification", payload)
    assert payload["type"] == "favourite"
    assert payload["account"]["id"] == bo.id
    assert payload["status"]["id"] == status["id"]


async def test_followers_hear_of_a_deleted_post_and_nothing_from_muted_authors(
    server: LiveServer, http: httpx.AsyncClient
) -> None:
    ana, bo, cy = [await sign_up(http, _name(n)) for n in ("ana", "bo", "cy")]
    await _follow(http, ana, bo)
    await _follow(http, ana, cy)
    muted = await http.post(f"/api/v1/accounts/{cy.id}/mute", headers=ana.headers)
    assert muted.status_code == 200, muted.text
    status = await post_photo(http, bo, "soon gone")
    async with websockets.connect(ws_url(server, f"?access_token={ana.token}")) as socket:
        await socket.send(json.dumps({"type": "subscribe", "stream": "user"}))
        await asyncio.sleep(0.1)
        await post_photo(http, cy, "muted")
        gone = await http.delete(f"/api/v1/statuses/{status['id']}", headers=bo.headers)
        assert gone.status_code == 200, gone.text
        events = []
        with contextlib.suppress(TimeoutError):
            while ("delete", status["id"]) not in events:
                message = await _message(socket, wait=3.0)
                payload = message["payload"]
                author = (
                    json.loads(payload)["account"]["id"] if message["event"] == "update" else ""
                )
                events.append((message["event"], author or payload))
    assert ("delete", status["id"]) in events
    assert ("update", cy.id) not in events  # the muted author's post was dropped


async def test_token_in_subprotocol_and_header_and_stream_in_query(
    server: LiveServer, http: httpx.AsyncClient
) -> None:
    ana, bo = await sign_up(http, _name("ana")), await sign_up(http, _name("bo"))
    async with websockets.connect(
        ws_url(server, "?stream=user"),
        subprotocols=[ana.token],  # type: ignore[list-item]
    ) as socket:
        assert socket.subprotocol == ana.token
        await asyncio.sleep(0.1)
        await _follow(http, bo, ana)
        message = await _message(socket)
        assert message["stream"] == ["user"]
        assert message["event"] == "notification"
    async with websockets.connect(
        ws_url(server), additional_headers={"Authorization": f"Bearer {bo.token}"}
    ) as socket:
        await socket.send(json.dumps({"type": "subscribe", "stream": "user"}))
        await socket.send(json.dumps({"type": "subscribe", "stream": "user:notification"}))
        await asyncio.sleep(0.1)
        await _follow(http, ana, bo)
        # One event, delivered once to each stream that carries it.
        streams = sorted([(await _message(socket))["stream"][0] for _ in range(2)])
        assert streams == ["user", "user:notification"]
        await socket.send(json.dumps({"type": "unsubscribe", "stream": "user"}))
        await socket.send(json.dumps({"type": "unsubscribe", "stream": "user:notification"}))
        await asyncio.sleep(0.1)
        await http.post(f"/api/v1/accounts/{bo.id}/unfollow", headers=ana.headers)
        await _follow(http, ana, bo)
        with pytest.raises(TimeoutError):
            await _message(socket, wait=0.5)


async def test_bad_messages_get_errors_and_the_socket_stays(
    server: LiveServer, http: httpx.AsyncClient
) -> None:
    ana, bo = await sign_up(http, _name("ana")), await sign_up(http, _name("bo"))
    async with websockets.connect(ws_url(server, f"?access_token={ana.token}")) as socket:
        for bad, error in (
            ("not json", "Invalid JSON"),
            ("[1, 2]", "Invalid message"),
            ('{"type": "dance"}', "Unknown message type"),
            ('{"type": "subscribe", "stream": "public:everything"}', "Unknown stream type"),
            ('{"type": "subscribe", "stream": 5}', "Unknown stream type"),
            ('{"type": "subscribe", "stream": "hashtag"}', "No tag for stream provided"),
            ('{"type": "subscribe"}', "Unknown stream type"),
        ):
            await socket.send(bad)
            assert await _message(socket) == {"error": error, "status": 400}, bad
        await socket.send(b"\xff\xfe binary")
        assert (await _message(socket))["status"] == 400
        # Still alive and serving.
        await socket.send(json.dumps({"type": "subscribe", "stream": "user"}))
        await asyncio.sleep(0.1)
        await _follow(http, bo, ana)
        assert (await _message(socket))["event"] == "notification"
    async with websockets.connect(ws_url(server, f"?access_token={ana.token}&stream=nope")) as s:
        assert await _message(s) == {"error": "Unknown stream type", "status": 400}


async def test_invalid_token_is_refused(server: LiveServer) -> None:
    for query in ("", "?access_token=nope"):
        with pytest.raises(websockets.InvalidStatus) as refused:
            async with websockets.connect(ws_url(server, query)):
                pass
        assert refused.value.response.status_code == 401


async def test_sse_notifications_and_user(server: LiveServer, http: httpx.AsyncClient) -> None:
    ana, bo = await sign_up(http, _name("ana")), await sign_up(http, _name("bo"))
    for path in ("/api/v1/streaming/user/notification", "/api/v1/streaming/user"):
        async with http.stream("GET", path, headers=ana.headers) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            lines = response.aiter_lines()
            assert await asyncio.wait_for(lines.__anext__(), 1) == ":)"
            await http.post(f"/api/v1/accounts/{ana.id}/unfollow", headers=bo.headers)
            await _follow(http, bo, ana)
            event: dict[str, str] = {}
            while "data" not in event:
                line = await asyncio.wait_for(lines.__anext__(), 1)
                if line and not line.startswith(":"):
                    key, _, value = line.partition(": ")
                    event[key] = value
        assert event["event"] == "notification"
        payload = json.loads(event["data"])
        assert_entity("Notification", payload)
        assert payload["account"]["id"] == bo.id


async def test_sse_refuses_bad_tokens_and_tags(http: httpx.AsyncClient) -> None:
    ana = await sign_up(http, _name("ana"))
    for path in ("/api/v1/streaming/user", "/api/v1/streaming/user/notification"):
        assert (await http.get(path)).status_code == 401
        response = await http.get(path, headers={"Authorization": "Bearer nope"})
        assert response.status_code == 401
        assert "error" in response.json()
    response = await http.get("/api/v1/streaming/hashtag", headers=ana.headers)
    assert response.status_code == 400
    assert response.json() == {"error": "No tag for stream provided"}


async def test_new_post_reaches_followers_user_stream_and_hashtag_stream(
    server: LiveServer, http: httpx.AsyncClient
) -> None:
    from tests.support.api import post_photo

    ana, bo = await sign_up(http, _name("ana")), await sign_up(http, _name("bo"))
    cy = await sign_up(http, _name("cy"))
    await _follow(http, ana, bo)
    tag = _name("tag")
    async with (
        websockets.connect(ws_url(server, f"?access_token={ana.token}&stream=user")) as feed,
        websockets.connect(ws_url(server, f"?access_token={cy.token}")) as tagged,
    ):
        await tagged.send(json.dumps({"type": "subscribe", "stream": "hashtag", "tag": tag}))
        await asyncio.sleep(0.2)
        # bo's follow notification may still be on its way to ana; skip it.
        post = await post_photo(http, bo, f"evening #{tag.upper()}")
        message = await _message(feed, wait=2.0)
        while message["event"] != "update":
            message = await _message(feed, wait=2.0)
        assert message["stream"] == ["user"]
        status = json.loads(message["payload"])
        assert_entity("Status", status)
        assert status["id"] == post["id"]
        message = await _message(tagged, wait=2.0)
        assert message["stream"] == ["hashtag", tag]
        assert message["event"] == "update"
        assert json.loads(message["payload"])["id"] == post["id"]


@dataclass
class Login:
    """A token of a user's, issued through an app whose credentials the test holds."""

    token: str
    refresh: str
    app: dict[str, Any]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def _log_in(http: httpx.AsyncClient, user: User) -> Login:
    app = await register_app(http)
    answer = await password_grant(http, user.username, app=app, scope=None)
    assert answer.status_code == 200, answer.text
    return Login(answer.json()["access_token"], answer.json()["refresh_token"], app)


async def _revoke(http: httpx.AsyncClient, login: Login) -> None:
    app = login.app
    revoked = await http.post(
        "/oauth/revoke",
        data={
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "token": login.token,
        },
    )
    assert revoked.status_code == 200, revoked.text


async def _revocation_ends_only_that_tokens_streams(
    on_streams: LiveServer, http: httpx.AsyncClient, revoker: httpx.AsyncClient
) -> None:
    """Streams on `on_streams` (`http`) of two tokens of one account; one token is revoked
    through `revoker`: its WebSocket and SSE streams end within a second, the other's stay."""
    ana, bo = await sign_up(http, _name("ana")), await sign_up(http, _name("bo"))
    gone, kept = await _log_in(http, ana), await _log_in(http, ana)
    notification = "/api/v1/streaming/user/notification"
    async with (
        websockets.connect(
            ws_url(on_streams, f"?access_token={gone.token}&stream=user")
        ) as ws_gone,
        websockets.connect(
            ws_url(on_streams, f"?access_token={kept.token}&stream=user")
        ) as ws_kept,
        open_sse(http, notification, gone.headers) as sse_gone,
        open_sse(http, notification, kept.headers) as sse_kept,
    ):
        await asyncio.sleep(0.2)  # the streams listen before the revocation
        started = time.monotonic()
        await _revoke(revoker, gone)
        assert await ws_closed(ws_gone, within=2.0) == 1008
        assert await sse_ends(sse_gone, within=2.0)
        assert time.monotonic() - started < 2.0
        # The account's other token still streams, on both protocols.
        await _follow(revoker, bo, ana)
        message = await _message(ws_kept, wait=2.0)
        while message["event"] != "notification":
            message = await _message(ws_kept, wait=2.0)
        assert json.loads(message["payload"])["account"]["id"] == bo.id
        assert json.loads((await sse_event(sse_kept))["data"])["account"]["id"] == bo.id
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with websockets.connect(ws_url(on_streams, f"?access_token={gone.token}")):
            pass
    assert refused.value.response.status_code == 401


async def test_revoking_a_token_ends_its_streams_and_no_others(
    server: LiveServer, http: httpx.AsyncClient
) -> None:
    await _revocation_ends_only_that_tokens_streams(server, http, http)


async def test_refreshing_a_token_ends_the_old_tokens_streams(
    server: LiveServer, http: httpx.AsyncClient
) -> None:
    ana = await sign_up(http, _name("ana"))
    old = await _log_in(http, ana)
    async with (
        websockets.connect(ws_url(server, f"?access_token={old.token}")) as socket,
        open_sse(http, "/api/v1/streaming/user", old.headers) as lines,
    ):
        await asyncio.sleep(0.2)
        app = old.app
        refreshed = await http.post(
            "/oauth/token",
            data={
                "grant_type": "refresh_token",
                "client_id": app["client_id"],
                "client_secret": app["client_secret"],
                "refresh_token": old.refresh,
            },
        )
        assert refreshed.status_code == 200, refreshed.text
        assert await ws_closed(socket, within=2.0) == 1008
        assert await sse_ends(lines, within=2.0)


async def test_a_stream_that_missed_the_revocation_ends_at_its_next_check(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    """Events can be lost (Redis down): each stream authenticates its token again now and
    then. Here the token is revoked behind the event bus's back."""
    ana = await sign_up(client, _name("ana"))
    async with ctx.db.read() as session:
        caller = await auth.authenticate(session, ana.token)
    assert caller is not None
    access = AccessWatch(ctx, ana.token, caller, READ_SCOPES)
    subscription = await ctx.events.subscribe([access.channel])
    try:
        access.due_at = time.monotonic()  # a check is due: the token still authenticates
        assert await next_event(subscription, access, idle_after=0.05) is None
        assert access.due_at > time.monotonic() + 30
        async with ctx.db.write() as session:
            await session.execute(update(Token).values(revoked_at=utcnow()))
        assert await next_event(subscription, access, idle_after=0.05) is None  # not due yet
        access.due_at = time.monotonic()
        with pytest.raises(AccessEnded):
            await next_event(subscription, access, idle_after=5.0)
    finally:
        await subscription.close()


def _postgres_url() -> str:
    """A fresh PostgreSQL database for the two servers (skips when PostgreSQL is absent)."""
    import asyncpg

    from tests.conftest import PG_ADMIN_DSN

    name = f"shutter_stream_{uuid.uuid4().hex[:10]}"

    async def create() -> None:
        admin = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
        await admin.execute(f'CREATE DATABASE "{name}"')
        await admin.close()

    try:
        asyncio.run(create())
    except OSError:
        pytest.skip("PostgreSQL is not reachable")
    host_part = PG_ADMIN_DSN.split("://", 1)[1].rsplit("/", 1)[0]
    url = f"postgresql+asyncpg://{host_part}/{name}"
    asyncio.run(upgrade(url))
    return url


@pytest.fixture(scope="module", params=["redis", "cluster"])
def two_servers(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LiveServer, ...]]:
    """Two API processes sharing one database and one Redis (or a Redis Cluster)."""
    url = _postgres_url()
    folder: Path = tmp_path_factory.mktemp("scaled")
    with redis_space(request, request.param) as (redis_url, prefix):
        env = {"SHUTTER_REDIS_URL": redis_url, "SHUTTER_REDIS_PREFIX": prefix}
        # A runs no jobs: whatever B causes is created and published on B, never on A.
        with (
            start_server(
                url, folder / "a", extra_env={**env, "SHUTTER_EMBEDDED_WORKERS": "0"}
            ) as first,
            start_server(url, folder / "b", extra_env=env) as second,
        ):
            yield first, second
    _drop(url)


def _drop(url: str) -> None:
    import asyncpg

    from tests.conftest import PG_ADMIN_DSN

    async def drop() -> None:
        admin = await asyncpg.connect(PG_ADMIN_DSN)
        await admin.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
        await admin.close()

    asyncio.run(drop())


async def test_event_caused_on_one_instance_reaches_a_socket_on_another(
    two_servers: tuple[LiveServer, LiveServer],
) -> None:
    first, second = two_servers
    async with (
        httpx.AsyncClient(base_url=first.url, timeout=10) as on_a,
        httpx.AsyncClient(base_url=second.url, timeout=10) as on_b,
    ):
        ana, bo = await sign_up(on_a, _name("ana")), await sign_up(on_b, _name("bo"))
        for _attempt in range(2):  # the first also proves the socket is subscribed in Redis
            async with websockets.connect(
                ws_url(first, f"?access_token={ana.token}&stream=user:notification")
            ) as socket:
                await asyncio.sleep(0.2)
                started = time.monotonic()
                await _follow(on_b, bo, ana)  # caused through instance B (its worker too)
                message = await _message(socket, wait=2.0)
                elapsed = time.monotonic() - started
                await on_b.post(f"/api/v1/accounts/{ana.id}/unfollow", headers=bo.headers)
        assert message["event"] == "notification"
        payload = json.loads(message["payload"])
        assert payload["type"] == "follow"
        assert payload["account"]["id"] == bo.id
        assert elapsed < 1.0


async def test_revocation_on_one_instance_ends_streams_on_another(
    two_servers: tuple[LiveServer, LiveServer],
) -> None:
    first, second = two_servers
    async with (
        httpx.AsyncClient(base_url=first.url, timeout=10) as on_a,
        httpx.AsyncClient(base_url=second.url, timeout=10) as on_b,
    ):
        await _revocation_ends_only_that_tokens_streams(first, on_a, on_b)

"""The `list` stream over real HTTP (a `shutter serve` with its jobs in process): a
member's new post and its deletion reach the owner's WebSocket and SSE streams of the
list; someone else's list is refused as Mastodon refuses it."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import websockets
from websockets.asyncio.client import ClientConnection

from tests.support.api import User, follow, sign_up
from tests.support.live import LiveServer, start_server
from tests.support.schema import assert_entity
from tests.support.states import post
from tests.support.streams import open_sse, sse_event


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("list-streams")
    with start_server(f"sqlite+aiosqlite:///{folder / 'live.db'}", folder / "var") as live:
        yield live


@pytest.fixture
async def http(server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        yield client


def _ws(server: LiveServer, query: str) -> str:
    return server.url.replace("http://", "ws://") + "/api/v1/streaming" + query


def _name(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


async def _message(socket: ClientConnection, wait: float = 3.0) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(socket.recv(), wait))


async def _list_of(http: httpx.AsyncClient, owner: User, *members: User) -> str:
    made = await http.post("/api/v1/lists", headers=owner.headers, json={"title": "Close"})
    assert made.status_code == 200, made.text
    list_id = str(made.json()["id"])
    added = await http.post(
        f"/api/v1/lists/{list_id}/accounts",
        headers=owner.headers,
        json={"account_ids": [m.id for m in members]},
    )
    assert added.status_code == 200, added.text
    return list_id


async def test_members_posts_and_deletions_reach_the_list_streams(
    server: LiveServer, http: httpx.AsyncClient
) -> None:
    ana, bo, cy = [await sign_up(http, _name(n)) for n in ("ana", "bo", "cy")]
    await follow(http, ana, bo)
    await follow(http, ana, cy)
    list_id = await _list_of(http, ana, bo)
    query = f"?access_token={ana.token}&stream=list&list={list_id}"
    async with (
        websockets.connect(_ws(server, query)) as socket,
        open_sse(http, f"/api/v1/streaming/list?list={list_id}", ana.headers) as lines,
    ):
        await asyncio.sleep(0.2)  # both subscriptions are in place before the posts
        await post(http, cy, "not a member's")
        made = await post(http, bo, "a member's")
        message = await _message(socket)
        assert (message["stream"], message["event"]) == (["list", list_id], "update")
        status = json.loads(message["payload"])
        assert_entity("Status", status)
        assert status["id"] == made  # cy's post, published first, never came
        event = await sse_event(lines, wait=3.0)
        assert event["event"] == "update" and json.loads(event["data"])["id"] == made

        deleted = await http.delete(f"/api/v1/statuses/{made}", headers=bo.headers)
        assert deleted.status_code == 200, deleted.text
        message = await _message(socket)
        assert message == {"stream": ["list", list_id], "event": "delete", "payload": made}
        event = await sse_event(lines, wait=3.0)
        assert (event["event"], event["data"]) == ("delete", made)


async def test_someone_elses_list_is_not_streamed(
    server: LiveServer, http: httpx.AsyncClient
) -> None:
    ana, bo = [await sign_up(http, _name(n)) for n in ("ana", "bo")]
    await follow(http, ana, bo)
    list_id = await _list_of(http, ana, bo)
    async with websockets.connect(_ws(server, f"?access_token={bo.token}")) as socket:
        for message in (
            {"type": "subscribe", "stream": "list", "list": list_id},
            {"type": "subscribe", "stream": "list", "list": "99999999"},
        ):
            await socket.send(json.dumps(message))
            assert await _message(socket) == {
                "error": "Not authorized to stream this list",
                "status": 401,
            }
        await socket.send(json.dumps({"type": "subscribe", "stream": "list"}))
        assert (await _message(socket))["status"] == 400
        # The socket stays open and carries nothing of ana's list.
        await post(http, bo, "by a member")
        with pytest.raises(TimeoutError):
            await _message(socket, wait=1.0)
    refused = await http.get(f"/api/v1/streaming/list?list={list_id}", headers=bo.headers)
    assert refused.status_code == 401
    assert refused.json() == {"error": "Not authorized to stream this list"}
    missing = await http.get("/api/v1/streaming/list", headers=ana.headers)
    assert missing.status_code == 400

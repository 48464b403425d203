"""Filters on live streams, over real HTTP (a `shutter serve` of its own, embedded): the
user stream's `update` events apply the viewer's home filters (hide: not sent; warn:
`filtered` set), and a change to the filters applies to an open stream at once."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import websockets
from websockets.asyncio.client import ClientConnection

from tests.support.api import User, post_photo, sign_up
from tests.support.live import LiveServer, start_server
from tests.support.schema import assert_entity
from tests.support.streams import open_sse, sse_event


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("filters-stream")
    with start_server(f"sqlite+aiosqlite:///{folder / 'live.db'}", folder / "var") as live:
        yield live


@pytest.fixture
async def http(server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        yield client


def _name(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


async def _filter(http: httpx.AsyncClient, user: User, **body: Any) -> None:
    response = await http.post("/api/v2/filters", headers=user.headers, json=body)
    assert response.status_code == 200, response.text


async def _updates(socket: ClientConnection, until: str) -> dict[str, dict[str, Any]]:
    """The statuses of `update` events, by id, until the one with id `until` arrives."""
    seen: dict[str, dict[str, Any]] = {}
    with contextlib.suppress(TimeoutError):
        while until not in seen:
            message = json.loads(await asyncio.wait_for(socket.recv(), 5.0))
            if message["event"] == "update":
                status = json.loads(message["payload"])
                seen[status["id"]] = status
    return seen


async def test_user_stream_applies_home_filters(
    server: LiveServer, http: httpx.AsyncClient
) -> None:
    ana, bo = [await sign_up(http, _name(n)) for n in ("ana", "bo")]
    followed = await http.post(f"/api/v1/accounts/{bo.id}/follow", headers=ana.headers)
    assert followed.status_code == 200
    await _filter(
        http,
        ana,
        title="hidden",
        context=["home"],
        filter_action="hide",
        keywords_attributes=[{"keyword": "secret"}],
    )
    await _filter(
        http, ana, title="warned", context=["home"], keywords_attributes=[{"keyword": "spoiler"}]
    )
    await _filter(  # not the home context: no effect on the user stream
        http,
        ana,
        title="public only",
        context=["public"],
        filter_action="hide",
        keywords_attributes=[{"keyword": "sunny"}],
    )
    url = server.url.replace("http://", "ws://") + f"/api/v1/streaming?access_token={ana.token}"
    async with websockets.connect(url) as socket:
        await socket.send(json.dumps({"type": "subscribe", "stream": "user"}))
        await asyncio.sleep(0.2)
        hidden = await post_photo(http, bo, "a secret plan")
        warned = await post_photo(http, bo, "spoiler: it was the butler")
        sunny = await post_photo(http, bo, "sunny day")
        seen = await _updates(socket, sunny["id"])
        assert hidden["id"] not in seen
        assert sunny["id"] in seen and seen[sunny["id"]]["filtered"] == []
        [result] = seen[warned["id"]]["filtered"]
        assert_entity("FilterResult", result)
        assert (result["filter"]["title"], result["keyword_matches"]) == ("warned", ["spoiler"])
        # A filter made while the stream is open applies to the next update.
        await _filter(
            http,
            ana,
            title="late",
            context=["home"],
            filter_action="hide",
            keywords_attributes=[{"keyword": "rain"}],
        )
        await asyncio.sleep(0.2)
        rainy = await post_photo(http, bo, "rain again")
        last = await post_photo(http, bo, "the end")
        seen = await _updates(socket, last["id"])
        assert last["id"] in seen
        assert rainy["id"] not in seen


async def test_sse_user_stream_marks_warned_statuses(
    server: LiveServer, http: httpx.AsyncClient
) -> None:
    ana, bo = [await sign_up(http, _name(n)) for n in ("ana", "bo")]
    await http.post(f"/api/v1/accounts/{bo.id}/follow", headers=ana.headers)
    await _filter(
        http, ana, title="w", context=["home"], keywords_attributes=[{"keyword": "snake"}]
    )
    await _filter(
        http,
        ana,
        title="h",
        context=["home"],
        filter_action="hide",
        keywords_attributes=[{"keyword": "spider"}],
    )
    async with open_sse(http, "/api/v1/streaming/user", ana.headers) as lines:
        await asyncio.sleep(0.2)
        await post_photo(http, bo, "a spider web")
        warned = await post_photo(http, bo, "a snake in the grass")
        event = await sse_event(lines, wait=5.0)
        assert event["event"] == "update"
        status = json.loads(event["data"])
        assert status["id"] == warned["id"]  # the hidden one never came
        assert [r["filter"]["title"] for r in status["filtered"]] == ["w"]

"""The public timeline (`/api/v1/timelines/public`) and the public streams.

Public posts of listed authors only, as the other public places (shutter/policies.py);
`local` is the whole instance and `remote` nothing, since there is no federation.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import websockets

from shutter.infra.context import AppContext
from tests.support.api import User, follow, post_photo, sign_up
from tests.support.live import LiveServer, start_server
from tests.support.schema import assert_entity
from tests.support.states import change
from tests.support.streams import open_sse, sse_event

PUBLIC = "/api/v1/timelines/public"


async def _ids(client: httpx.AsyncClient, query: str = "", user: User | None = None) -> list[str]:
    response = await client.get(f"{PUBLIC}{query}", headers=user.headers if user else {})
    assert response.status_code == 200, response.text
    for body in response.json():
        assert_entity("Status", body)
    return [s["id"] for s in response.json()]


async def test_public_posts_only_newest_first_and_paged(client: httpx.AsyncClient) -> None:
    ana, bo, shy = [await sign_up(client, n) for n in ("ana", "bo", "shy")]
    await client.patch(
        "/api/v1/accounts/update_credentials", headers=shy.headers, data={"locked": "true"}
    )
    first = await post_photo(client, ana, "first")
    await post_photo(client, ana, "unlisted", visibility="unlisted")
    await post_photo(client, ana, "followers", visibility="private")
    await post_photo(client, shy, "locked author")  # public, but a locked account's
    second = await post_photo(client, bo, "second")
    comment = await client.post(
        "/api/v1/statuses",
        headers=bo.headers,
        json={"status": "nice", "in_reply_to_id": first["id"]},
    )
    assert comment.status_code == 200
    expected = [second["id"], first["id"]]
    assert await _ids(client) == expected  # without a token, as the tag timeline
    assert await _ids(client, "", bo) == expected
    assert await _ids(client, "?local=true") == expected
    assert await _ids(client, "?only_media=true") == expected
    assert await _ids(client, "?remote=true") == []
    page = await client.get(f"{PUBLIC}?limit=1")
    assert [s["id"] for s in page.json()] == [second["id"]]
    assert page.links["next"]["url"].startswith("http://testserver/api/v1/timelines/public?")
    rest = await client.get(page.links["next"]["url"])
    assert [s["id"] for s in rest.json()] == [first["id"]]
    assert await _ids(client, f"?min_id={first['id']}") == [second["id"]]
    assert await _ids(client, f"?since_id={second['id']}") == []


async def test_blocks_mutes_and_account_states(client: httpx.AsyncClient, ctx: AppContext) -> None:
    ana, bo, cy, dee = [await sign_up(client, n) for n in ("ana", "bo", "cy", "dee")]
    await follow(client, dee, cy)
    by_ana = (await post_photo(client, ana, "ana's"))["id"]
    by_bo = (await post_photo(client, bo, "bo's"))["id"]
    by_cy = (await post_photo(client, cy, "cy's"))["id"]
    assert await _ids(client, "", dee) == [by_cy, by_bo, by_ana]
    assert (await client.post(f"/api/v1/accounts/{ana.id}/block", headers=dee.headers)).is_success
    assert (await client.post(f"/api/v1/accounts/{bo.id}/mute", headers=dee.headers)).is_success
    assert await _ids(client, "", dee) == [by_cy]
    by_dee = (await post_photo(client, dee, "dee's"))["id"]
    assert await _ids(client, "", ana) == [by_cy, by_bo, by_ana]  # dee blocked ana
    assert await _ids(client, "", bo) == [by_dee, by_cy, by_bo, by_ana]  # a mute is one-way
    await change(ctx, cy, "silence")
    # Silenced: out of strangers' public places, not of its followers' or its own.
    assert await _ids(client) == [by_dee, by_bo, by_ana]
    assert await _ids(client, "", dee) == [by_dee, by_cy]
    assert await _ids(client, "", cy) == [by_dee, by_cy, by_bo, by_ana]
    await change(ctx, bo, "suspend")
    assert await _ids(client) == [by_dee, by_ana]


async def test_hostile_parameters_are_refused(client: httpx.AsyncClient) -> None:
    ana = await sign_up(client, "ana")
    await post_photo(client, ana, "one")
    for query in ("?limit=abc", "?only_media=maybe", "?local=2x", "?max_id=x", "?min_id=-5"):
        response = await client.get(f"{PUBLIC}{query}")
        assert response.status_code == 422, (query, response.text)
        assert "error" in response.json()
    assert len(await _ids(client, "?limit=100000")) == 1
    response = await client.get(PUBLIC, headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401


# --- streams ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("public-streams")
    with start_server(f"sqlite+aiosqlite:///{folder / 'live.db'}", folder / "var") as live:
        yield live


@pytest.fixture
async def http(server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        yield client


def _name(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


async def test_public_streams_carry_new_public_posts(
    server: LiveServer, http: httpx.AsyncClient
) -> None:
    ana, bo = await sign_up(http, _name("ana")), await sign_up(http, _name("bo"))
    tag = _name("tag")
    socket_url = (
        server.url.replace("http://", "ws://") + f"/api/v1/streaming?access_token={ana.token}"
    )
    async with (
        open_sse(http, "/api/v1/streaming/public/local", ana.headers) as local,
        open_sse(http, "/api/v1/streaming/public?only_media=true", ana.headers) as media,
        websockets.connect(socket_url) as socket,
    ):
        for stream in ("public:remote", "hashtag:local"):
            message = {"type": "subscribe", "stream": stream, "tag": tag}
            await socket.send(json.dumps(message))
        await asyncio.sleep(0.2)
        await post_photo(http, bo, "to followers only", visibility="private")
        post = await post_photo(http, bo, f"for all #{tag}")
        for lines in (local, media):
            event = await sse_event(lines)
            assert event["event"] == "update"
            status = json.loads(event["data"])
            assert_entity("Status", status)
            assert status["id"] == post["id"]  # the private post went to no public stream
        message = json.loads(await asyncio.wait_for(socket.recv(), 2))
        assert message["stream"] == ["hashtag:local", tag]  # public:remote carries nothing
        assert json.loads(message["payload"])["id"] == post["id"]
    refused = await http.get("/api/v1/streaming/public")
    assert refused.status_code == 401
    async with websockets.connect(socket_url) as socket:
        await socket.send(json.dumps({"type": "subscribe", "stream": "public:nowhere"}))
        answer = json.loads(await asyncio.wait_for(socket.recv(), 2))
        assert answer == {"error": "Unknown stream type", "status": 400}

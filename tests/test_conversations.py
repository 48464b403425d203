"""Direct-message conversations (`/api/v1/conversations`), the direct timeline and the
`direct` stream, end to end through the API on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest
import websockets
from sqlalchemy import func, select

from shutter.conversations.models import Conversation, ConversationStatus
from shutter.infra.context import AppContext
from tests.support.api import User, post_photo, sign_up, upload_photo
from tests.support.live import LiveServer, start_server
from tests.support.schema import assert_entity
from tests.support.states import change
from tests.support.streams import open_sse, sse_event

RunJobs = Callable[[], Awaitable[int]]


async def dm(
    client: httpx.AsyncClient, author: User, text: str, *, reply_to: str | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"status": text, "visibility": "direct"}
    if reply_to:
        body["in_reply_to_id"] = reply_to
    response = await client.post("/api/v1/statuses", headers=author.headers, json=body)
    assert response.status_code == 200, response.text
    assert_entity("Status", response.json())
    return response.json()


async def inbox(client: httpx.AsyncClient, user: User, **query: Any) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/conversations", headers=user.headers, params=query)
    assert response.status_code == 200, response.text
    for conversation in response.json():
        assert_entity("Conversation", conversation)
    return response.json()


def people(conversation: dict[str, Any]) -> set[str]:
    return {account["username"] for account in conversation["accounts"]}


async def _rows(ctx: AppContext) -> tuple[int, int]:
    async with ctx.db.read() as session:
        conversations = await session.scalar(select(func.count()).select_from(Conversation))
        links = await session.scalar(select(func.count()).select_from(ConversationStatus))
    return conversations or 0, links or 0


async def test_a_text_message_opens_a_conversation_on_both_sides(
    client: httpx.AsyncClient,
) -> None:
    ana, bo = await sign_up(client, "ana"), await sign_up(client, "bo")
    first = await dm(client, ana, "@bo hi there")
    assert first["visibility"] == "direct"
    assert first["media_attachments"] == []

    [theirs] = await inbox(client, bo)
    assert theirs["unread"] is True
    assert people(theirs) == {"ana"}
    assert theirs["last_status"]["id"] == first["id"]
    [mine] = await inbox(client, ana)
    assert mine["unread"] is False  # your own message is read
    assert people(mine) == {"bo"}

    answer = await dm(client, bo, "@ana hello back", reply_to=first["id"])
    [mine] = await inbox(client, ana)
    assert mine["unread"] is True
    assert mine["last_status"]["id"] == answer["id"]
    [theirs] = await inbox(client, bo)
    assert theirs["unread"] is False
    assert theirs["last_status"]["id"] == answer["id"]

    read = await client.post(f"/api/v1/conversations/{mine['id']}/read", headers=ana.headers)
    assert read.status_code == 200, read.text
    assert_entity("Conversation", read.json())
    assert read.json()["unread"] is False
    assert (await inbox(client, ana))[0]["unread"] is False


async def test_a_direct_post_needs_text_or_a_photo_and_others_still_need_a_photo(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    ana, _bo = await sign_up(client, "ana"), await sign_up(client, "bo")
    for body in (
        {"status": "   ", "visibility": "direct"},
        {"status": "@bo hi", "visibility": "public"},
        {"status": "@bo hi"},
    ):
        refused = await client.post("/api/v1/statuses", headers=ana.headers, json=body)
        assert refused.status_code == 422, (body, refused.text)
    assert await _rows(ctx) == (0, 0)
    assert (await client.get(f"/api/v1/accounts/{ana.id}/statuses")).json() == []
    # A photo in a direct message is fine too.
    photo = await upload_photo(client, ana)
    sent = await client.post(
        "/api/v1/statuses",
        headers=ana.headers,
        json={"status": "@bo look", "visibility": "direct", "media_ids": [photo["id"]]},
    )
    assert sent.status_code == 200, sent.text
    assert len(sent.json()["media_attachments"]) == 1


async def test_one_conversation_per_set_of_people(client: httpx.AsyncClient) -> None:
    ana, bo, cy = [await sign_up(client, name) for name in ("ana", "bo", "cy")]
    await dm(client, ana, "@bo one")
    await dm(client, ana, "@bo @cy group")
    await dm(client, ana, "@bo two")
    seen = await inbox(client, bo)
    assert [people(c) for c in seen] == [{"ana"}, {"ana", "cy"}]
    assert [people(c) for c in await inbox(client, cy)] == [{"ana", "bo"}]
    assert sorted(people(c) for c in await inbox(client, ana)) == [{"bo"}, {"bo", "cy"}]


async def test_removing_a_conversation_and_a_later_message_bringing_it_back(
    client: httpx.AsyncClient,
) -> None:
    ana, bo = await sign_up(client, "ana"), await sign_up(client, "bo")
    await dm(client, ana, "@bo hi")
    [theirs] = await inbox(client, bo)
    removed = await client.delete(f"/api/v1/conversations/{theirs['id']}", headers=bo.headers)
    assert removed.status_code == 200, removed.text
    assert removed.json() == {}
    assert await inbox(client, bo) == []
    assert len(await inbox(client, ana)) == 1  # only bo's side went
    again = await dm(client, ana, "@bo still there?")
    [back] = await inbox(client, bo)
    assert back["id"] != theirs["id"]
    assert back["last_status"]["id"] == again["id"]
    assert back["unread"] is True


async def test_deleting_messages_moves_last_status_back_then_drops_the_conversation(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    ana, bo = await sign_up(client, "ana"), await sign_up(client, "bo")
    first = await dm(client, ana, "@bo first")
    second = await dm(client, ana, "@bo second")
    gone = await client.delete(f"/api/v1/statuses/{second['id']}", headers=ana.headers)
    assert gone.status_code == 200, gone.text
    [theirs] = await inbox(client, bo)
    assert theirs["last_status"]["id"] == first["id"]
    reply = await dm(client, bo, "@ana answer", reply_to=first["id"])
    assert (await inbox(client, ana))[0]["last_status"]["id"] == reply["id"]
    # The top message takes its comment with it: nothing is left of the conversation.
    gone = await client.delete(f"/api/v1/statuses/{first['id']}", headers=ana.headers)
    assert gone.status_code == 200, gone.text
    assert await inbox(client, bo) == []
    assert await inbox(client, ana) == []
    assert await _rows(ctx) == (0, 0)


async def test_blocks_mutes_and_suspensions(client: httpx.AsyncClient, ctx: AppContext) -> None:
    ana, bo, cy, dee = [await sign_up(client, name) for name in ("ana", "bo", "cy", "dee")]
    blocked = await client.post(f"/api/v1/accounts/{ana.id}/block", headers=cy.headers)
    assert blocked.status_code == 200, blocked.text
    muted = await client.post(f"/api/v1/accounts/{ana.id}/mute", headers=dee.headers)
    assert muted.status_code == 200, muted.text
    await dm(client, ana, "@bo @cy @dee hello all")
    assert await inbox(client, cy) == []
    assert await inbox(client, dee) == []
    [theirs] = await inbox(client, bo)
    assert people(theirs) == {"ana", "cy", "dee"}
    # A participant suspended since leaves the accounts; a suspended author's message
    # is no longer anyone's last status.
    await change(ctx, dee, "suspend")
    assert people((await inbox(client, bo))[0]) == {"ana", "cy"}
    await change(ctx, ana, "suspend")
    [theirs] = await inbox(client, bo)
    assert people(theirs) == {"cy"}
    assert theirs["last_status"] is None


async def test_a_deleted_account_leaves_with_its_inbox_and_messages(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: RunJobs
) -> None:
    ana, bo, cy = [await sign_up(client, name) for name in ("ana", "bo", "cy")]
    first = await dm(client, ana, "@bo @cy hello")
    await dm(client, bo, "@ana @cy answer", reply_to=first["id"])
    mine = await dm(client, cy, "@bo just us")
    await change(ctx, ana, "delete_account")
    await run_jobs()
    async with ctx.db.read() as session:
        left = await session.scalar(
            select(func.count()).where(Conversation.account_id == int(ana.id))
        )
    assert left == 0
    # Ana's thread went with her (her post took the answer with it); bo and cy keep theirs.
    [theirs] = await inbox(client, bo)
    assert people(theirs) == {"cy"}
    assert theirs["last_status"]["id"] == mine["id"]
    assert [people(c) for c in await inbox(client, cy)] == [{"bo"}]


async def test_pages_go_by_last_message(client: httpx.AsyncClient) -> None:
    ana = await sign_up(client, "ana")
    friends = [await sign_up(client, f"f{i}") for i in range(3)]
    for friend in friends:
        await dm(client, ana, f"@{friend.username} hi")
    await dm(client, ana, "@f0 again")  # f0's conversation is the newest now
    first = await client.get("/api/v1/conversations?limit=2", headers=ana.headers)
    assert first.status_code == 200, first.text
    assert [people(c) for c in first.json()] == [{"f0"}, {"f2"}]
    next_url = first.headers["Link"].split(";")[0].strip("<>")
    rest = await client.get(next_url, headers=ana.headers)
    assert [people(c) for c in rest.json()] == [{"f1"}]
    newest = first.json()[0]["last_status"]["id"]
    oldest = rest.json()[0]["last_status"]["id"]
    above = await inbox(client, ana, min_id=oldest, limit=1)
    assert [people(c) for c in above] == [{"f2"}]
    assert await inbox(client, ana, since_id=newest) == []


async def test_direct_timeline(client: httpx.AsyncClient) -> None:
    ana, bo, cy = [await sign_up(client, name) for name in ("ana", "bo", "cy")]
    message = await dm(client, ana, "@bo secret")
    await post_photo(client, ana, "public photo")
    for viewer, expected in ((ana, [message["id"]]), (bo, [message["id"]]), (cy, [])):
        response = await client.get("/api/v1/timelines/direct", headers=viewer.headers)
        assert response.status_code == 200, response.text
        for status in response.json():
            assert_entity("Status", status)
        assert [s["id"] for s in response.json()] == expected


async def test_hostile_inputs_change_nothing(client: httpx.AsyncClient, ctx: AppContext) -> None:
    ana, bo = await sign_up(client, "ana"), await sign_up(client, "bo")
    await dm(client, ana, "@bo hi")
    [mine] = await inbox(client, ana)
    before = await _rows(ctx)
    for raw in ("abc", "-1", "99999999999999999999999", "1.5", "%00", mine["id"] + "0"):
        for method, path in (
            ("POST", f"/api/v1/conversations/{raw}/read"),
            ("DELETE", f"/api/v1/conversations/{raw}"),
        ):
            response = await client.request(method, path, headers=ana.headers)
            assert response.status_code == 404, (method, path, response.text)
    # Someone else's conversation is not found either.
    for method, path in (
        ("POST", f"/api/v1/conversations/{mine['id']}/read"),
        ("DELETE", f"/api/v1/conversations/{mine['id']}"),
    ):
        response = await client.request(method, path, headers=bo.headers)
        assert response.status_code == 404, response.text
    for query in ("max_id=abc", "limit=lots", "since_id=-3"):
        response = await client.get(f"/api/v1/conversations?{query}", headers=ana.headers)
        assert response.status_code == 422, (query, response.text)
    assert (await client.get("/api/v1/conversations")).status_code == 401
    assert (await client.delete(f"/api/v1/conversations/{mine['id']}")).status_code == 401
    assert await _rows(ctx) == before
    assert (await inbox(client, ana))[0]["id"] == mine["id"]


# --- the `direct` stream, on a live server ------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("direct")
    with start_server(f"sqlite+aiosqlite:///{folder / 'live.db'}", folder / "var") as live:
        yield live


@pytest.fixture
async def http(server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as live_client:
        yield live_client


def _name(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


async def test_direct_stream_over_websocket_and_sse(
    server: LiveServer, http: httpx.AsyncClient
) -> None:
    ana, bo = await sign_up(http, _name("ana")), await sign_up(http, _name("bo"))
    url = server.url.replace("http://", "ws://")
    url += f"/api/v1/streaming?stream=direct&access_token={bo.token}"
    async with (
        websockets.connect(url) as socket,
        open_sse(http, "/api/v1/streaming/direct", bo.headers) as lines,
    ):
        await asyncio.sleep(0.2)  # the subscriptions are in place before the message
        sent = await dm(http, ana, f"@{bo.username} psst")
        message = json.loads(await asyncio.wait_for(socket.recv(), 2))
        event = await sse_event(lines)
    assert message["stream"] == ["direct"]
    assert message["event"] == "conversation"
    for payload in (json.loads(message["payload"]), json.loads(event["data"])):
        assert_entity("Conversation", payload)
        assert payload["unread"] is True
        assert payload["last_status"]["id"] == sent["id"]
        assert [a["id"] for a in payload["accounts"]] == [ana.id]
    assert event["event"] == "conversation"

"""`status.update` and comments on streams, over real HTTP (a `shutter serve` with its jobs
in process): an edited post reaches, as Mastodon's `status.update`, the streams its
`update` reached (followers' and the author's `user` streams, rendered as each of them
sees it; hashtag and public streams; `list` streams), never a follower who muted the
author nor anyone else; a member's comment reaches a `list` stream when the list's
timeline would show it (its replies policy, and whether its owner may see the thread)."""

from __future__ import annotations

import asyncio
import json
import time
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

# (stream names, event, status id)
Seen = tuple[tuple[str, ...], str, str]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("status-update-streams")
    with start_server(f"sqlite+aiosqlite:///{folder / 'live.db'}", folder / "var") as live:
        yield live


@pytest.fixture
async def http(server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        yield client


def _ws(server: LiveServer, user: User, query: str = "") -> str:
    base = server.url.replace("http://", "ws://") + "/api/v1/streaming"
    return f"{base}?access_token={user.token}{query}"


def _name(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


async def _subscribe(socket: ClientConnection, stream: str, **more: str) -> None:
    await socket.send(json.dumps({"type": "subscribe", "stream": stream, **more}))


async def _collect(
    socket: ClientConnection, kinds: set[str], expected: set[Seen], quiet: float = 0.7
) -> dict[Seen, dict[str, Any]]:
    """The socket's status events of `kinds` (Status payloads, validated), by what they
    are, once every `expected` one came (at most 6 s) and `quiet` more seconds passed
    without another, so one that should not come has its chance to."""
    seen: dict[Seen, dict[str, Any]] = {}
    deadline = time.monotonic() + 6.0
    while True:
        if set(seen) >= expected:
            wait = quiet
        else:
            wait = deadline - time.monotonic()
            if wait <= 0:
                return seen
        try:
            message = json.loads(await asyncio.wait_for(socket.recv(), wait))
        except TimeoutError:
            return seen
        if message.get("event") not in kinds:
            continue  # notifications, a late `update` of the post's own fan-out
        status = json.loads(message["payload"])
        assert_entity("Status", status)
        seen[(tuple(message["stream"]), message["event"], status["id"])] = status


async def _edit(http: httpx.AsyncClient, user: User, status_id: str, text: str) -> None:
    edited = await http.put(
        f"/api/v1/statuses/{status_id}", headers=user.headers, json={"status": text}
    )
    assert edited.status_code == 200, edited.text


async def _comment(http: httpx.AsyncClient, user: User, on: str, text: str) -> str:
    made = await http.post(
        "/api/v1/statuses", headers=user.headers, json={"status": text, "in_reply_to_id": on}
    )
    assert made.status_code == 200, made.text
    return str(made.json()["id"])


async def _list(http: httpx.AsyncClient, owner: User, policy: str, *members: User) -> str:
    made = await http.post(
        "/api/v1/lists", headers=owner.headers, json={"title": policy, "replies_policy": policy}
    )
    assert made.status_code == 200, made.text
    list_id = str(made.json()["id"])
    added = await http.post(
        f"/api/v1/lists/{list_id}/accounts",
        headers=owner.headers,
        json={"account_ids": [m.id for m in members]},
    )
    assert added.status_code == 200, added.text
    return list_id


async def test_an_edit_reaches_the_streams_that_carried_the_post(
    server: LiveServer, http: httpx.AsyncClient
) -> None:
    ana, bo, cy, dan, eve, fay = [
        await sign_up(http, _name(n)) for n in ("ana", "bo", "cy", "dan", "eve", "fay")
    ]
    for follower in (ana, cy, fay):
        await follow(http, follower, bo)
    muted = await http.post(f"/api/v1/accounts/{bo.id}/mute", headers=cy.headers)
    assert muted.status_code == 200, muted.text
    # fay keeps bo in an exclusive list: bo's posts reach that list, not her home.
    made_list = await http.post(
        "/api/v1/lists", headers=fay.headers, json={"title": "Bo", "exclusive": True}
    )
    assert made_list.status_code == 200, made_list.text
    fay_list = str(made_list.json()["id"])
    added = await http.post(
        f"/api/v1/lists/{fay_list}/accounts", headers=fay.headers, json={"account_ids": [bo.id]}
    )
    assert added.status_code == 200, added.text
    tag = _name("tag")
    # eve follows the tag, not bo: the post reached her home through it.
    tag_followed = await http.post(f"/api/v1/tags/{tag}/follow", headers=eve.headers)
    assert tag_followed.status_code == 200, tag_followed.text
    made = await post(http, bo, f"dusk #{tag}")
    liked = await http.post(f"/api/v1/statuses/{made}/favourite", headers=ana.headers)
    assert liked.status_code == 200, liked.text
    kinds = {"status.update"}
    async with (
        websockets.connect(_ws(server, ana, "&stream=user")) as ana_ws,
        websockets.connect(_ws(server, bo, "&stream=user")) as bo_ws,
        websockets.connect(_ws(server, cy, "&stream=user")) as cy_ws,
        websockets.connect(_ws(server, dan, "&stream=user")) as dan_ws,
        websockets.connect(_ws(server, eve, "&stream=user")) as eve_ws,
        websockets.connect(_ws(server, fay, "&stream=user")) as fay_ws,
        open_sse(http, "/api/v1/streaming/user", ana.headers) as ana_sse,
    ):
        await _subscribe(dan_ws, "hashtag", tag=tag)
        await _subscribe(dan_ws, "public:media")
        await _subscribe(dan_ws, "public:local")
        await _subscribe(fay_ws, "list", list=fay_list)
        await asyncio.sleep(0.3)  # every subscription is in place before the edit
        await _edit(http, bo, made, f"dusk, edited #{tag}")

        ana_seen = await _collect(ana_ws, kinds, {(("user",), "status.update", made)})
        [status] = ana_seen.values()
        assert "edited" in status["content"] and status["edited_at"] is not None
        assert status["favourited"] is True  # rendered as ana sees it
        assert status["favourites_count"] == 1
        event = await sse_event(ana_sse, wait=3.0)
        while event["event"] != "status.update":
            event = await sse_event(ana_sse, wait=3.0)
        assert json.loads(event["data"])["favourited"] is True

        bo_seen = await _collect(bo_ws, kinds, {(("user",), "status.update", made)})
        assert [s["favourited"] for s in bo_seen.values()] == [False]

        public = {
            (("hashtag", tag), "status.update", made),
            (("public:media",), "status.update", made),
            (("public:local",), "status.update", made),
        }
        dan_seen = await _collect(dan_ws, kinds, public)
        # Not on dan's user stream: dan does not follow bo.
        assert set(dan_seen) == public
        assert all(s["favourited"] is False for s in dan_seen.values())
        eve_seen = await _collect(eve_ws, kinds, {(("user",), "status.update", made)})
        assert set(eve_seen) == {(("user",), "status.update", made)}
        fay_expected: set[Seen] = {(("list", fay_list), "status.update", made)}
        assert set(await _collect(fay_ws, kinds, fay_expected)) == fay_expected
        # cy follows bo but muted him.
        assert await _collect(cy_ws, kinds, set(), quiet=0.3) == {}


async def test_edits_of_private_posts_stay_off_public_streams(
    server: LiveServer, http: httpx.AsyncClient
) -> None:
    ana, bo, dan = [await sign_up(http, _name(n)) for n in ("ana", "bo", "dan")]
    await follow(http, ana, bo)
    tag = _name("tag")
    made = await post(http, bo, f"for friends #{tag}", visibility="private")
    async with (
        websockets.connect(_ws(server, ana, "&stream=user")) as ana_ws,
        websockets.connect(_ws(server, dan, "&stream=public")) as dan_ws,
    ):
        await _subscribe(dan_ws, "hashtag", tag=tag)
        await asyncio.sleep(0.3)
        await _edit(http, bo, made, f"for friends only #{tag}")
        seen = await _collect(ana_ws, {"status.update"}, {(("user",), "status.update", made)})
        [status] = seen.values()
        assert status["visibility"] == "private"
        assert await _collect(dan_ws, {"status.update"}, set(), quiet=0.3) == {}


async def test_comments_and_edits_on_list_streams(
    server: LiveServer, http: httpx.AsyncClient
) -> None:
    ana, bo, cy, dan, gil = [
        await sign_up(http, _name(n)) for n in ("ana", "bo", "cy", "dan", "gil")
    ]
    for followed in (bo, cy):
        await follow(http, ana, followed)
    for follower in (bo, cy):
        await follow(http, follower, gil)
    by_list = {p: await _list(http, ana, p, bo) for p in ("followed", "list", "none")}
    ana_post = await post(http, ana, "ana's")
    cy_post = await post(http, cy, "cy's")
    dan_post = await post(http, dan, "dan's")
    bo_post = await post(http, bo, "bo's")
    # A private post of gil, whom ana does not follow: its comments are not ana's to see.
    gil_post = await post(http, gil, "gil's", visibility="private")
    cy_on_gil = await _comment(http, cy, gil_post, "nice, gil")
    liked = await http.post(f"/api/v1/statuses/{bo_post}/favourite", headers=ana.headers)
    assert liked.status_code == 200, liked.text

    async with websockets.connect(_ws(server, ana)) as socket:
        for list_id in by_list.values():
            await _subscribe(socket, "list", list=list_id)
        await asyncio.sleep(0.3)
        on_ana = await _comment(http, bo, ana_post, "to the owner")
        on_cy = await _comment(http, bo, cy_post, "to someone followed")
        on_dan = await _comment(http, bo, dan_post, "to a stranger")
        on_self = await _comment(http, bo, bo_post, "to myself")
        on_cy_on_gil = await _comment(http, bo, cy_on_gil, "in a thread ana cannot see")

        def stream(policy: str) -> tuple[str, ...]:
            return ("list", by_list[policy])

        every = {stream(p) for p in by_list}
        expected = {(s, "update", c) for s in every for c in (on_ana, on_self)}
        expected.add((stream("followed"), "update", on_cy))
        seen = await _collect(socket, {"update", "status.update"}, expected)
        # bo's own post may still be on its way from the job queue when the socket opens.
        late = {k for k in seen if k[1] == "update" and k[2] == bo_post}
        assert set(seen) - late == expected  # not on_dan, nor the comment in gil's private thread

        await _edit(http, bo, on_cy, "to someone followed, edited")
        await _edit(http, bo, bo_post, "bo's, edited")
        await _edit(http, bo, on_dan, "to a stranger, edited")
        expected = {(s, "status.update", bo_post) for s in every}
        expected.add((stream("followed"), "status.update", on_cy))
        seen = await _collect(socket, {"update", "status.update"}, expected)
        assert {k for k in seen if k[1] == "status.update"} == expected
        assert seen[(stream("none"), "status.update", bo_post)]["favourited"] is True
        assert "edited" in seen[(stream("followed"), "status.update", on_cy)]["content"]

    # The streams carried what the timelines show.
    for policy, list_id in by_list.items():
        page = await http.get(f"/api/v1/timelines/list/{list_id}", headers=ana.headers)
        assert page.status_code == 200, page.text
        shown = {s["id"] for s in page.json()}
        wanted = {bo_post, on_ana, on_self} | ({on_cy} if policy == "followed" else set())
        assert shown == wanted, policy
        assert on_cy_on_gil not in shown and on_dan not in shown

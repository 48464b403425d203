"""Deleting one's account (POST /api/v1/shutter/account/delete) end to end: a tombstone at
once (hidden, tokens and streams ended, the address free, the username kept), then jobs
remove every trace — posts, media files, likes, saves, comments, mentions, notifications
both ways, follows, requests, blocks, mutes, feed entries, tokens — and correct the
counters of others. On SQLite and PostgreSQL; the streams over real HTTP."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import websockets
from sqlalchemy import func, or_, select

from shutter.infra.context import AppContext
from shutter.media.models import Media
from shutter.media.service.cleanup import keys_of
from shutter.models import Base
from shutter.posts.models import Post
from tests.support.api import User, follow, sign_up
from tests.support.credentials import PASSWORD, bearer, password_grant
from tests.support.live import LiveServer, start_server
from tests.support.privacy_driver import PHOTO
from tests.support.states import NOWHERE, RunJobs, StateWorld, build, post, sightings
from tests.support.streams import open_sse, sse_ends

DELETE = "/api/v1/shutter/account/delete"
# Every column that names an account a row belongs to or is about.
ACCOUNT_COLUMNS = (
    "account_id",
    "target_account_id",
    "from_account_id",
    "in_reply_to_account_id",
    "author_id",
)


async def traces(ctx: AppContext, account_id: int) -> dict[str, int]:
    """Rows naming the account, per table (its own row in `accounts` aside)."""
    found: dict[str, int] = {}
    async with ctx.db.read() as session:
        for table in Base.metadata.sorted_tables:
            columns = [table.c[name] for name in ACCOUNT_COLUMNS if name in table.c]
            if not columns or table.name == "jobs":
                continue
            condition = or_(*(column == account_id for column in columns))
            count = await session.scalar(select(func.count()).select_from(table).where(condition))
            if count:
                found[table.name] = int(count)
    return found


async def rows_per_table(ctx: AppContext) -> dict[str, int]:
    counts = {}
    async with ctx.db.read() as session:
        for table in Base.metadata.sorted_tables:
            if table.name != "jobs":
                counts[table.name] = int(
                    await session.scalar(select(func.count()).select_from(table)) or 0
                )
    return counts


async def media_files(ctx: AppContext, account_id: int) -> list[Path]:
    """The stored files of the account's media rows (local storage: tests' default)."""
    async with ctx.db.read() as session:
        rows = await session.scalars(select(Media).where(Media.account_id == account_id))
        keys = [key for media in rows for key in keys_of(media)]
    return [ctx.storage.path(key) for key in keys]  # type: ignore[attr-defined]


async def _ok(response: httpx.Response) -> httpx.Response:
    assert response.status_code == 200, response.text
    return response


async def richer(client: httpx.AsyncClient, run_jobs: RunJobs, w: StateWorld) -> dict[str, str]:
    """More of Ana everywhere: comments on her post and under her comment, a mention of
    her, likes and saves both ways, a follower, a request, a mute, a block, an upload."""
    dee, eve = await sign_up(client, "stdee"), await sign_up(client, "steve")
    await _ok(
        await client.patch(
            "/api/v1/accounts/update_credentials", data={"locked": "true"}, headers=dee.headers
        )
    )
    bob_comment = await _ok(
        await client.post(
            "/api/v1/statuses",
            headers=w.bob.headers,
            json={"status": "so calm", "in_reply_to_id": w.ana_post},
        )
    )
    for who, status, parent in (
        (w.cy, "indeed", bob_comment.json()["id"]),
        (w.cy, "agreed", w.ana_comment),
    ):
        await _ok(
            await client.post(
                "/api/v1/statuses",
                headers=who.headers,
                json={"status": status, "in_reply_to_id": parent},
            )
        )
    mentioning = await post(client, w.bob, "hello @stana")
    await post(client, w.ana, "a second one, @stbob")
    for who, path in (
        (w.bob, f"/api/v1/statuses/{w.ana_post}/favourite"),
        (w.cy, f"/api/v1/statuses/{w.ana_post}/favourite"),
        (w.bob, f"/api/v1/statuses/{w.ana_post}/bookmark"),
        (w.ana, f"/api/v1/statuses/{w.bob_post}/bookmark"),
        (w.ana, f"/api/v1/accounts/{dee.id}/follow"),
        (w.ana, f"/api/v1/accounts/{w.cy.id}/mute"),
        (eve, f"/api/v1/accounts/{w.ana.id}/block"),
        (w.ana, "/api/v1/tags/calm/follow"),
        (w.ana, "/api/v1/tags/calm/feature"),
    ):
        await _ok(await client.post(path, headers=who.headers))
    await follow(client, w.cy, w.ana)
    # Endorsed by a follower, and a suggestion dismissed (graph's tables).
    await _ok(await client.post(f"/api/v1/accounts/{w.ana.id}/pin", headers=w.cy.headers))
    await _ok(await client.delete(f"/api/v1/suggestions/{w.bob.id}", headers=w.ana.headers))
    await _ok(
        await client.post(
            "/api/v1/media",
            headers=w.ana.headers,
            files={"file": ("photo.jpg", PHOTO, "image/jpeg")},
        )
    )
    await run_jobs()
    return {"mentioning": mentioning, "bob_comment": bob_comment.json()["id"]}


async def _account(client: httpx.AsyncClient, user: User) -> dict[str, int]:
    return dict((await client.get(f"/api/v1/accounts/{user.id}")).json())


async def _status(client: httpx.AsyncClient, user: User, status_id: str) -> dict[str, int]:
    return dict((await client.get(f"/api/v1/statuses/{status_id}", headers=user.headers)).json())


async def test_deleting_removes_every_trace_and_keeps_the_name(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: RunJobs
) -> None:
    w = await build(client, run_jobs)
    extra = await richer(client, run_jobs, w)
    ana_id = int(w.ana.id)
    second_token = (await password_grant(client, "stana")).json()["access_token"]
    before = await traces(ctx, ana_id)
    # Something of hers in every table the deletion must empty of her.
    for table in (
        "posts",
        "likes",
        "bookmarks",
        "mentions",
        "media",
        "follows",
        "follow_requests",
        "blocks",
        "mutes",
        "notifications",
        "feed_entries",
        "oauth_tokens",
        "credentials",
        "idempotency_keys",
    ):
        assert before.get(table) or table == "idempotency_keys", (table, before)
    files = await media_files(ctx, ana_id)
    assert files and all(path.exists() for path in files)
    bob_files = await media_files(ctx, int(w.bob.id))
    bob_before = await _account(client, w.bob)
    cy_before = await _account(client, w.cy)
    liked_before = await _status(client, w.bob, w.bob_post)

    answer = await client.post(DELETE, headers=w.ana.headers, data={"password": PASSWORD})
    assert (answer.status_code, answer.json()) == (202, {})

    # At once: a tombstone, hidden everywhere, no token, no log-in.
    for token in (w.ana.token, second_token):
        gone = await client.get("/api/v1/accounts/verify_credentials", headers=bearer(token))
        assert gone.status_code == 401
    assert (await password_grant(client, "stana")).status_code == 400
    assert (await password_grant(client, "stana@example.com")).status_code == 400
    tombstone = await _account(client, w.ana)
    assert tombstone["suspended"] is True and tombstone["username"] == "stana"
    assert await sightings(client, w, w.bob) == NOWHERE

    await run_jobs()

    assert await traces(ctx, ana_id) == {}
    async with ctx.db.read() as session:
        # Cy's reply under Bob's comment on Ana's post went with the thread.
        under = await session.scalar(
            select(func.count()).select_from(Post).where(Post.root_id == int(w.ana_post))
        )
    assert under == 0
    assert not [path for path in files if path.exists()]
    assert all(path.exists() for path in bob_files)
    # Others' counters no longer count her.
    bob_after, cy_after = await _account(client, w.bob), await _account(client, w.cy)
    assert bob_after["followers_count"] == bob_before["followers_count"] - 1
    assert bob_after["following_count"] == bob_before["following_count"] - 1
    assert cy_after["following_count"] == cy_before["following_count"] - 1
    liked = await _status(client, w.bob, w.bob_post)
    assert liked["favourites_count"] == liked_before["favourites_count"] - 1
    assert liked["replies_count"] == liked_before["replies_count"] - 1
    # Bob's own things stay, and the post mentioning her is still his.
    assert (await _status(client, w.bob, extra["mentioning"]))["id"] == extra["mentioning"]
    notifications = await client.get("/api/v1/notifications", headers=w.bob.headers)
    assert all(n["account"]["id"] != w.ana.id for n in notifications.json())

    # The name stays taken; the address is free.
    again = await client.post(
        "/api/v1/accounts",
        headers=await _app_headers(client),
        data={"username": "STANA", "email": "x@example.com", "password": PASSWORD},
    )
    assert again.status_code == 422
    assert again.json()["details"]["username"][0]["error"] == "ERR_TAKEN"
    await sign_up(client, "stana2", password=PASSWORD)  # example.com address of its own
    reuse = await client.post(
        "/api/v1/accounts",
        headers=await _app_headers(client),
        data={
            "username": "stanb",
            "email": "stana@example.com",
            "password": PASSWORD,
            "agreement": "true",
        },
    )
    assert reuse.status_code == 200, reuse.text
    # Jobs run twice change nothing (at-least-once delivery).
    await run_jobs()
    assert await traces(ctx, ana_id) == {}


async def _app_headers(client: httpx.AsyncClient) -> dict[str, str]:
    from tests.support.api import app_token, register_app

    return bearer(await app_token(client, await register_app(client)))


@pytest.mark.parametrize(
    ("headers_of", "body", "status"),
    [
        ("ana", {"password": "not her password"}, 422),
        ("ana", {}, 422),
        ("ana", {"password": "x" * 5000}, 422),
        ("none", {"password": PASSWORD}, 401),
        ("read", {"password": PASSWORD}, 403),
    ],
)
async def test_a_refused_deletion_changes_nothing(
    client: httpx.AsyncClient,
    ctx: AppContext,
    run_jobs: RunJobs,
    headers_of: str,
    body: dict[str, str],
    status: int,
) -> None:
    w = await build(client, run_jobs)
    headers = {"ana": w.ana.headers, "none": {}}.get(headers_of)
    if headers is None:
        read_only = await password_grant(client, "stana", scope="read")
        headers = bearer(read_only.json()["access_token"])
    before = await rows_per_table(ctx)
    answer = await client.post(DELETE, headers=headers, data=body)
    assert answer.status_code == status, answer.text
    await run_jobs()
    assert await rows_per_table(ctx) == before
    me = await client.get("/api/v1/accounts/verify_credentials", headers=w.ana.headers)
    assert me.status_code == 200


async def test_deleting_twice_is_no_error_of_the_server(
    client: httpx.AsyncClient, run_jobs: RunJobs
) -> None:
    ana = await sign_up(client, "stana")
    first = await client.post(DELETE, headers=ana.headers, data={"password": PASSWORD})
    assert first.status_code == 202
    second = await client.post(DELETE, headers=ana.headers, data={"password": PASSWORD})
    assert second.status_code == 401  # the token ended with the account
    await run_jobs()


# --- over real HTTP: the streams themselves end ------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("deletion-streams")
    with start_server(f"sqlite+aiosqlite:///{folder / 'live.db'}", folder / "var") as live:
        yield live


@pytest.mark.parametrize("route", ["delete", "deactivate"])
async def test_leaving_ends_the_account_s_open_streams_at_once(
    server: LiveServer, route: str
) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
        ana = await sign_up(http, f"ana{uuid.uuid4().hex[:8]}")
        other = (await password_grant(http, ana.username)).json()["access_token"]
        socket_url = server.url.replace("http://", "ws://") + "/api/v1/streaming"
        async with (
            websockets.connect(f"{socket_url}?access_token={other}&stream=user") as socket,
            open_sse(http, "/api/v1/streaming/user", bearer(other)) as lines,
        ):
            await asyncio.sleep(0.2)  # the streams listen before the change
            started = time.monotonic()
            answer = await http.post(
                f"/api/v1/shutter/account/{route}", headers=ana.headers, data={"password": PASSWORD}
            )
            assert answer.status_code in (200, 202), answer.text
            assert await sse_ends(lines, within=2.0)
            with pytest.raises(websockets.ConnectionClosed):
                async with asyncio.timeout(2.0):
                    while True:
                        await socket.recv()
            assert socket.close_code == 1008
            assert time.monotonic() - started < 2.0

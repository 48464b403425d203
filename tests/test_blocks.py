"""Blocks, mutes and removing a follower through the public API."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from sqlalchemy import func, select

from shutter.graph.models import Block, Mute
from shutter.infra.context import AppContext
from tests.support.api import User, follow, post_photo, register_app, sign_up
from tests.support.schema import assert_entity

RunJobs = Callable[[], Awaitable[int]]


async def _post(client: httpx.AsyncClient, who: User, path: str, **data: Any) -> dict[str, Any]:
    response = await client.post(path, headers=who.headers, data=data)
    assert response.status_code == 200, response.text
    assert_entity("Relationship", response.json())
    return response.json()


async def _relationship(client: httpx.AsyncClient, who: User, other: User) -> dict[str, Any]:
    response = await client.get(
        f"/api/v1/accounts/relationships?id[]={other.id}", headers=who.headers
    )
    assert response.status_code == 200, response.text
    return response.json()[0]


async def _counts(client: httpx.AsyncClient, user: User) -> tuple[int, int]:
    body = (await client.get(f"/api/v1/accounts/{user.id}")).json()
    return body["followers_count"], body["following_count"]


async def _home(client: httpx.AsyncClient, user: User) -> list[str]:
    response = await client.get("/api/v1/timelines/home", headers=user.headers)
    assert response.status_code == 200, response.text
    return [s["id"] for s in response.json()]


async def _ids(client: httpx.AsyncClient, user: User, path: str) -> list[str]:
    response = await client.get(path, headers=user.headers)
    assert response.status_code == 200, response.text
    for account in response.json():
        assert_entity("Account", account)
    return [a["id"] for a in response.json()]


async def _rows(ctx: AppContext, model: type[Block] | type[Mute]) -> int:
    async with ctx.db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def scoped_token(client: httpx.AsyncClient, username: str, scopes: str) -> dict[str, str]:
    """Headers with a user token of `username` limited to `scopes` (password grant)."""
    app = await register_app(client, scopes=scopes)
    response = await client.post(
        "/oauth/token",
        data={
            "grant_type": "password",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "username": f"{username}@example.com",
            "password": "correct horse battery",
            "scope": scopes,
        },
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


# --- blocks --------------------------------------------------------------------------


async def test_block_removes_follows_both_ways_with_exact_counts(
    client: httpx.AsyncClient,
) -> None:
    ana, bo, cy = [await sign_up(client, n) for n in ("ana", "bo", "cy")]
    await follow(client, ana, bo)
    await follow(client, bo, ana)
    await follow(client, cy, ana)
    relation = await _post(client, ana, f"/api/v1/accounts/{bo.id}/block")
    assert relation["blocking"] is True and relation["blocked_by"] is False
    assert relation["following"] is False and relation["followed_by"] is False
    assert await _counts(client, ana) == (1, 0)
    assert await _counts(client, bo) == (0, 0)
    seen_by_bo = await _relationship(client, bo, ana)
    assert seen_by_bo["blocked_by"] is True and seen_by_bo["blocking"] is False
    # Blocking again changes nothing.
    await _post(client, ana, f"/api/v1/accounts/{bo.id}/block")
    assert await _counts(client, ana) == (1, 0)
    assert await _ids(client, ana, "/api/v1/blocks") == [bo.id]
    # Unblocking lifts the block only: the follows it removed stay removed.
    relation = await _post(client, ana, f"/api/v1/accounts/{bo.id}/unblock")
    assert relation["blocking"] is False and relation["following"] is False
    assert (await _relationship(client, bo, ana))["blocked_by"] is False
    assert await _ids(client, ana, "/api/v1/blocks") == []
    await _post(client, ana, f"/api/v1/accounts/{bo.id}/unblock")  # harmless again


async def test_block_drops_follow_requests_both_ways(client: httpx.AsyncClient) -> None:
    ana, bo = await sign_up(client, "ana"), await sign_up(client, "bo")
    for user in (ana, bo):
        locked = await client.patch(
            "/api/v1/accounts/update_credentials", headers=user.headers, data={"locked": "true"}
        )
        assert locked.status_code == 200
    assert (await follow(client, bo, ana))["requested"] is True
    assert (await follow(client, ana, bo))["requested"] is True
    relation = await _post(client, bo, f"/api/v1/accounts/{ana.id}/block")
    assert relation["requested"] is False and relation["requested_by"] is False
    assert await _ids(client, ana, "/api/v1/follow_requests") == []
    assert await _ids(client, bo, "/api/v1/follow_requests") == []


async def test_block_takes_posts_out_of_both_home_feeds(
    client: httpx.AsyncClient, run_jobs: RunJobs
) -> None:
    ana, bo = await sign_up(client, "ana"), await sign_up(client, "bo")
    await follow(client, ana, bo)
    await follow(client, bo, ana)
    mine, theirs = await post_photo(client, ana, "a"), await post_photo(client, bo, "b")
    await run_jobs()
    assert await _home(client, ana) == [theirs["id"], mine["id"]]
    await _post(client, bo, f"/api/v1/accounts/{ana.id}/block")
    assert await _home(client, ana) == [mine["id"]]
    assert await _home(client, bo) == [theirs["id"]]
    # Jobs still queued (back-fills of the old follows) bring nothing back.
    await run_jobs()
    assert await _home(client, ana) == [mine["id"]]


async def test_blocked_accounts_cannot_reach_each_other(client: httpx.AsyncClient) -> None:
    ana, bo = await sign_up(client, "ana"), await sign_up(client, "bo")
    status = await post_photo(client, ana, "hello")
    await _post(client, ana, f"/api/v1/accounts/{bo.id}/block")
    # Following is refused with 403 (the account itself stays visible), both ways.
    for who, whom in ((bo, ana), (ana, bo)):
        refused = await client.post(f"/api/v1/accounts/{whom.id}/follow", headers=who.headers)
        assert refused.status_code == 403, refused.text
        assert (
            await client.get(f"/api/v1/accounts/{whom.id}", headers=who.headers)
        ).status_code == 200
    assert await _counts(client, ana) == (0, 0)
    # Posts are invisible: reading, commenting on them answer 404 like a missing post.
    path = f"/api/v1/statuses/{status['id']}"
    assert (await client.get(path, headers=bo.headers)).status_code == 404
    assert (await client.get(path)).status_code == 200  # still public to everyone else
    comment = await client.post(
        "/api/v1/statuses",
        headers=bo.headers,
        json={"status": "hi", "in_reply_to_id": status["id"]},
    )
    assert comment.status_code == 404, comment.text
    assert await _ids(client, bo, f"/api/v1/accounts/{ana.id}/followers") == []
    response = await client.get(f"/api/v1/accounts/{ana.id}/statuses", headers=bo.headers)
    assert response.json() == []


async def test_blocked_account_disappears_from_third_party_lists(client: httpx.AsyncClient) -> None:
    ana, bo, cy = [await sign_up(client, n) for n in ("ana", "bo", "cy")]
    await follow(client, bo, cy)
    await follow(client, ana, cy)
    await follow(client, cy, bo)
    await _post(client, ana, f"/api/v1/accounts/{bo.id}/block")
    assert await _ids(client, ana, f"/api/v1/accounts/{cy.id}/followers") == [ana.id]
    assert await _ids(client, ana, f"/api/v1/accounts/{cy.id}/following") == []
    assert set(await _ids(client, cy, f"/api/v1/accounts/{cy.id}/followers")) == {ana.id, bo.id}


async def test_racing_blocks_both_ways_end_exact(client: httpx.AsyncClient) -> None:
    ana, bo = await sign_up(client, "ana"), await sign_up(client, "bo")
    await follow(client, ana, bo)
    await follow(client, bo, ana)
    responses = await asyncio.gather(
        client.post(f"/api/v1/accounts/{bo.id}/block", headers=ana.headers),
        client.post(f"/api/v1/accounts/{ana.id}/block", headers=bo.headers),
        client.post(f"/api/v1/accounts/{bo.id}/block", headers=ana.headers),
    )
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert await _counts(client, ana) == (0, 0) and await _counts(client, bo) == (0, 0)
    relation = await _relationship(client, ana, bo)
    assert relation["blocking"] is True and relation["blocked_by"] is True


async def test_blocks_list_pages_with_links(client: httpx.AsyncClient) -> None:
    ana = await sign_up(client, "ana")
    others = [await sign_up(client, f"u{i}") for i in range(3)]
    for other in others:
        await _post(client, ana, f"/api/v1/accounts/{other.id}/block")
    first = await client.get("/api/v1/blocks?limit=2", headers=ana.headers)
    assert [a["id"] for a in first.json()] == [others[2].id, others[1].id]
    second = await client.get(first.links["next"]["url"], headers=ana.headers)
    assert [a["id"] for a in second.json()] == [others[0].id]
    assert (await client.get("/api/v1/blocks?limit=100000", headers=ana.headers)).status_code == 200


async def test_block_bad_input_changes_nothing(client: httpx.AsyncClient, ctx: AppContext) -> None:
    ana, bo = await sign_up(client, "ana"), await sign_up(client, "bo")
    for action in ("block", "unblock", "mute", "unmute", "remove_from_followers"):
        own = await client.post(f"/api/v1/accounts/{ana.id}/{action}", headers=ana.headers)
        assert own.status_code == 403, (action, own.text)
        unknown = await client.post(f"/api/v1/accounts/123456789/{action}", headers=ana.headers)
        assert unknown.status_code == 404, (action, unknown.text)
        assert isinstance(unknown.json()["error"], str)
        too_big = await client.post(f"/api/v1/accounts/{2**70}/{action}", headers=ana.headers)
        assert too_big.status_code == 404, (action, too_big.text)
        anonymous = await client.post(f"/api/v1/accounts/{bo.id}/{action}")
        assert anonymous.status_code == 401, action
    for path in ("/api/v1/blocks", "/api/v1/mutes"):
        assert (await client.get(path)).status_code == 401
    assert await _rows(ctx, Block) == 0 and await _rows(ctx, Mute) == 0


async def test_block_and_mute_scopes(client: httpx.AsyncClient, ctx: AppContext) -> None:
    await sign_up(client, "ana")
    bo = await sign_up(client, "bo")
    reader = await scoped_token(client, "ana", "read")
    for action in ("block", "mute", "unblock", "unmute", "remove_from_followers"):
        refused = await client.post(f"/api/v1/accounts/{bo.id}/{action}", headers=reader)
        assert refused.status_code == 403, (action, refused.text)
    blocks_only = await scoped_token(client, "ana", "write:blocks")
    assert (
        await client.post(f"/api/v1/accounts/{bo.id}/mute", headers=blocks_only)
    ).status_code == 403
    ok = await client.post(f"/api/v1/accounts/{bo.id}/block", headers=blocks_only)
    assert ok.status_code == 200, ok.text
    mutes_only = await scoped_token(client, "ana", "write:mutes")
    assert (
        await client.post(f"/api/v1/accounts/{bo.id}/block", headers=mutes_only)
    ).status_code == 403
    assert (
        await client.post(f"/api/v1/accounts/{bo.id}/mute", headers=mutes_only)
    ).status_code == 200
    assert (await client.get("/api/v1/blocks", headers=mutes_only)).status_code == 403
    assert (await client.get("/api/v1/mutes", headers=blocks_only)).status_code == 403
    read_blocks = await scoped_token(client, "ana", "read:blocks")
    assert [a["id"] for a in (await client.get("/api/v1/blocks", headers=read_blocks)).json()] == [
        bo.id
    ]
    read_mutes = await scoped_token(client, "ana", "read:mutes")
    assert [a["id"] for a in (await client.get("/api/v1/mutes", headers=read_mutes)).json()] == [
        bo.id
    ]
    # The legacy `follow` scope covers blocks and mutes, as on Mastodon.
    legacy = await scoped_token(client, "ana", "follow")
    assert (
        await client.post(f"/api/v1/accounts/{bo.id}/unblock", headers=legacy)
    ).status_code == 200


# --- mutes ---------------------------------------------------------------------------


async def test_mute_hides_posts_from_home_until_unmuted(
    client: httpx.AsyncClient, run_jobs: RunJobs
) -> None:
    ana, bo = await sign_up(client, "ana"), await sign_up(client, "bo")
    await follow(client, ana, bo)
    status = await post_photo(client, bo, "loud")
    await run_jobs()
    assert await _home(client, ana) == [status["id"]]
    relation = await _post(client, ana, f"/api/v1/accounts/{bo.id}/mute")
    assert relation["muting"] is True and relation["muting_notifications"] is True
    assert relation["following"] is True  # a mute is silent: the follow stays
    assert await _home(client, ana) == []
    # Nobody is told: the muted account's view of the relationship shows nothing.
    seen_by_bo = await _relationship(client, bo, ana)
    assert seen_by_bo["muting"] is False and seen_by_bo["blocked_by"] is False
    # The profile and the post itself stay readable for the muter.
    assert (
        await client.get(f"/api/v1/statuses/{status['id']}", headers=ana.headers)
    ).status_code == 200
    grid = await client.get(f"/api/v1/accounts/{bo.id}/statuses", headers=ana.headers)
    assert [s["id"] for s in grid.json()] == [status["id"]]
    assert await _ids(client, ana, "/api/v1/mutes") == [bo.id]
    relation = await _post(client, ana, f"/api/v1/accounts/{bo.id}/unmute")
    assert relation["muting"] is False
    assert await _home(client, ana) == [status["id"]]
    assert await _ids(client, ana, "/api/v1/mutes") == []


async def test_mute_options_notifications_and_duration(
    client: httpx.AsyncClient, run_jobs: RunJobs
) -> None:
    ana, bo = await sign_up(client, "ana"), await sign_up(client, "bo")
    await follow(client, ana, bo)
    status = await post_photo(client, bo, "soon back")
    await run_jobs()
    relation = await _post(
        client, ana, f"/api/v1/accounts/{bo.id}/mute", notifications="false", duration="1"
    )
    assert relation["muting"] is True and relation["muting_notifications"] is False
    assert await _home(client, ana) == []
    await asyncio.sleep(1.2)
    # An expired mute no longer applies anywhere.
    assert await _home(client, ana) == [status["id"]]
    assert await _ids(client, ana, "/api/v1/mutes") == []
    assert (await _relationship(client, ana, bo))["muting"] is False
    # Muting again updates the options of the existing mute.
    await _post(client, ana, f"/api/v1/accounts/{bo.id}/mute", duration="0")
    assert (await _relationship(client, ana, bo))["muting_notifications"] is True
    for bad in ({"duration": "-1"}, {"duration": "soon"}, {"notifications": "maybe"}):
        response = await client.post(
            f"/api/v1/accounts/{bo.id}/mute", headers=ana.headers, data=bad
        )
        assert response.status_code == 422, (bad, response.text)


# --- removing a follower -------------------------------------------------------------


async def test_remove_follower_ends_their_follow_and_feed(
    client: httpx.AsyncClient, run_jobs: RunJobs
) -> None:
    ana, bo = await sign_up(client, "ana"), await sign_up(client, "bo")
    await follow(client, bo, ana)
    status = await post_photo(client, ana, "for bo")
    await run_jobs()
    assert await _home(client, bo) == [status["id"]]
    relation = await _post(client, ana, f"/api/v1/accounts/{bo.id}/remove_from_followers")
    assert relation["followed_by"] is False and relation["blocking"] is False
    assert await _counts(client, ana) == (0, 0) and await _counts(client, bo) == (0, 0)
    assert await _home(client, bo) == []
    # Removing someone who does not follow is harmless; they may follow again.
    await _post(client, ana, f"/api/v1/accounts/{bo.id}/remove_from_followers")
    assert await _counts(client, ana) == (0, 0)
    assert (await follow(client, bo, ana))["following"] is True


async def test_mute_hides_from_hashtags_explore_and_comments(
    client: httpx.AsyncClient, run_jobs: RunJobs
) -> None:
    ana, bo, cy = [await sign_up(client, n) for n in ("ana", "bo", "cy")]
    loud = await post_photo(client, bo, "#lake again")
    calm = await post_photo(client, cy, "#lake calm")
    reply = await client.post(
        "/api/v1/statuses",
        headers=bo.headers,
        json={"status": "me too", "in_reply_to_id": calm["id"]},
    )
    assert reply.status_code == 200, reply.text
    await run_jobs()

    async def seen() -> dict[str, list[str]]:
        tag = await client.get("/api/v1/timelines/tag/lake", headers=ana.headers)
        trends = await client.get("/api/v1/trends/statuses", headers=ana.headers)
        context = await client.get(f"/api/v1/statuses/{calm['id']}/context", headers=ana.headers)
        return {
            "tag": [s["id"] for s in tag.json()],
            "trends": sorted(s["id"] for s in trends.json()),
            "comments": [s["id"] for s in context.json()["descendants"]],
        }

    assert await seen() == {
        "tag": [calm["id"], loud["id"]],
        "trends": sorted([calm["id"], loud["id"]]),
        "comments": [reply.json()["id"]],
    }
    await _post(client, ana, f"/api/v1/accounts/{bo.id}/mute")
    assert await seen() == {"tag": [calm["id"]], "trends": [calm["id"]], "comments": []}
    # Others are unaffected.
    tag = await client.get("/api/v1/timelines/tag/lake", headers=cy.headers)
    assert [s["id"] for s in tag.json()] == [calm["id"], loud["id"]]
    await _post(client, ana, f"/api/v1/accounts/{bo.id}/unmute")
    assert len((await seen())["comments"]) == 1


async def test_follow_racing_a_block_never_survives_it(client: httpx.AsyncClient) -> None:
    ana = await sign_up(client, "ana")
    fans = [await sign_up(client, f"fan{i}") for i in range(8)]
    # Each fan follows while ana blocks them; whichever commits first, no follow remains.
    responses = await asyncio.gather(
        *[
            request
            for fan in fans
            for request in (
                client.post(f"/api/v1/accounts/{ana.id}/follow", headers=fan.headers),
                client.post(f"/api/v1/accounts/{fan.id}/block", headers=ana.headers),
            )
        ]
    )
    assert {r.status_code for r in responses} <= {200, 403}
    assert await _counts(client, ana) == (0, 0)
    for fan in fans:
        relation = await _relationship(client, ana, fan)
        assert (relation["blocking"], relation["followed_by"]) == (True, False)
        assert await _counts(client, fan) == (0, 0)

"""Follows, follow requests, relationships and follower lists through the public API."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shutter import policies
from shutter.accounts import service as accounts_service
from shutter.accounts.models import Account
from shutter.feed.models import FeedEntry
from shutter.infra.context import AppContext
from shutter.infra.jobs import Job
from tests.support.api import User, app_token, register_app, sign_up
from tests.support.schema import assert_entity

RunJobs = Callable[[], Awaitable[int]]


async def _account(client: httpx.AsyncClient, user: User) -> dict[str, Any]:
    response = await client.get(f"/api/v1/accounts/{user.id}")
    assert response.status_code == 200, response.text
    return response.json()


async def _counts(client: httpx.AsyncClient, user: User) -> tuple[int, int]:
    body = await _account(client, user)
    return body["followers_count"], body["following_count"]


async def _follow(client: httpx.AsyncClient, who: User, whom: User) -> dict[str, Any]:
    response = await client.post(f"/api/v1/accounts/{whom.id}/follow", headers=who.headers)
    assert response.status_code == 200, response.text
    assert_entity("Relationship", response.json())
    return response.json()


async def _lock(client: httpx.AsyncClient, user: User) -> None:
    response = await client.patch(
        "/api/v1/accounts/update_credentials", headers=user.headers, data={"locked": "true"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["locked"] is True


async def _backfill_jobs(ctx: AppContext) -> list[dict[str, Any]]:
    async with ctx.db.read() as session:
        rows = await session.scalars(select(Job.payload).where(Job.kind == "feed.backfill"))
        return list(rows)


def _error(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert isinstance(response.json()["error"], str)


def _next_link(response: httpx.Response) -> str | None:
    links = response.links
    return links["next"]["url"] if "next" in links else None


# --- follow and unfollow -------------------------------------------------------------


async def test_follow_and_unfollow_move_counts_once(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    ana, bo = await sign_up(client, "ana"), await sign_up(client, "bo")

    relation = await _follow(client, ana, bo)
    assert relation["id"] == bo.id
    assert relation["following"] is True
    assert relation["showing_reblogs"] is True
    assert relation["requested"] is False
    assert relation["followed_by"] is False
    assert await _counts(client, ana) == (0, 1)
    assert await _counts(client, bo) == (1, 0)
    assert await _backfill_jobs(ctx) == [{"account_id": int(ana.id), "author_id": int(bo.id)}]

    # Following again changes nothing: no second count, no second back-fill.
    again = await _follow(client, ana, bo)
    assert again["following"] is True
    assert await _counts(client, ana) == (0, 1)
    assert await _counts(client, bo) == (1, 0)
    assert len(await _backfill_jobs(ctx)) == 1

    response = await client.post(f"/api/v1/accounts/{bo.id}/unfollow", headers=ana.headers)
    assert response.status_code == 200, response.text
    assert_entity("Relationship", response.json())
    assert response.json()["following"] is False
    assert await _counts(client, ana) == (0, 0)
    assert await _counts(client, bo) == (0, 0)

    # Unfollowing again is harmless and never takes a counter below zero.
    response = await client.post(f"/api/v1/accounts/{bo.id}/unfollow", headers=ana.headers)
    assert response.status_code == 200
    assert await _counts(client, bo) == (0, 0)


async def test_follow_enqueues_one_backfill_job(
    client: httpx.AsyncClient, run_jobs: RunJobs
) -> None:
    ana, bo = await sign_up(client, "ana"), await sign_up(client, "bo")
    await run_jobs()
    await _follow(client, ana, bo)
    await _follow(client, ana, bo)
    assert await run_jobs() == 2  # one back-fill, one follow notification


async def test_racing_follows_count_once(client: httpx.AsyncClient) -> None:
    ana, bo = await sign_up(client, "ana"), await sign_up(client, "bo")
    # On PostgreSQL these run as concurrent transactions; the unique pair settles them.
    racing = [
        client.post(f"/api/v1/accounts/{bo.id}/follow", headers=ana.headers) for _ in range(6)
    ]
    # Two accounts following each other at once touch both rows (in the same order).
    racing += [client.post(f"/api/v1/accounts/{ana.id}/follow", headers=bo.headers)]
    responses = await asyncio.gather(*racing)
    assert [r.status_code for r in responses] == [200] * 7
    assert await _counts(client, ana) == (1, 1)
    assert await _counts(client, bo) == (1, 1)


async def test_mutual_follow_shows_followed_by(client: httpx.AsyncClient) -> None:
    ana, bo = await sign_up(client, "ana"), await sign_up(client, "bo")
    await _follow(client, ana, bo)
    relation = await _follow(client, bo, ana)
    assert relation["following"] is True
    assert relation["followed_by"] is True
    assert await _counts(client, ana) == (1, 1)
    assert await _counts(client, bo) == (1, 1)


async def test_unfollow_removes_author_from_home_feed(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    ana, bo, cy = (
        await sign_up(client, "ana"),
        await sign_up(client, "bo"),
        await sign_up(client, "cy"),
    )
    await _follow(client, ana, bo)
    await _follow(client, ana, cy)
    async with ctx.db.write() as session:
        session.add(FeedEntry(account_id=int(ana.id), post_id=1, author_id=int(bo.id)))
        session.add(FeedEntry(account_id=int(ana.id), post_id=2, author_id=int(cy.id)))

    response = await client.post(f"/api/v1/accounts/{bo.id}/unfollow", headers=ana.headers)
    assert response.status_code == 200

    async with ctx.db.read() as session:
        authors = list(await session.scalars(select(FeedEntry.author_id)))
    assert authors == [int(cy.id)]


async def test_follow_errors_change_nothing(client: httpx.AsyncClient) -> None:
    ana, bo = await sign_up(client, "ana"), await sign_up(client, "bo")

    _error(await client.post(f"/api/v1/accounts/{ana.id}/follow", headers=ana.headers), 403)
    _error(await client.post(f"/api/v1/accounts/{ana.id}/unfollow", headers=ana.headers), 403)
    _error(await client.post("/api/v1/accounts/12345/follow", headers=ana.headers), 404)
    _error(await client.post(f"/api/v1/accounts/{'9' * 30}/follow", headers=ana.headers), 404)
    _error(await client.post("/api/v1/accounts/12345/unfollow", headers=ana.headers), 404)
    _error(await client.post("/api/v1/accounts/abc/follow", headers=ana.headers), 404)
    _error(await client.post(f"/api/v1/accounts/{bo.id}/follow"), 401)
    bad_token = {"Authorization": "Bearer not-a-token"}
    _error(await client.post(f"/api/v1/accounts/{bo.id}/follow", headers=bad_token), 401)
    _error(
        await client.post(
            f"/api/v1/accounts/{bo.id}/follow", headers=ana.headers, json={"reblogs": "maybe"}
        ),
        422,
    )

    assert await _counts(client, ana) == (0, 0)
    assert await _counts(client, bo) == (0, 0)


async def test_follow_accepts_mastodon_options(client: httpx.AsyncClient) -> None:
    ana, bo = await sign_up(client, "ana"), await sign_up(client, "bo")
    response = await client.post(
        f"/api/v1/accounts/{bo.id}/follow",
        headers=ana.headers,
        json={"reblogs": True, "notify": False, "languages": ["en"]},
    )
    assert response.status_code == 200, response.text
    assert response.json()["following"] is True


async def test_read_only_token_cannot_follow(client: httpx.AsyncClient) -> None:
    await sign_up(client, "ana")
    bo = await sign_up(client, "bo")
    # A user token holding only `read`: authorize an app for it with the password grant.
    app = await register_app(client, scopes="read")
    response = await client.post(
        "/oauth/token",
        data={
            "grant_type": "password",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "username": "ana@example.com",
            "password": "correct horse battery",
            "scope": "read",
        },
    )
    assert response.status_code == 200, response.text
    reader = {"Authorization": f"Bearer {response.json()['access_token']}"}

    _error(await client.post(f"/api/v1/accounts/{bo.id}/follow", headers=reader), 403)
    _error(await client.post("/api/v1/follow_requests/1/authorize", headers=reader), 403)
    assert await _counts(client, bo) == (0, 0)
    # Reading is within its scope.
    response = await client.get(f"/api/v1/accounts/relationships?id[]={bo.id}", headers=reader)
    assert response.status_code == 200, response.text

    # An app token has no account behind it.
    token = await app_token(client, await register_app(client))
    app_only = {"Authorization": f"Bearer {token}"}
    _error(await client.post(f"/api/v1/accounts/{bo.id}/follow", headers=app_only), 422)


# --- follow requests -----------------------------------------------------------------


async def test_locked_account_request_then_authorize(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    ana, bo = await sign_up(client, "ana"), await sign_up(client, "bo")
    await _lock(client, bo)

    relation = await _follow(client, ana, bo)
    assert relation["following"] is False
    assert relation["requested"] is True
    assert await _counts(client, bo) == (0, 0)
    assert await _backfill_jobs(ctx) == []
    # Asking twice leaves one request.
    assert (await _follow(client, ana, bo))["requested"] is True

    pending = await client.get("/api/v1/follow_requests", headers=bo.headers)
    assert pending.status_code == 200, pending.text
    assert [a["id"] for a in pending.json()] == [ana.id]
    for account in pending.json():
        assert_entity("Account", account)
    me = await client.get("/api/v1/accounts/verify_credentials", headers=bo.headers)
    assert me.json()["source"]["follow_requests_count"] == 1

    seen = await client.get(f"/api/v1/accounts/relationships?id[]={ana.id}", headers=bo.headers)
    assert seen.json()[0]["requested_by"] is True

    response = await client.post(f"/api/v1/follow_requests/{ana.id}/authorize", headers=bo.headers)
    assert response.status_code == 200, response.text
    assert_entity("Relationship", response.json())
    assert response.json()["id"] == ana.id
    assert response.json()["followed_by"] is True
    assert response.json()["requested_by"] is False

    listed = await client.get(f"/api/v1/accounts/relationships?id[]={bo.id}", headers=ana.headers)
    assert listed.json()[0]["following"] is True
    assert listed.json()[0]["requested"] is False
    assert await _counts(client, ana) == (0, 1)
    assert await _counts(client, bo) == (1, 0)
    assert await _backfill_jobs(ctx) == [{"account_id": int(ana.id), "author_id": int(bo.id)}]
    assert (await client.get("/api/v1/follow_requests", headers=bo.headers)).json() == []

    # The request is gone: authorizing it again is a 404 that changes nothing.
    _error(
        await client.post(f"/api/v1/follow_requests/{ana.id}/authorize", headers=bo.headers), 404
    )
    assert await _counts(client, bo) == (1, 0)


async def test_reject_request(client: httpx.AsyncClient) -> None:
    ana, bo = await sign_up(client, "ana"), await sign_up(client, "bo")
    await _lock(client, bo)
    await _follow(client, ana, bo)

    response = await client.post(f"/api/v1/follow_requests/{ana.id}/reject", headers=bo.headers)
    assert response.status_code == 200, response.text
    assert_entity("Relationship", response.json())
    assert response.json()["requested_by"] is False
    assert response.json()["followed_by"] is False
    assert (await client.get("/api/v1/follow_requests", headers=bo.headers)).json() == []
    assert await _counts(client, bo) == (0, 0)
    _error(await client.post(f"/api/v1/follow_requests/{ana.id}/reject", headers=bo.headers), 404)


async def test_unfollow_withdraws_request(client: httpx.AsyncClient) -> None:
    ana, bo = await sign_up(client, "ana"), await sign_up(client, "bo")
    await _lock(client, bo)
    await _follow(client, ana, bo)

    response = await client.post(f"/api/v1/accounts/{bo.id}/unfollow", headers=ana.headers)
    assert response.status_code == 200
    assert response.json()["requested"] is False
    assert (await client.get("/api/v1/follow_requests", headers=bo.headers)).json() == []
    assert await _counts(client, bo) == (0, 0)
    assert await _counts(client, ana) == (0, 0)


async def test_follow_request_errors(client: httpx.AsyncClient) -> None:
    ana, bo = await sign_up(client, "ana"), await sign_up(client, "bo")
    await _lock(client, bo)
    await _follow(client, ana, bo)

    # Only the target can answer; the requester cannot authorize their own request.
    _error(
        await client.post(f"/api/v1/follow_requests/{bo.id}/authorize", headers=ana.headers), 404
    )
    _error(
        await client.post(f"/api/v1/follow_requests/{ana.id}/authorize", headers=ana.headers), 404
    )
    _error(await client.post("/api/v1/follow_requests/777/authorize", headers=bo.headers), 404)
    _error(await client.post("/api/v1/follow_requests/abc/reject", headers=bo.headers), 404)
    _error(await client.post(f"/api/v1/follow_requests/{ana.id}/authorize"), 401)
    _error(await client.get("/api/v1/follow_requests"), 401)
    _error(await client.get("/api/v1/follow_requests?limit=lots", headers=bo.headers), 422)

    pending = await client.get("/api/v1/follow_requests", headers=bo.headers)
    assert [a["id"] for a in pending.json()] == [ana.id]
    assert await _counts(client, bo) == (0, 0)


async def test_follow_requests_paginate(client: httpx.AsyncClient) -> None:
    owner = await sign_up(client, "owner")
    await _lock(client, owner)
    fans = [await sign_up(client, f"fan{i}") for i in range(3)]
    for fan in fans:
        await _follow(client, fan, owner)

    first = await client.get("/api/v1/follow_requests?limit=2", headers=owner.headers)
    assert [a["id"] for a in first.json()] == [fans[2].id, fans[1].id]
    next_url = _next_link(first)
    assert next_url is not None
    second = await client.get(next_url, headers=owner.headers)
    assert [a["id"] for a in second.json()] == [fans[0].id]


# --- relationships -------------------------------------------------------------------


async def test_relationships_for_several_ids(client: httpx.AsyncClient) -> None:
    ana, bo, cy = (
        await sign_up(client, "ana"),
        await sign_up(client, "bo"),
        await sign_up(client, "cy"),
    )
    await _follow(client, ana, bo)
    await _follow(client, cy, ana)

    response = await client.get(
        "/api/v1/accounts/relationships",
        params=[
            ("id[]", cy.id),
            ("id[]", "999"),
            ("id[]", "abc"),
            ("id[]", bo.id),
            ("id[]", cy.id),
        ],
        headers=ana.headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    for item in body:
        assert_entity("Relationship", item)
    assert [r["id"] for r in body] == [cy.id, bo.id]
    assert (body[0]["following"], body[0]["followed_by"]) == (False, True)
    assert (body[1]["following"], body[1]["followed_by"]) == (True, False)
    assert body[1]["showing_reblogs"] is True
    assert body[0]["showing_reblogs"] is False

    single = await client.get(f"/api/v1/accounts/relationships?id={bo.id}", headers=ana.headers)
    assert [r["id"] for r in single.json()] == [bo.id]
    empty = await client.get("/api/v1/accounts/relationships", headers=ana.headers)
    assert empty.json() == []


async def test_relationships_errors(client: httpx.AsyncClient) -> None:
    ana = await sign_up(client, "ana")
    _error(await client.get(f"/api/v1/accounts/relationships?id[]={ana.id}"), 401)
    too_many = httpx.QueryParams([("id[]", str(i)) for i in range(101)])
    _error(
        await client.get("/api/v1/accounts/relationships", params=too_many, headers=ana.headers),
        422,
    )


# --- followers and following ---------------------------------------------------------


async def _page_through(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> list[str]:
    """Follow `next` links from `url` to the end; every page holds at most two accounts."""
    seen: list[str] = []
    next_url: str | None = url
    while next_url is not None:
        response = await client.get(next_url, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page) <= 2
        for account in page:
            assert_entity("Account", account)
        seen.extend(account["id"] for account in page)
        next_url = _next_link(response) if page else None
    return seen


async def test_followers_and_following_paginate(client: httpx.AsyncClient) -> None:
    star = await sign_up(client, "star")
    fans = [await sign_up(client, f"fan{i}") for i in range(5)]
    for fan in fans:
        await _follow(client, fan, star)
        await _follow(client, star, fan)
    newest_first = [fan.id for fan in reversed(fans)]

    url = f"/api/v1/accounts/{star.id}/followers?limit=2"
    assert await _page_through(client, url, {}) == newest_first
    url = f"/api/v1/accounts/{star.id}/following?limit=2"
    assert await _page_through(client, url, star.headers) == newest_first

    first = await client.get(f"/api/v1/accounts/{star.id}/followers?limit=2")
    assert "prev" in first.links
    # Going back from the second page with min_id returns the first page, newest first.
    second = await client.get(_next_link(first) or "")
    back = await client.get(second.links["prev"]["url"])
    assert [a["id"] for a in back.json()] == [a["id"] for a in first.json()]

    everyone = await client.get(f"/api/v1/accounts/{star.id}/followers")
    assert len(everyone.json()) == 5
    assert everyone.json()[0]["followers_count"] == 1


async def test_follower_lists_errors(client: httpx.AsyncClient) -> None:
    ana = await sign_up(client, "ana")
    _error(await client.get("/api/v1/accounts/4242/followers"), 404)
    _error(await client.get("/api/v1/accounts/4242/following"), 404)
    _error(await client.get(f"/api/v1/accounts/{ana.id}/followers?max_id=x"), 422)
    _error(await client.get(f"/api/v1/accounts/{ana.id}/following?limit=-"), 422)
    # An out-of-range limit is clamped, as Mastodon does.
    assert (await client.get(f"/api/v1/accounts/{ana.id}/followers?limit=1000")).status_code == 200


async def test_locked_account_lists_hidden_from_strangers(client: httpx.AsyncClient) -> None:
    ana, bo, cy = (
        await sign_up(client, "ana"),
        await sign_up(client, "bo"),
        await sign_up(client, "cy"),
    )
    await _follow(client, ana, bo)
    await _lock(client, bo)
    await _follow(client, bo, cy)

    for path in ("followers", "following"):
        url = f"/api/v1/accounts/{bo.id}/{path}"
        stranger = await client.get(url, headers=cy.headers)
        assert stranger.status_code == 200
        assert stranger.json() == []
        assert "link" not in stranger.headers
        assert (await client.get(url)).json() == []
        assert len((await client.get(url, headers=bo.headers)).json()) == 1
        assert len((await client.get(url, headers=ana.headers)).json()) == 1


async def test_do_approve_all_requests(client: httpx.AsyncClient, ctx: AppContext) -> None:
    from shutter.graph import service

    owner = await sign_up(client, "owner")
    await _lock(client, owner)
    fans = [await sign_up(client, f"fan{i}") for i in range(3)]
    for fan in fans:
        await _follow(client, fan, owner)

    async with ctx.db.write() as session:
        approved = await service.do_approve_all_requests(session, target_id=int(owner.id))
    assert approved == 3
    assert await _counts(client, owner) == (3, 0)
    for fan in fans:
        assert await _counts(client, fan) == (0, 1)
    assert len(await _backfill_jobs(ctx)) == 3
    async with ctx.db.write() as session:
        assert await service.do_approve_all_requests(session, target_id=int(owner.id)) == 0
        pending = await accounts_service.count_follow_requests(session, target_id=int(owner.id))
        assert pending == 0
        visible = await service.followed_ids(session, account_id=int(fans[0].id))
        assert visible == [int(owner.id)]


async def test_may_see_posts_of(client: httpx.AsyncClient, ctx: AppContext) -> None:
    ana, bo, cy = (
        await sign_up(client, "ana"),
        await sign_up(client, "bo"),
        await sign_up(client, "cy"),
    )
    await _follow(client, ana, bo)
    await _lock(client, bo)
    async with ctx.db.read() as session:
        author = await session.get(Account, int(bo.id))
        assert author is not None
        assert await _sees_posts_of(session, int(ana.id), author)
        assert await _sees_posts_of(session, int(bo.id), author)
        assert not await _sees_posts_of(session, int(cy.id), author)
        assert not await _sees_posts_of(session, None, author)
        public = await session.get(Account, int(cy.id))
        assert public is not None
        assert await _sees_posts_of(session, None, public)
        count = await session.scalar(
            select(func.count()).select_from(Job).where(Job.kind == "feed.backfill")
        )
        assert count == 1


async def _sees_posts_of(session: AsyncSession, viewer_id: int | None, author: Account) -> bool:
    relations = await policies.load_relations(session, viewer_id=viewer_id, author_ids={author.id})
    return policies.may_see_posts_of(author, relations)

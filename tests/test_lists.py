"""Lists end to end through HTTP (Mastodon 4.3): lists and their members, the lists that
hold an account, list timelines with the replies policy, what unfollows, blocks and
account deletion do to lists, and hostile input that changes nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from shutter.infra.context import AppContext
from shutter.lists.models import List, ListAccount
from tests.support.api import User, follow, sign_up
from tests.support.credentials import PASSWORD, password_grant
from tests.support.schema import assert_entity
from tests.support.states import RunJobs, post


async def _ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


async def _make_list(client: httpx.AsyncClient, owner: User, **fields: Any) -> dict[str, Any]:
    made = await _ok(
        await client.post(
            "/api/v1/lists", headers=owner.headers, json={"title": "Friends"} | fields
        )
    )
    assert_entity("List", made)
    return made


async def _add(client: httpx.AsyncClient, owner: User, list_id: str, *members: User) -> None:
    body = {"account_ids": [m.id for m in members]}
    assert (
        await _ok(
            await client.post(f"/api/v1/lists/{list_id}/accounts", headers=owner.headers, json=body)
        )
        == {}
    )


async def _member_ids(client: httpx.AsyncClient, owner: User, list_id: str) -> list[str]:
    found = await _ok(
        await client.get(
            f"/api/v1/lists/{list_id}/accounts", headers=owner.headers, params={"limit": 0}
        )
    )
    return [account["id"] for account in found]


async def _timeline(
    client: httpx.AsyncClient, owner: User, list_id: str, **query: Any
) -> list[str]:
    statuses = await _ok(
        await client.get(f"/api/v1/timelines/list/{list_id}", headers=owner.headers, params=query)
    )
    for status in statuses:
        assert_entity("Status", status)
    return [status["id"] for status in statuses]


async def _comment(client: httpx.AsyncClient, user: User, parent_id: str, text: str) -> str:
    made = await _ok(
        await client.post(
            "/api/v1/statuses",
            headers=user.headers,
            json={"status": text, "in_reply_to_id": parent_id},
        )
    )
    return str(made["id"])


async def _rows(ctx: AppContext) -> tuple[int, int]:
    async with ctx.db.read() as session:
        lists = await session.scalar(select(func.count()).select_from(List))
        members = await session.scalar(select(func.count()).select_from(ListAccount))
    return int(lists or 0), int(members or 0)


async def test_create_show_rename_and_delete_a_list(client: httpx.AsyncClient) -> None:
    ana = await sign_up(client, "ana")
    made = await _make_list(client, ana)
    assert made["title"] == "Friends"
    assert (made["replies_policy"], made["exclusive"]) == ("list", False)
    other = await _make_list(client, ana, title="  Birds ", replies_policy="none", exclusive=True)
    assert (other["title"], other["replies_policy"], other["exclusive"]) == ("Birds", "none", True)

    everything = await _ok(await client.get("/api/v1/lists", headers=ana.headers))
    assert [item["id"] for item in everything] == [made["id"], other["id"]]
    for item in everything:
        assert_entity("List", item)
    shown = await _ok(await client.get(f"/api/v1/lists/{made['id']}", headers=ana.headers))
    assert shown == made

    # A PUT changes what it names and keeps the rest.
    renamed = await _ok(
        await client.put(
            f"/api/v1/lists/{made['id']}", headers=ana.headers, data={"title": "Family"}
        )
    )
    assert_entity("List", renamed)
    assert renamed == made | {"title": "Family"}
    changed = await _ok(
        await client.put(
            f"/api/v1/lists/{made['id']}",
            headers=ana.headers,
            json={"replies_policy": "followed", "exclusive": True},
        )
    )
    assert changed == renamed | {"replies_policy": "followed", "exclusive": True}

    assert await _ok(await client.delete(f"/api/v1/lists/{made['id']}", headers=ana.headers)) == {}
    gone = await client.get(f"/api/v1/lists/{made['id']}", headers=ana.headers)
    assert gone.status_code == 404
    left = await _ok(await client.get("/api/v1/lists", headers=ana.headers))
    assert [item["id"] for item in left] == [other["id"]]


async def test_members_are_followed_accounts_paged_with_links(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    ana = await sign_up(client, "ana")
    friends = [await sign_up(client, f"friend{i}") for i in range(3)]
    for friend in friends:
        await follow(client, ana, friend)
    made = await _make_list(client, ana)
    await _add(client, ana, made["id"], friends[0])
    await _add(client, ana, made["id"], friends[1], friends[2])

    first = await client.get(
        f"/api/v1/lists/{made['id']}/accounts", headers=ana.headers, params={"limit": 2}
    )
    page = await _ok(first)
    for account in page:
        assert_entity("Account", account)
    # By account id, highest first, as Mastodon pages them.
    assert [a["id"] for a in page] == [friends[2].id, friends[1].id]
    assert 'rel="next"' in first.headers["link"]
    next_url = first.headers["link"].split(";")[0].strip("<>")
    rest = await _ok(await client.get(next_url, headers=ana.headers))
    assert [a["id"] for a in rest] == [friends[0].id]

    everyone = await client.get(
        f"/api/v1/lists/{made['id']}/accounts", headers=ana.headers, params={"limit": 0}
    )
    assert len(await _ok(everyone)) == 3 and "link" not in everyone.headers

    # The lists holding an account, among the viewer's own.
    second = await _make_list(client, ana, title="Close")
    await _add(client, ana, second["id"], friends[0])
    holding = await _ok(
        await client.get(f"/api/v1/accounts/{friends[0].id}/lists", headers=ana.headers)
    )
    for item in holding:
        assert_entity("List", item)
    assert [item["id"] for item in holding] == [made["id"], second["id"]]
    assert (
        await _ok(
            await client.get(f"/api/v1/accounts/{friends[0].id}/lists", headers=friends[1].headers)
        )
        == []
    )

    removed = await client.request(
        "DELETE",
        f"/api/v1/lists/{made['id']}/accounts",
        headers=ana.headers,
        params={"account_ids[]": [friends[0].id, friends[1].id, "12345"]},
    )
    assert await _ok(removed) == {}
    assert await _member_ids(client, ana, made["id"]) == [friends[2].id]
    assert await _rows(ctx) == (2, 2)


async def test_hostile_requests_change_nothing(client: httpx.AsyncClient, ctx: AppContext) -> None:
    ana, bo, stranger = [await sign_up(client, name) for name in ("ana", "bo", "stranger")]
    await follow(client, ana, bo)
    await follow(client, bo, ana)
    made = await _make_list(client, ana)
    await _add(client, ana, made["id"], bo)
    before = await _rows(ctx)
    path = f"/api/v1/lists/{made['id']}"

    # Someone else's list is not found, whatever is asked of it.
    for method, url, body in (
        ("GET", path, None),
        ("PUT", path, {"title": "mine now"}),
        ("DELETE", path, None),
        ("GET", f"{path}/accounts", None),
        ("POST", f"{path}/accounts", {"account_ids": [ana.id]}),
        ("DELETE", f"{path}/accounts", {"account_ids": [bo.id]}),
        ("GET", f"/api/v1/timelines/list/{made['id']}", None),
    ):
        answer = await client.request(method, url, headers=bo.headers, json=body)
        assert answer.status_code == 404, (method, url, answer.text)
    # Unknown and malformed ids.
    for url in ("/api/v1/lists/99999999", "/api/v1/lists/abc", "/api/v1/timelines/list/99999"):
        assert (await client.get(url, headers=ana.headers)).status_code == 404
    # Bad values: a 422 naming them.
    for method, url, body in (
        ("POST", "/api/v1/lists", {"title": "x", "replies_policy": "everyone"}),
        ("POST", "/api/v1/lists", {"title": "   "}),
        ("POST", "/api/v1/lists", {}),
        ("POST", "/api/v1/lists", {"title": "x", "exclusive": "maybe"}),
        ("POST", "/api/v1/lists", {"title": "x" * 300}),
        ("PUT", path, {"replies_policy": "all"}),
        ("PUT", path, {"title": ""}),
        # Only followed accounts may be members; a member once at most.
        ("POST", f"{path}/accounts", {"account_ids": [stranger.id]}),
        ("POST", f"{path}/accounts", {"account_ids": [bo.id]}),
        ("POST", f"{path}/accounts", {"account_ids": ["not-an-id"]}),
        ("GET", f"{path}/accounts?max_id=abc", None),
    ):
        answer = await client.request(method, url, headers=ana.headers, json=body)
        assert answer.status_code == 422, (method, url, body, answer.text)
        assert "error" in answer.json()
    # An unknown account among followed ones: 404, and none of them added.
    answer = await client.post(
        f"{path}/accounts", headers=ana.headers, json={"account_ids": [bo.id, "424242"]}
    )
    assert answer.status_code == 404
    assert await _rows(ctx) == before
    unchanged = await _ok(await client.get(path, headers=ana.headers))
    assert unchanged == made
    assert (
        await client.get("/api/v1/accounts/424242/lists", headers=ana.headers)
    ).status_code == 404


async def test_scopes_are_read_and_write_lists(client: httpx.AsyncClient) -> None:
    ana = await sign_up(client, "ana")
    reader = (await password_grant(client, "ana", scope="read:lists")).json()["access_token"]
    headers = {"Authorization": f"Bearer {reader}"}
    assert (await client.get("/api/v1/lists", headers=headers)).status_code == 200
    refused = await client.post("/api/v1/lists", headers=headers, json={"title": "x"})
    assert refused.status_code == 403
    assert (await client.get("/api/v1/lists", headers=ana.headers)).json() == []


async def test_list_timeline_shows_members_posts_by_the_replies_policy(
    client: httpx.AsyncClient, run_jobs: RunJobs
) -> None:
    ana, bo, cy, dee, eve = [await sign_up(client, n) for n in ("ana", "bo", "cy", "dee", "eve")]
    for friend in (bo, cy, dee):
        await follow(client, ana, friend)
    await follow(client, bo, cy)  # to see (and answer) cy's post to her followers
    bo_post = await post(client, bo, "a heron")
    cy_post = await post(client, cy, "a boat", visibility="private")
    dee_post = await post(client, dee, "not in the list")
    eve_post = await post(client, eve, "a stranger's")
    await run_jobs()
    # Replies by bo: to himself, to ana (the owner), to cy (a member), to dee (followed,
    # not a member), to eve (neither).
    to_self = await _comment(client, bo, bo_post, "more herons")
    to_owner = await _comment(client, bo, await post(client, ana, "mine"), "nice, ana")
    to_member = await _comment(client, bo, cy_post, "nice, cy")
    to_followed = await _comment(client, bo, dee_post, "nice, dee")
    to_stranger = await _comment(client, bo, eve_post, "nice, eve")

    made = await _make_list(client, ana)
    await _add(client, ana, made["id"], bo, cy)
    always = [to_owner, to_self, bo_post]
    expected = {
        "list": [to_member, *always, cy_post],
        "followed": [to_followed, to_member, *always, cy_post],
        "none": [to_owner, to_self, bo_post, cy_post],
    }
    for policy, ids in expected.items():
        await _ok(
            await client.put(
                f"/api/v1/lists/{made['id']}", headers=ana.headers, json={"replies_policy": policy}
            )
        )
        shown = await _timeline(client, ana, made["id"])
        assert to_stranger not in shown and dee_post not in shown
        assert sorted(shown, key=int, reverse=True) == shown
        assert set(shown) == set(ids), policy

    # Pagination: Link headers walk the whole timeline, two at a time.
    seen: list[str] = []
    url = f"/api/v1/timelines/list/{made['id']}?limit=2"
    while url:
        answer = await client.get(url, headers=ana.headers)
        page = [s["id"] for s in await _ok(answer)]
        if not page:
            break
        seen += page
        url = answer.headers["link"].split(";")[0].strip("<>")
    assert seen == await _timeline(client, ana, made["id"])
    newer = await _timeline(client, ana, made["id"], min_id=seen[-2])
    assert newer == seen[:-2][-40:]

    # A member muted by the owner leaves the timeline; an empty list has none.
    await _ok(await client.post(f"/api/v1/accounts/{cy.id}/mute", headers=ana.headers))
    assert cy_post not in await _timeline(client, ana, made["id"])
    empty = await _make_list(client, ana, title="Empty")
    assert await _timeline(client, ana, empty["id"]) == []


async def test_unfollow_and_block_take_accounts_out_of_lists(client: httpx.AsyncClient) -> None:
    ana, bo, cy = [await sign_up(client, name) for name in ("ana", "bo", "cy")]
    await follow(client, ana, bo)
    await follow(client, ana, cy)
    first, second = await _make_list(client, ana), await _make_list(client, ana, title="Two")
    for made in (first, second):
        await _add(client, ana, made["id"], bo, cy)
    await _ok(await client.post(f"/api/v1/accounts/{bo.id}/unfollow", headers=ana.headers))
    # Blocked by the member: the follow ends, and so does the membership.
    await _ok(await client.post(f"/api/v1/accounts/{ana.id}/block", headers=cy.headers))
    for made in (first, second):
        assert await _member_ids(client, ana, made["id"]) == []
    # Following again does not bring them back.
    await follow(client, ana, bo)
    assert await _member_ids(client, ana, first["id"]) == []


async def test_account_deletion_removes_its_lists_and_memberships(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: RunJobs
) -> None:
    ana, bo, cy = [await sign_up(client, name) for name in ("ana", "bo", "cy")]
    await follow(client, ana, bo)
    await follow(client, cy, ana)
    await _add(client, ana, (await _make_list(client, ana))["id"], bo)
    cys = await _make_list(client, cy)
    await _add(client, cy, cys["id"], ana)
    assert await _rows(ctx) == (2, 2)
    answer = await client.post(
        "/api/v1/shutter/account/delete", headers=ana.headers, data={"password": PASSWORD}
    )
    assert answer.status_code == 202, answer.text
    await run_jobs()
    assert await _rows(ctx) == (1, 0)
    assert await _member_ids(client, cy, cys["id"]) == []


@pytest.mark.parametrize("count", [51])
async def test_an_account_has_at_most_fifty_lists(
    client: httpx.AsyncClient, ctx: AppContext, count: int
) -> None:
    ana = await sign_up(client, "ana")
    answers = [
        (
            await client.post("/api/v1/lists", headers=ana.headers, json={"title": f"l{i}"})
        ).status_code
        for i in range(count)
    ]
    assert answers == [200] * 50 + [422]
    assert await _rows(ctx) == (50, 0)


async def test_home_filters_apply_to_list_timelines(client: httpx.AsyncClient) -> None:
    ana, bo = await sign_up(client, "ana"), await sign_up(client, "bo")
    await follow(client, ana, bo)
    heron, boat = await post(client, bo, "a heron"), await post(client, bo, "a boat")
    made = await _make_list(client, ana)
    await _add(client, ana, made["id"], bo)
    assert await _timeline(client, ana, made["id"]) == [boat, heron]
    for context, shown in ((["public"], [boat, heron]), (["home"], [boat])):
        created = await client.post(
            "/api/v2/filters",
            headers=ana.headers,
            json={
                "title": f"birds {context[0]}",
                "context": context,
                "filter_action": "hide",
                "keywords_attributes": [{"keyword": "heron"}],
            },
        )
        assert created.status_code == 200, created.text
        assert await _timeline(client, ana, made["id"]) == shown

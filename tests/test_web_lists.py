"""Lists on the website over HTTP, on SQLite and PostgreSQL: making, reading (the list's
feed as Home shows posts), renaming and deleting a list, its members (only people one
follows, found by the search's `following` filter), and every refusal — a blank title,
an unknown or someone else's list, someone not followed, a missing CSRF token — is a
4xx that writes nothing. User text shows literally.

The browser test (tests/web/test_web_lists.py) drives the same pages in Chromium.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from shutter.infra.context import AppContext
from shutter.lists.models import List, ListAccount
from tests.support.api import User, follow, post_photo, sign_up
from tests.test_web_profiles import HOSTILE, as_web

JSON = {"Accept": "application/json"}


async def _lists(client: httpx.AsyncClient, user: User) -> list[dict[str, Any]]:
    answer = await client.get("/api/v1/lists", headers=user.headers)
    assert answer.status_code == 200, answer.text
    body: list[dict[str, Any]] = answer.json()
    return body


async def _members(client: httpx.AsyncClient, user: User, list_id: str) -> list[str]:
    answer = await client.get(f"/api/v1/lists/{list_id}/accounts", headers=user.headers)
    assert answer.status_code == 200, answer.text
    return [a["username"] for a in answer.json()]


async def _rows(ctx: AppContext) -> tuple[int, int]:
    async with ctx.db.read() as session:
        lists = await session.scalar(select(func.count()).select_from(List))
        members = await session.scalar(select(func.count()).select_from(ListAccount))
    return lists or 0, members or 0


async def _make(client: httpx.AsyncClient, user: User, title: str = "Friends") -> str:
    made = await client.post("/api/v1/lists", headers=user.headers, json={"title": title})
    assert made.status_code == 200, made.text
    return str(made.json()["id"])


async def test_make_read_rename_and_delete_a_list(client: httpx.AsyncClient) -> None:
    ana, bo = await sign_up(client, "ana"), await sign_up(client, "bo")
    await follow(client, ana, bo)
    post = await post_photo(client, bo, "Lake at dusk")
    csrf = await as_web(client, ana, "/lists")
    page = await client.get("/lists")
    assert page.status_code == 200
    assert "No lists yet" in page.text
    assert '<label for="new-list-title">Title</label>' in page.text
    assert "Hide these posts from Home" in page.text

    made = await client.post(
        "/web/lists",
        data={"csrf": csrf, "title": HOSTILE, "replies_policy": "followed", "exclusive": "true"},
    )
    assert made.status_code == 303, made.text
    [item] = await _lists(client, ana)
    assert item == {
        "id": item["id"],
        "title": HOSTILE,
        "replies_policy": "followed",
        "exclusive": True,
    }
    assert made.headers["location"] == f"/lists/{item['id']}/members"
    page = await client.get("/lists")
    assert "&lt;b&gt;bold&lt;/b&gt;&lt;img src=x onerror=alert(1)&gt;" in page.text
    assert HOSTILE not in page.text
    assert f'href="/lists/{item["id"]}"' in page.text and "Not in Home" in page.text

    # An empty list says how to fill it; with bo in it, his post shows as on Home.
    page = await client.get(f"/lists/{item['id']}")
    assert page.status_code == 200
    assert "This list is empty" in page.text
    added = await client.post(f"/web/lists/{item['id']}/members/{bo.id}/add", data={"csrf": csrf})
    assert added.status_code == 303
    assert await _members(client, ana, item["id"]) == ["bo"]
    page = await client.get(f"/lists/{item['id']}")
    assert f'id="post-{post["id"]}"' in page.text
    assert f'value="/lists/{item["id"]}"' in page.text  # the post's forms come back here
    assert "data-feed" in page.text
    # The next page, as feed.js asks for it: the articles alone.
    fragment = await client.get(
        f"/lists/{item['id']}?limit=1", headers={"X-Shutter-Fragment": "feed"}
    )
    assert fragment.status_code == 200
    assert "<html" not in fragment.text and f'id="post-{post["id"]}"' in fragment.text

    # Rename, replies policy and exclusivity.
    edit = await client.get(f"/lists/{item['id']}/edit")
    assert edit.status_code == 200
    assert 'name="exclusive" value="true"' in edit.text and " checked" in edit.text
    saved = await client.post(
        f"/web/lists/{item['id']}",
        data={"csrf": csrf, "title": "Close friends", "replies_policy": "none"},
    )
    assert saved.status_code == 303 and saved.headers["location"] == f"/lists/{item['id']}"
    [item] = await _lists(client, ana)
    assert (item["title"], item["replies_policy"], item["exclusive"]) == (
        "Close friends",
        "none",
        False,
    )

    # Deleting asks first (without scripts, on a page of its own), then deletes.
    asked = await client.post(f"/web/lists/{item['id']}/delete", data={"csrf": csrf})
    assert asked.status_code == 200
    assert "Yes, delete list" in asked.text and "Close friends" in asked.text
    assert len(await _lists(client, ana)) == 1
    deleted = await client.post(
        f"/web/lists/{item['id']}/delete", data={"csrf": csrf, "confirmed": "true"}
    )
    assert deleted.status_code == 303 and deleted.headers["location"] == "/lists?done=deleted"
    assert await _lists(client, ana) == []
    assert "The list is deleted." in (await client.get("/lists?done=deleted")).text


async def test_members_are_found_among_followed_people_added_and_removed(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    ana, bo, cy, dee = [await sign_up(client, n) for n in ("ana", "bo", "cy", "dee")]
    await follow(client, ana, bo)
    await follow(client, ana, cy)
    list_id = await _make(client, ana)
    csrf = await as_web(client, ana, f"/lists/{list_id}/members")
    page = await client.get(f"/lists/{list_id}/members")
    assert page.status_code == 200
    # Without a query: the people followed lately, each with Add.
    assert 'Add<span class="visually-hidden"> bo to the list' in page.text
    assert 'Add<span class="visually-hidden"> cy to the list' in page.text
    assert "dee" not in page.text
    assert "In this list (0)" in page.text

    found = await client.get(f"/lists/{list_id}/members?q=bo")
    assert 'Add<span class="visually-hidden"> bo to the list' in found.text
    assert "> cy to the list" not in found.text
    nobody = await client.get(f"/lists/{list_id}/members?q=dee")
    assert "No one you follow matches “dee”" in nobody.text

    here = f"/lists/{list_id}/members?q=bo"
    added = await client.post(
        f"/web/lists/{list_id}/members/{bo.id}/add", data={"csrf": csrf, "next": here}
    )
    assert added.status_code == 303 and added.headers["location"] == here
    page = await client.get(here)
    assert "In this list (1)" in page.text
    assert page.text.count('Remove<span class="visually-hidden"> bo from the list') == 2
    # A second tap: still one membership.
    again = await client.post(f"/web/lists/{list_id}/members/{bo.id}/add", data={"csrf": csrf})
    assert again.status_code == 303
    assert await _members(client, ana, list_id) == ["bo"]
    # A script's fetch gets where to go.
    fetched = await client.post(
        f"/web/lists/{list_id}/members/{cy.id}/add",
        data={"csrf": csrf},
        headers=JSON,
    )
    assert fetched.status_code == 200
    assert fetched.json() == {"location": f"/lists/{list_id}/members"}
    assert sorted(await _members(client, ana, list_id)) == ["bo", "cy"]

    # Someone not followed: refused, saying so, nothing written.
    before = await _rows(ctx)
    refused = await client.post(f"/web/lists/{list_id}/members/{dee.id}/add", data={"csrf": csrf})
    assert refused.status_code == 422
    assert "Account is not followed" in refused.text
    assert await _rows(ctx) == before

    removed = await client.post(f"/web/lists/{list_id}/members/{bo.id}/remove", data={"csrf": csrf})
    assert removed.status_code == 303
    assert await _members(client, ana, list_id) == ["cy"]


@pytest.mark.parametrize(
    ("fields", "status", "says"),
    [
        ({"title": ""}, 422, "Title can&#39;t be blank"),
        ({"title": "   "}, 422, "Title can&#39;t be blank"),
        ({"title": "x" * 256}, 422, "Title is too long"),
        ({"title": "Friends", "replies_policy": "everyone"}, 422, None),
        ({"title": "Friends", "exclusive": "yes"}, 422, None),
        ({"title": "x\x00y"}, 422, None),
    ],
)
async def test_a_bad_new_list_is_refused_and_writes_nothing(
    client: httpx.AsyncClient,
    ctx: AppContext,
    fields: dict[str, str],
    status: int,
    says: str | None,
) -> None:
    ana = await sign_up(client, "ana")
    csrf = await as_web(client, ana, "/lists")
    refused = await client.post("/web/lists", data={"csrf": csrf, **fields})
    assert refused.status_code == status, refused.text
    if says is not None:  # the form again, with the message and what was typed
        assert says in refused.text
        assert 'role="alert"' in refused.text and 'action="/web/lists"' in refused.text
    assert await _rows(ctx) == (0, 0)


async def test_csrf_unknown_and_others_lists_are_refused_and_write_nothing(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    ana, bo = await sign_up(client, "ana"), await sign_up(client, "bo")
    await follow(client, bo, ana)
    theirs = await _make(client, bo, "Bo's")
    answer = await client.post(
        f"/api/v1/lists/{theirs}/accounts", headers=bo.headers, json={"account_ids": [ana.id]}
    )
    assert answer.status_code == 200, answer.text
    await follow(client, ana, bo)
    mine = await _make(client, ana, "Mine")
    csrf = await as_web(client, ana, "/lists")
    before = await _rows(ctx)

    # No CSRF token: refused before anything.
    for path, data in (
        ("/web/lists", {"title": "New"}),
        (f"/web/lists/{mine}", {"title": "Renamed"}),
        (f"/web/lists/{mine}/delete", {"confirmed": "true"}),
        (f"/web/lists/{mine}/members/{bo.id}/add", {}),
    ):
        refused = await client.post(path, data=data)
        assert refused.status_code == 403, (path, refused.text)
    # Someone else's list and an unknown one: not found, pages and actions alike.
    for list_id in (theirs, "999999999"):
        for page in ("", "/edit", "/members"):
            shown = await client.get(f"/lists/{list_id}{page}")
            assert shown.status_code == 404, (list_id, page)
            assert "List not found" in shown.text
        for path, data in (
            (f"/web/lists/{list_id}", {"title": "Mine now"}),
            (f"/web/lists/{list_id}/delete", {"confirmed": "true"}),
            (f"/web/lists/{list_id}/delete", {}),
            (f"/web/lists/{list_id}/members/{bo.id}/add", {}),
            (f"/web/lists/{list_id}/members/{ana.id}/remove", {}),
        ):
            refused = await client.post(path, data={"csrf": csrf, **data})
            assert refused.status_code == 404, (path, refused.text)
    # A blank new title: the edit form again, the list as it was.
    refused = await client.post(f"/web/lists/{mine}", data={"csrf": csrf, "title": ""})
    assert refused.status_code == 422
    assert "Title can&#39;t be blank" in refused.text
    assert await _rows(ctx) == before
    assert [item["title"] for item in await _lists(client, bo)] == ["Bo's"]
    assert await _members(client, bo, theirs) == ["ana"]
    assert [item["title"] for item in await _lists(client, ana)] == ["Mine"]


async def test_lists_are_reachable_and_need_a_session(client: httpx.AsyncClient) -> None:
    ana = await sign_up(client, "ana")
    client.cookies.clear()
    answer = await client.get("/lists")
    assert answer.status_code == 303 and answer.headers["location"] == "/login?next=/lists"
    await as_web(client, ana)
    home = await client.get("/home")
    assert '<li class="nav-wide"><a href="/lists" class="nav-link">' in home.text
    assert '<a href="/lists">Lists</a>' in (await client.get("/settings")).text
    assert '<span class="visually-hidden">Lists</span></a>' in (await client.get("/@ana")).text
    page = await client.get("/lists")
    assert '<a href="/lists" class="nav-link" aria-current="page">' in page.text

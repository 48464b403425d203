"""Lists in the archive: the export's `lists.csv` (Mastodon's: a list title and an account
address a row) and imports of type `lists`, which make missing lists by title and add
the accounts the importer follows, reporting the others; `overwrite` keeps only the
lists and members the file names."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.api import User, follow, register_app, sign_up
from tests.support.archive import Jobs, csv_upload, exported
from tests.support.credentials import password_grant


async def _import(
    client: httpx.AsyncClient, run_jobs: Jobs, user: User, data: bytes, mode: str = "merge"
) -> dict[str, Any]:
    response = await csv_upload(client, user, "lists", data, mode=mode)
    assert response.status_code == 202, response.text
    assert response.json()["type"] == "lists" and response.json()["mode"] == mode
    await run_jobs()
    done = await client.get(
        f"/api/v1/shutter/imports/{response.json()['id']}", headers=user.headers
    )
    assert done.status_code == 200, done.text
    body: dict[str, Any] = done.json()
    assert body["state"] == "done", body
    return body


async def _list(client: httpx.AsyncClient, owner: User, title: str, *members: User) -> str:
    made = await client.post("/api/v1/lists", headers=owner.headers, json={"title": title})
    assert made.status_code == 200, made.text
    list_id = str(made.json()["id"])
    if members:
        added = await client.post(
            f"/api/v1/lists/{list_id}/accounts",
            headers=owner.headers,
            json={"account_ids": [m.id for m in members]},
        )
        assert added.status_code == 200, added.text
    return list_id


async def _lists(client: httpx.AsyncClient, owner: User) -> dict[str, list[str]]:
    """The owner's lists by title, with their members' usernames (sorted)."""
    found = await client.get("/api/v1/lists", headers=owner.headers)
    assert found.status_code == 200, found.text
    titles = [item["title"] for item in found.json()]
    assert len(titles) == len(set(titles)), titles  # an import never duplicates a list
    members = {}
    for item in found.json():
        page = await client.get(
            f"/api/v1/lists/{item['id']}/accounts?limit=0", headers=owner.headers
        )
        assert page.status_code == 200, page.text
        members[item["title"]] = sorted(account["username"] for account in page.json())
    return members


async def test_an_exports_lists_reimport_on_another_account(
    client: httpx.AsyncClient, run_jobs: Jobs
) -> None:
    ana, bob, cy, dan, zed = [await sign_up(client, n) for n in ("ana", "bob", "cy", "dan", "zed")]
    for followed in (bob, cy, dan):
        await follow(client, ana, followed)
    await _list(client, ana, "Friends, close", bob, cy)  # a comma: the CSV quotes it
    await _list(client, ana, "Work", cy)
    await _list(client, ana, "Empty")
    _export, archive = await exported(client, run_jobs, ana)
    exported_csv = archive.read("lists.csv")
    assert exported_csv.decode().splitlines() == [
        '"Friends, close",bob@testserver',
        '"Friends, close",cy@testserver',
        "Work,cy@testserver",
    ]

    for followed in (bob, cy):  # not dan
        await follow(client, zed, followed)
    await _list(client, zed, "Work")  # found by its title, not made twice
    extra = (
        b"Work,dan@testserver\n"  # not followed by zed
        b"Later,@dan\n"  # the list is made all the same, empty
        b"Gone,nobody@testserver\n"
        b"Work,bob@elsewhere.example\n"
        b"Work,zed@testserver\n"
        b"Work,CY@TestServer\n"  # the same row again: counted once
        b" ,bob@testserver\n"
        b"Nameless\n"
    )
    done = await _import(client, run_jobs, zed, exported_csv + extra)
    assert (done["total"], done["imported"]) == (10, 3)
    assert [(f["list"], f["account"], f["reason"]) for f in done["failed"]] == [
        ("Work", "dan@testserver", "not followed"),
        ("Later", "dan", "not followed"),
        ("Gone", "nobody@testserver", "unknown account"),
        ("Work", "bob@elsewhere.example", "other domain"),
        ("Work", "zed@testserver", "self"),
        ("", "bob@testserver", "Validation failed: Title can't be blank"),
        ("Nameless", "", "invalid address"),
    ]
    assert await _lists(client, zed) == {
        "Work": ["cy"],
        "Friends, close": ["bob", "cy"],
        "Later": [],
    }
    # Applied again, it changes nothing and fails no row that went in.
    again = await _import(client, run_jobs, zed, exported_csv)
    assert (again["imported"], again["failed"]) == (3, [])
    assert await _lists(client, zed) == {
        "Work": ["cy"],
        "Friends, close": ["bob", "cy"],
        "Later": [],
    }
    # zed's own export carries them.
    _export, mine = await exported(client, run_jobs, zed)
    assert sorted(mine.read("lists.csv").decode().splitlines()) == [
        '"Friends, close",bob@testserver',
        '"Friends, close",cy@testserver',
        "Work,cy@testserver",
    ]


async def test_overwrite_keeps_only_the_lists_and_members_named(
    client: httpx.AsyncClient, run_jobs: Jobs
) -> None:
    bob, cy, zed = [await sign_up(client, n) for n in ("bob", "cy", "zed")]
    for followed in (bob, cy):
        await follow(client, zed, followed)
    await _list(client, zed, "Keep", bob, cy)
    await _list(client, zed, "Drop", bob)
    done = await _import(
        client, run_jobs, zed, b"Keep,bob@testserver\nNew,cy@testserver\n", mode="overwrite"
    )
    assert (done["imported"], done["failed"]) == (2, [])
    assert await _lists(client, zed) == {"Keep": ["bob"], "New": ["cy"]}


async def test_bad_lists_imports_are_refused(client: httpx.AsyncClient, run_jobs: Jobs) -> None:
    zed = await sign_up(client, "zed")
    for data in (b"Friends\nWork\n", b"Friends,\n", b"\x00\x01"):
        refused = await csv_upload(client, zed, "lists", data)
        assert refused.status_code == 422, refused.text
        assert "data" in refused.json()["details"]
    assert (await client.get("/api/v1/shutter/imports", headers=zed.headers)).json() == []
    assert await run_jobs() == 0
    assert (await client.get("/api/v1/lists", headers=zed.headers)).json() == []
    # Lists need write:lists; that scope alone lets the import in.
    good = {"data": ("lists.csv", b"Friends,ana@testserver\n", "text/csv")}
    for scope, status in (("read write:follows", 403), ("read write:lists", 202)):
        app = await register_app(client, scopes=scope)
        granted = await password_grant(client, "zed", app=app, scope=scope)
        assert granted.status_code == 200, granted.text
        headers = {"Authorization": f"Bearer {granted.json()['access_token']}"}
        answer = await client.post(
            "/api/v1/shutter/imports", headers=headers, data={"type": "lists"}, files=good
        )
        assert answer.status_code == status, (scope, answer.text)

"""Imports of Mastodon's follow, block and mute lists, applied by a job through the graph.

The lists an export wrote re-import on another account; rows that cannot be applied are
reported with their reason; `overwrite` undoes what the list does not name; a locked
account gets a follow request and its notification, as through the API; a file that is
no list is refused with a 422 and writes nothing.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from shutter.archive.service import imports
from tests.support.api import User, follow, register_app, sign_up
from tests.support.archive import Jobs, csv_upload, exported
from tests.support.clients import small_png
from tests.support.credentials import password_grant


async def _relationships(
    client: httpx.AsyncClient, user: User, *others: User
) -> dict[str, dict[str, Any]]:
    query = "&".join(f"id[]={other.id}" for other in others)
    response = await client.get(f"/api/v1/accounts/relationships?{query}", headers=user.headers)
    assert response.status_code == 200, response.text
    return {item["id"]: item for item in response.json()}


async def _import(
    client: httpx.AsyncClient, run_jobs: Jobs, user: User, kind: str, data: bytes, **kw: str
) -> dict[str, Any]:
    """Upload a list, run the jobs, and return the finished import."""
    response = await csv_upload(client, user, kind, data, **kw)
    assert response.status_code == 202, response.text
    queued = response.json()
    assert queued["state"] == "queued" and queued["type"] == kind
    await run_jobs()
    done = await client.get(f"/api/v1/shutter/imports/{queued['id']}", headers=user.headers)
    assert done.status_code == 200, done.text
    body: dict[str, Any] = done.json()
    assert body["state"] == "done", body
    return body


async def test_lists_of_an_export_reimport_on_another_account(
    client: httpx.AsyncClient, run_jobs: Jobs
) -> None:
    ana, bob, cy, dan, eve, zed = [
        await sign_up(client, name) for name in ("ana", "bob", "cy", "dan", "eve", "zed")
    ]
    await follow(client, ana, bob)
    await follow(client, ana, cy)
    assert (await client.post(f"/api/v1/accounts/{dan.id}/block", headers=ana.headers)).is_success
    muted = await client.post(
        f"/api/v1/accounts/{eve.id}/mute", headers=ana.headers, data={"notifications": "false"}
    )
    assert muted.is_success
    _export, archive = await exported(client, run_jobs, ana)

    following = await _import(
        client, run_jobs, zed, "following", archive.read("following_accounts.csv")
    )
    assert (following["total"], following["imported"], following["failed"]) == (2, 2, [])
    blocking = await _import(
        client, run_jobs, zed, "blocking", archive.read("blocked_accounts.csv")
    )
    assert (blocking["total"], blocking["imported"]) == (1, 1)
    muting = await _import(client, run_jobs, zed, "muting", archive.read("muted_accounts.csv"))
    assert (muting["total"], muting["imported"]) == (1, 1)

    found = await _relationships(client, zed, bob, cy, dan, eve)
    assert found[bob.id]["following"] and found[cy.id]["following"]
    assert found[dan.id]["blocking"] and not found[dan.id]["following"]
    assert found[eve.id]["muting"] and not found[eve.id]["muting_notifications"]
    # Counters and notifications moved as through the API.
    bob_seen = await client.get("/api/v1/notifications", headers=bob.headers)
    assert [(n["type"], n["account"]["id"]) for n in bob_seen.json()][:2] == [
        ("follow", zed.id),
        ("follow", ana.id),
    ]
    me = await client.get("/api/v1/accounts/verify_credentials", headers=zed.headers)
    assert me.json()["following_count"] == 2
    listed = await client.get("/api/v1/shutter/imports", headers=zed.headers)
    assert [item["id"] for item in listed.json()] == [muting["id"], blocking["id"], following["id"]]


async def test_a_locked_account_gets_a_request_and_bad_rows_are_reported(
    client: httpx.AsyncClient, run_jobs: Jobs
) -> None:
    ana, lee, zed = [await sign_up(client, name) for name in ("ana", "lee", "zed")]
    locked = await client.patch(
        "/api/v1/accounts/update_credentials", headers=lee.headers, data={"locked": "true"}
    )
    assert locked.status_code == 200, locked.text
    bare = (
        b"@lee@testserver\n"
        b"ana\n"  # a bare username is this instance's
        b"ana@TestServer\n"  # the same account again: counted once
        b"nobody@testserver\n"
        b"bob@elsewhere.example\n"
        b"zed@testserver\n"
        b"not an address!!\n"
    )
    done = await _import(client, run_jobs, zed, "following", bare)
    assert (done["total"], done["imported"]) == (6, 2)
    assert [(f["account"], f["reason"]) for f in done["failed"]] == [
        ("nobody@testserver", "unknown account"),
        ("bob@elsewhere.example", "other domain"),
        ("zed@testserver", "self"),
        ("not an address!!", "invalid address"),
    ]
    found = await _relationships(client, zed, lee, ana)
    assert found[lee.id]["requested"] and not found[lee.id]["following"]
    assert found[ana.id]["following"]
    requests = await client.get("/api/v1/notifications", headers=lee.headers)
    assert [n["type"] for n in requests.json()] == ["follow_request"]


async def test_a_refused_follow_is_a_failed_row(client: httpx.AsyncClient, run_jobs: Jobs) -> None:
    ana, zed = await sign_up(client, "ana"), await sign_up(client, "zed")
    assert (await client.post(f"/api/v1/accounts/{zed.id}/block", headers=ana.headers)).is_success
    done = await _import(client, run_jobs, zed, "following", b"Account address\nana@testserver\n")
    assert done["imported"] == 0
    assert done["failed"] == [
        {"row": 1, "account": "ana@testserver", "reason": "You cannot follow this account"}
    ]


async def test_overwrite_removes_what_the_list_does_not_name(
    client: httpx.AsyncClient, run_jobs: Jobs
) -> None:
    ana, bob, cy, zed = [await sign_up(client, name) for name in ("ana", "bob", "cy", "zed")]
    await follow(client, zed, ana)
    await follow(client, zed, bob)
    for target in (ana, cy):
        url = f"/api/v1/accounts/{target.id}/mute"
        assert (await client.post(url, headers=zed.headers)).is_success
    done = await _import(
        client, run_jobs, zed, "following", b"bob@testserver\ncy@testserver\n", mode="overwrite"
    )
    assert done["mode"] == "overwrite" and done["imported"] == 2
    found = await _relationships(client, zed, ana, bob, cy)
    assert not found[ana.id]["following"]
    assert found[bob.id]["following"] and found[cy.id]["following"]
    # Merge keeps what is there.
    await _import(
        client,
        run_jobs,
        zed,
        "muting",
        b"Account address,Hide notifications\nbob@testserver,true\n",
    )
    found = await _relationships(client, zed, ana, bob, cy)
    assert all(found[u.id]["muting"] for u in (ana, bob, cy))
    await _import(client, run_jobs, zed, "muting", b"bob@testserver\n", mode="overwrite")
    found = await _relationships(client, zed, ana, bob, cy)
    assert [found[u.id]["muting"] for u in (ana, bob, cy)] == [False, True, False]
    me = await client.get("/api/v1/accounts/verify_credentials", headers=zed.headers)
    assert me.json()["following_count"] == 2


async def test_a_long_list_is_applied_over_several_runs(
    client: httpx.AsyncClient, run_jobs: Jobs, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each run applies its share and enqueues the next; progress is counted once."""
    monkeypatch.setattr(imports, "ROWS_PER_RUN", 3)
    monkeypatch.setattr(imports, "BATCH", 2)
    names = [f"user{n}" for n in range(7)]
    users = [await sign_up(client, name) for name in names]
    zed = await sign_up(client, "zed")
    others = [await sign_up(client, f"other{n}") for n in range(5)]
    for other in others:
        assert (
            await client.post(f"/api/v1/accounts/{other.id}/block", headers=zed.headers)
        ).is_success
    data = "".join(f"{name}@testserver\n" for name in names).encode() + b"ghost@testserver\n"
    done = await _import(client, run_jobs, zed, "blocking", data, mode="overwrite")
    assert (done["total"], done["processed"], done["imported"]) == (8, 8, 7)
    assert done["failed"] == [
        {"row": 8, "account": "ghost@testserver", "reason": "unknown account"}
    ]
    found = await _relationships(client, zed, *users, *others)
    assert [found[u.id]["blocking"] for u in users + others] == [True] * 7 + [False] * 5


BAD_FILES = {
    "png": (small_png(), "not a CSV text file"),
    "nul": (b"ana@testserver\x00\nbob@testserver\n", "NUL"),
    "control": (b"ana@testserver\x01\x02\n", "control characters"),
    "latin-1": ("józef@testserver\n".encode("latin-1"), "not UTF-8"),
    "too big": (b"ana@testserver\n" * 80_000, "larger than 1024 KB"),
    "too many rows": (
        "".join(f"user{n}@testserver\n" for n in range(10_001)).encode(),
        "more than 10,000 rows",
    ),
    "no addresses": (b"hello world!\nthis is not a list\n", "no account addresses"),
    "empty": (b"", "no account addresses"),
    "bad csv": (b'"ana@testserver\n', "not valid CSV"),
}


@pytest.mark.parametrize("name", list(BAD_FILES))
async def test_a_bad_file_is_refused_and_nothing_is_written(
    client: httpx.AsyncClient, run_jobs: Jobs, name: str
) -> None:
    zed = await sign_up(client, "zed")
    data, reason = BAD_FILES[name]
    response = await csv_upload(client, zed, "following", data)
    assert response.status_code == 422, response.text
    assert reason in response.json()["error"]
    assert "data" in response.json()["details"]
    assert (await client.get("/api/v1/shutter/imports", headers=zed.headers)).json() == []
    assert await run_jobs() == 0


async def test_bad_requests_are_refused(client: httpx.AsyncClient, run_jobs: Jobs) -> None:
    zed = await sign_up(client, "zed")
    good = b"ana@testserver\n"
    cases = [
        ({"type": "bookmarks", "mode": "merge"}, {"data": ("l.csv", good, "text/csv")}, 422),
        ({"type": "following", "mode": "replace"}, {"data": ("l.csv", good, "text/csv")}, 422),
        ({"type": "following", "data": "ana@testserver"}, {}, 422),  # not a file
        ({"type": "following"}, {}, 422),
    ]
    for data, files, status in cases:
        response = await client.post(
            "/api/v1/shutter/imports", headers=zed.headers, data=data, files=files or None
        )
        assert response.status_code == status, (data, response.text)
    # A token that may only change follows cannot import blocks.
    app = await register_app(client, scopes="read write:follows")
    granted = await password_grant(client, "zed", app=app, scope="read write:follows")
    assert granted.status_code == 200, granted.text
    narrow = {"Authorization": f"Bearer {granted.json()['access_token']}"}
    files = {"data": ("l.csv", good, "text/csv")}
    for kind, status in (("blocking", 403), ("muting", 403), ("lists", 403)):
        refused = await client.post(
            "/api/v1/shutter/imports", headers=narrow, data={"type": kind}, files=files
        )
        assert refused.status_code == status, refused.text
    unauthorised = await client.post(
        "/api/v1/shutter/imports", data={"type": "following"}, files={"data": ("l.csv", good)}
    )
    assert unauthorised.status_code == 401
    # One import at a time.
    first = await csv_upload(client, zed, "following", good)
    assert first.status_code == 202
    second = await csv_upload(client, zed, "blocking", good)
    assert second.status_code == 422 and "still running" in second.json()["error"]
    await run_jobs()
    assert (await csv_upload(client, zed, "blocking", good)).status_code == 202
    assert (await client.get("/api/v1/shutter/imports/1", headers=zed.headers)).status_code == 404

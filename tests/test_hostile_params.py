"""Hostile parameters: ids past 64 bits or malformed, NULs and lone surrogates in text,
full-text syntax in searches, limits out of range, and the upload quota.

None of them may be a 5xx, on SQLite or PostgreSQL: a path id that cannot name a row is
a 404, a body id a 422, a pagination cursor past the largest id is read as the largest
(docs/api.md, Conventions); text no database can hold is a 422 naming the field.
"""

from __future__ import annotations

import base64
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import exc as sa_exc

from shutter.infra.context import AppContext
from shutter.infra.errors import install_error_handlers
from shutter.infra.health import install_unavailable_handlers
from tests.support.api import (
    DEFAULT_PHOTO,
    User,
    follow,
    post_photo,
    register_app,
    sign_up,
    upload_photo,
)

PAST_64_BITS = "99999999999999999999"  # 20 digits
JUST_PAST = str(2**63)  # 19 digits, one past the largest signed 64-bit integer
MALFORMED_IDS = ["²", "١٢", "-1", "+1", " 1", "1 ", "1.5", "1e3", "0x1f", "abc", "9" * 5000]
BAD_PATH_IDS = [PAST_64_BITS, JUST_PAST, "-1", "1.5", "%C2%B2", "%201", "9" * 5000]


@dataclass
class World:
    ana: User
    bob: User
    cy: User
    status_id: str
    group_key: str


@pytest.fixture
async def world(client: httpx.AsyncClient, run_jobs: Callable[[], Awaitable[int]]) -> World:
    """Ana posts a photo tagged #cats; Bob follows her, likes and saves the post."""
    ana, bob = await sign_up(client, "ana"), await sign_up(client, "bob")
    status = await post_photo(client, ana, "by the lake #cats")
    await follow(client, bob, ana)
    for action in ("favourite", "bookmark"):
        response = await client.post(
            f"/api/v1/statuses/{status['id']}/{action}", headers=bob.headers
        )
        assert response.status_code == 200, response.text
    # Something in every list: Cy is locked and Bob asks to follow her; Ana mutes Cy and
    # blocks Dee.
    cy, dee = await sign_up(client, "cy"), await sign_up(client, "dee")
    locked = await client.patch(
        "/api/v1/accounts/update_credentials", data={"locked": "true"}, headers=cy.headers
    )
    assert locked.status_code == 200, locked.text
    for who, url in (
        (bob, f"/api/v1/accounts/{cy.id}/follow"),
        (ana, f"/api/v1/accounts/{cy.id}/mute"),
        (ana, f"/api/v1/accounts/{dee.id}/block"),
    ):
        response = await client.post(url, headers=who.headers)
        assert response.status_code == 200, response.text
    await run_jobs()
    groups = await client.get("/api/v2/notifications", headers=ana.headers)
    keys = [g["group_key"] for g in groups.json()["notification_groups"]]
    group_key = next(k for k in keys if k.startswith("favourite-"))
    return World(ana=ana, bob=bob, cy=cy, status_id=status["id"], group_key=group_key)


def _lists(w: World) -> list[tuple[str, User | None]]:
    """Every paginated list (but the home feed), with who reads it (None: anonymous)."""
    return [
        (f"/api/v1/accounts/{w.ana.id}/statuses", None),
        (f"/api/v1/accounts/{w.ana.id}/followers", None),
        (f"/api/v1/accounts/{w.bob.id}/following", None),
        (f"/api/v1/statuses/{w.status_id}/favourited_by", None),
        ("/api/v1/timelines/tag/cats", None),
        ("/api/v1/favourites", w.bob),
        ("/api/v1/bookmarks", w.bob),
        ("/api/v1/follow_requests", w.cy),
        ("/api/v1/blocks", w.ana),
        ("/api/v1/mutes", w.ana),
        ("/api/v1/notifications", w.ana),
        ("/api/v2/notifications", w.ana),
        (f"/api/v2/notifications/{w.group_key}/accounts", w.ana),
    ]


def _ids(body: Any) -> list[str]:
    items = body["notification_groups"] if isinstance(body, dict) else body
    return [item.get("id") or item.get("group_key") for item in items]


async def _get(client: httpx.AsyncClient, url: str, reader: User | None) -> httpx.Response:
    return await client.get(url, headers=reader.headers if reader else {})


async def _assert_cursors_clamped(client: httpx.AsyncClient, url: str, reader: User | None) -> None:
    first = await _get(client, url, reader)
    assert first.status_code == 200, (url, first.text)
    assert _ids(first.json()), url  # something to page through
    for huge in (PAST_64_BITS, JUST_PAST, "9" * 5000):
        older = await _get(client, f"{url}?max_id={huge}", reader)
        assert older.status_code == 200, (url, older.text)
        assert _ids(older.json()) == _ids(first.json()), url  # older than the largest: all
        for bound in ("since_id", "min_id"):
            newer = await _get(client, f"{url}?{bound}={huge}", reader)
            assert newer.status_code == 200, (url, bound, newer.text)
            assert _ids(newer.json()) == [], (url, bound)


async def test_a_cursor_past_the_largest_id_reads_as_the_largest(
    client: httpx.AsyncClient, world: World
) -> None:
    for url, reader in _lists(world):
        await _assert_cursors_clamped(client, url, reader)


async def test_a_cursor_past_the_largest_id_on_the_home_feed(
    client: httpx.AsyncClient, world: World
) -> None:
    await _assert_cursors_clamped(client, "/api/v1/timelines/home", world.bob)


async def test_a_cursor_that_is_not_a_number_is_422(
    client: httpx.AsyncClient, world: World
) -> None:
    for url, reader in _lists(world):
        for bad in MALFORMED_IDS[:-1]:  # the long number is clamped, above
            for bound in ("max_id", "since_id", "min_id"):
                response = await _get(client, f"{url}?{bound}={quote(bad)}", reader)
                assert response.status_code == 422, (url, bound, bad, response.text)
                assert response.json()["error"].startswith(f"Validation failed: {bound} ")


async def test_limits_are_clamped_and_garbage_is_422(
    client: httpx.AsyncClient, world: World
) -> None:
    # A second post, so that a page of one is a visible clamp.
    await post_photo(client, world.ana, "again #cats")
    lists = [
        *_lists(world),
        ("/api/v1/trends/statuses", None),
        ("/api/v2/search?q=an", None),
        ("/api/v1/accounts/search?q=an", world.bob),
        ("/api/v1/notifications/unread_count", world.ana),
    ]
    for url, reader in lists:
        sep = "&" if "?" in url else "?"
        for limit in ("-5", "0", "1000", PAST_64_BITS, "-" + PAST_64_BITS, "9" * 5000, ""):
            response = await _get(client, f"{url}{sep}limit={limit}", reader)
            assert response.status_code == 200, (url, limit, response.text)
        for garbage in ("abc", "²", "1.5x"):
            response = await _get(client, f"{url}{sep}limit={quote(garbage)}", reader)
            assert response.status_code == 422, (url, garbage, response.text)
    for url in (f"/api/v1/accounts/{world.ana.id}/statuses", "/api/v1/trends/statuses"):
        assert len((await client.get(f"{url}?limit=2")).json()) == 2
        assert len((await client.get(f"{url}?limit=-5")).json()) == 1  # clamped to 1
    for url in ("/api/v1/trends/statuses", "/api/v2/search?q=an"):
        sep = "&" if "?" in url else "?"
        for offset in (PAST_64_BITS, "10001", "-1"):
            response = await client.get(f"{url}{sep}offset={offset}", headers=world.bob.headers)
            assert response.status_code == 422, (url, offset, response.text)


async def test_path_ids_that_cannot_name_a_row_are_404(
    client: httpx.AsyncClient, world: World
) -> None:
    ana = world.ana
    routes = [
        ("GET", "/api/v1/statuses/{}"),
        ("PUT", "/api/v1/statuses/{}"),
        ("DELETE", "/api/v1/statuses/{}"),
        ("GET", "/api/v1/statuses/{}/history"),
        ("GET", "/api/v1/statuses/{}/source"),
        ("GET", "/api/v1/statuses/{}/context"),
        ("GET", "/api/v1/statuses/{}/favourited_by"),
        ("POST", "/api/v1/statuses/{}/favourite"),
        ("POST", "/api/v1/statuses/{}/unfavourite"),
        ("POST", "/api/v1/statuses/{}/bookmark"),
        ("POST", "/api/v1/statuses/{}/unbookmark"),
        ("GET", "/api/v1/accounts/{}"),
        ("GET", "/api/v1/accounts/{}/statuses"),
        ("GET", "/api/v1/accounts/{}/followers"),
        ("GET", "/api/v1/accounts/{}/following"),
        ("POST", "/api/v1/accounts/{}/follow"),
        ("POST", "/api/v1/accounts/{}/unfollow"),
        ("POST", "/api/v1/accounts/{}/block"),
        ("POST", "/api/v1/accounts/{}/unblock"),
        ("POST", "/api/v1/accounts/{}/mute"),
        ("POST", "/api/v1/accounts/{}/unmute"),
        ("POST", "/api/v1/accounts/{}/remove_from_followers"),
        ("POST", "/api/v1/follow_requests/{}/authorize"),
        ("POST", "/api/v1/follow_requests/{}/reject"),
        ("GET", "/api/v1/media/{}"),
        ("PUT", "/api/v1/media/{}"),
        ("GET", "/api/v1/notifications/{}"),
        ("POST", "/api/v1/notifications/{}/dismiss"),
    ]
    for method, template in routes:
        for bad in BAD_PATH_IDS:
            for who in (ana, None):
                headers = who.headers if who else {}
                response = await client.request(method, template.format(bad), headers=headers)
                assert response.status_code == 404, (method, template, bad, response.text)
    for key in ("%00", "a%00b", f"ungrouped-{PAST_64_BITS}", "ungrouped-%C2%B2", "x" * 200):
        for suffix in ("", "/accounts"):
            response = await client.get(f"/api/v2/notifications/{key}{suffix}", headers=ana.headers)
            assert response.status_code == 404, (key, response.text)
        response = await client.post(f"/api/v2/notifications/{key}/dismiss", headers=ana.headers)
        assert response.status_code == 404, (key, response.text)


async def test_body_ids_that_cannot_name_a_row_are_422(
    client: httpx.AsyncClient, world: World
) -> None:
    ana = world.ana
    media = await upload_photo(client, ana)
    status_url = f"/api/v1/statuses/{world.status_id}"
    for bad in [*MALFORMED_IDS, PAST_64_BITS, JUST_PAST, -1, 2**63, 1.0, 1e20, True]:
        bodies: list[tuple[str, str, dict[str, Any], str]] = [
            ("POST", "/api/v1/statuses", {"status": "x", "media_ids": [bad]}, "media_ids"),
            ("POST", "/api/v1/statuses", {"status": "x", "media_ids": bad}, "media_ids"),
            ("POST", "/api/v1/statuses", {"status": "x", "in_reply_to_id": bad}, "in_reply_to_id"),
            ("PUT", status_url, {"status": "x", "media_ids": [bad]}, "media_ids"),
            (
                "PUT",
                status_url,
                {"status": "x", "media_attributes": [{"id": bad, "description": "d"}]},
                "media_attributes",
            ),
            ("POST", "/api/v1/markers", {"home": {"last_read_id": bad}}, "home"),
            ("POST", "/api/v1/markers", {"notifications": {"last_read_id": bad}}, "notifications"),
        ]
        for method, url, body, field in bodies:
            response = await client.request(method, url, json=body, headers=ana.headers)
            assert response.status_code == 422, (url, body, response.text)
            assert field in response.json()["error"], response.text
    # Form fields too, and valid ids still work (a blank in_reply_to_id is none).
    form = {"status": "ok", "media_ids[]": [media["id"], "²"]}
    response = await client.post("/api/v1/statuses", data=form, headers=ana.headers)
    assert response.status_code == 422, response.text
    body = {"status": "ok", "media_ids": [int(media["id"])], "in_reply_to_id": ""}
    response = await client.post("/api/v1/statuses", json=body, headers=ana.headers)
    assert response.status_code == 200, response.text
    # Filters that name no row match nothing, as Mastodon's do.
    for bad in (PAST_64_BITS, "²"):
        relationships = await client.get(
            "/api/v1/accounts/relationships", params={"id[]": bad}, headers=ana.headers
        )
        assert relationships.status_code == 200 and relationships.json() == []
        filtered = await client.get(
            "/api/v1/notifications", params={"account_id": bad}, headers=ana.headers
        )
        assert filtered.status_code == 200 and filtered.json() == []


def _text_requests(w: World, media_id: str, app: dict[str, str], text: str) -> list[Any]:
    """(method, url, keyword arguments, who, the field named) for every kind of text."""
    oob = "urn:ietf:wg:oauth:2.0:oob"
    client = {"client_id": app["client_id"], "client_secret": app["client_secret"]}
    authorize = {"response_type": "code", "redirect_uri": oob, "scope": "read"}
    status = f"/api/v1/statuses/{w.status_id}"
    profile = "/api/v1/accounts/update_credentials"
    password = _form(grant_type="password", **client, username=text, password="x")
    credentials = _form(grant_type="client_credentials", client_id=text)
    media = f"/api/v1/media/{media_id}"
    post = "/api/v1/statuses"
    return [
        ("POST", post, _json(status=text, media_ids=[media_id]), w.ana, "status"),
        ("POST", post, _json(status=text, in_reply_to_id=w.status_id), w.bob, "status"),
        ("PUT", status, _json(status=text), w.ana, "status"),
        ("PATCH", profile, _form(display_name=text), w.ana, "display_name"),
        ("PATCH", profile, _form(note=text), w.ana, "note"),
        ("PUT", media, _form(description=text), w.ana, "description"),
        ("POST", "/api/v1/apps", _form(client_name=text, redirect_uris=oob), None, "client_name"),
        ("POST", "/oauth/token", password, None, "username"),
        ("POST", "/oauth/token", credentials, None, "client_id"),
        ("POST", "/oauth/revoke", _form(client_id=text, token="t"), None, "client_id"),
        ("GET", "/oauth/authorize", _query(**authorize, client_id=text), None, "client_id"),
        ("POST", "/oauth/authorize", _form(**authorize, **client, username=text), None, "username"),
        ("GET", "/api/v2/search", _query(q=text), None, "q"),
        ("GET", "/api/v2/search", _query(q="#" + text, type="hashtags"), w.ana, "q"),
        ("GET", "/api/v1/accounts/search", _query(q=text), w.ana, "q"),
        ("GET", "/api/v1/accounts/lookup", _query(acct=text), None, "acct"),
        ("GET", "/api/v1/notifications", _query(**{"types[]": text}), w.ana, "types"),
        ("GET", "/api/v1/timelines/tag/cats", _query(**{"any[]": text}), None, "any"),
    ]  # fmt: skip


def _json(**values: Any) -> dict[str, Any]:
    return {"json": values}


def _form(**values: Any) -> dict[str, Any]:
    return {"data": values}


def _query(**values: Any) -> dict[str, Any]:
    return {"params": values}


async def test_a_nul_in_any_text_parameter_is_422(client: httpx.AsyncClient, world: World) -> None:
    media = await upload_photo(client, world.ana)
    app = await register_app(client)
    for text in ("\x00", "ana\x00", "a\x00b"):
        for method, url, kwargs, who, field in _text_requests(world, media["id"], app, text):
            headers = who.headers if who else {}
            response = await client.request(method, url, headers=headers, **kwargs)
            assert response.status_code == 422, (url, kwargs, response.text)
            error = response.json()["error"]
            assert error.startswith("Validation failed: ") and field in error, error
            assert "NUL" in error, error


async def test_a_nul_in_a_header_that_is_stored_is_422(
    client: httpx.AsyncClient, world: World
) -> None:
    media = await upload_photo(client, world.ana)
    response = await client.post(
        "/api/v1/statuses",
        json={"status": "x", "media_ids": [media["id"]]},
        headers={**world.ana.headers, "Idempotency-Key": "key\x00"},
    )
    assert response.status_code == 422, response.text
    assert "Idempotency-Key" in response.json()["error"]
    # Client credentials in a Basic header: no client has a NUL in its id.
    basic = base64.b64encode(b"client\x00id:secret").decode()
    response = await client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "invalid_client"


async def test_lone_surrogates_are_422(client: httpx.AsyncClient, world: World) -> None:
    media = await upload_photo(client, world.ana)
    json_headers = {**world.ana.headers, "Content-Type": "application/json"}
    media_id = media["id"].encode()
    for raw, field in (
        (b'{"status": "a\\ud800b", "media_ids": ["%s"]}' % media_id, "status"),
        (b'{"status": "\\udfff", "media_ids": ["%s"]}' % media_id, "status"),
        (b'{"status": "x", "media_ids": ["%s"], "\\ud800": 1}' % media_id, "parameter name"),
    ):
        response = await client.post("/api/v1/statuses", content=raw, headers=json_headers)
        assert response.status_code == 422, (raw, response.text)
        assert field in response.json()["error"], response.text
    # A form whose declared charset (UTF-7) decodes to a lone surrogate.
    form = b'--b\r\nContent-Disposition: form-data; name="display_name"\r\n\r\n+2AA-\r\n--b--\r\n'
    response = await client.patch(
        "/api/v1/accounts/update_credentials",
        content=form,
        headers={
            **world.ana.headers,
            "Content-Type": "multipart/form-data; charset=utf-7; boundary=b",
        },
    )
    assert response.status_code == 422, response.text
    assert "display_name is not valid Unicode" in response.json()["error"]
    # Invalid JSON is still a 400.
    response = await client.post(
        "/api/v1/statuses", content=b'{"status": NaN}', headers=json_headers
    )
    assert response.status_code == 400, response.text


FTS_SYNTAX = [
    '"', '""', "*", "ana*", "NEAR(", "NEAR(ana bob)", "AND", "ana AND bob", "OR", "NOT ana",
    "-", "-ana", ":", "username_lower:ana", "(", ")", "(ana", "^ana", "+", '"ana"', "a'b",
    "\\", "%", "_", "ana OR", "{ana}", "[ana]", "a\tb", "\u200b", "😀😀😀", "   ",
]  # fmt: skip


async def test_search_takes_any_text_as_text(client: httpx.AsyncClient, world: World) -> None:
    """Full-text syntax in a query is searched for, never parsed: results or an empty list,
    never a 503 (which says the database is down) nor a 500."""
    for q in FTS_SYNTAX:
        for url, who in (
            ("/api/v2/search", None),
            ("/api/v2/search", world.bob),
            ("/api/v1/accounts/search", world.bob),
        ):
            headers = who.headers if who else {}
            response = await client.get(url, params={"q": q}, headers=headers)
            assert response.status_code == 200, (q, url, response.text)
    for q in ('"ana"', "ana*", "(ana", "^ana", "-ana"):
        response = await client.get(
            "/api/v1/accounts/search", params={"q": q}, headers=world.bob.headers
        )
        assert [a["username"] for a in response.json()] == ["ana"], q


async def test_only_a_database_outage_is_a_503(ctx: AppContext, tmp_path: Path) -> None:
    """SQLite raises a statement it cannot run (an FTS5 query it cannot parse) as the
    same OperationalError as a locked database: only the second is an outage."""
    app = FastAPI()
    app.state.ctx = ctx
    install_error_handlers(app)
    install_unavailable_handlers(app)

    def failing(run: Callable[[], object]) -> Callable[[], Awaitable[None]]:
        async def route() -> None:
            try:
                run()
            except sqlite3.OperationalError as exc:
                raise sa_exc.OperationalError("statement", {}, exc) from exc

        return route

    memory = sqlite3.connect(":memory:")
    memory.execute("CREATE VIRTUAL TABLE s USING fts5(name, tokenize='trigram')")
    path = tmp_path / "locked.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")
    blocked = sqlite3.connect(path, timeout=0)
    app.add_api_route(
        "/syntax", failing(lambda: memory.execute("SELECT * FROM s WHERE s MATCH 'NEAR('"))
    )
    app.add_api_route(
        "/nul", failing(lambda: memory.execute("SELECT * FROM s WHERE s MATCH ?", ('"a\x00b"',)))
    )
    app.add_api_route("/locked", failing(lambda: blocked.execute("INSERT INTO t VALUES (1)")))
    app.add_api_route(
        "/unopenable", failing(lambda: sqlite3.connect(tmp_path / "no" / "db.sqlite"))
    )
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        for bug in ("/syntax", "/nul"):
            response = await http.get(bug)
            assert response.status_code == 500, response.text
            assert "Retry-After" not in response.headers
        for outage in ("/locked", "/unopenable"):
            response = await http.get(outage)
            assert response.status_code == 503, response.text
            assert response.headers["Retry-After"] == str(ctx.settings.database_retry_after_seconds)
    holder.close()
    blocked.close()


async def test_uploads_past_the_quota_are_refused(
    client: httpx.AsyncClient, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    ana, bob = await sign_up(client, "ana"), await sign_up(client, "bob")
    size = DEFAULT_PHOTO.stat().st_size
    monkeypatch.setattr(ctx.settings, "upload_quota_bytes", size * 2 + size // 2)
    for _ in range(2):
        await upload_photo(client, ana)
    photo = {"file": ("photo.jpg", DEFAULT_PHOTO.read_bytes(), "image/jpeg")}
    for version in ("v1", "v2"):
        response = await client.post(f"/api/{version}/media", headers=ana.headers, files=photo)
        assert response.status_code == 422, response.text
        body = response.json()
        assert "storage quota" in body["error"] and "file" in body["details"], body
    # Another account has its own quota; and 0 is no quota at all.
    await upload_photo(client, bob)
    monkeypatch.setattr(ctx.settings, "upload_quota_bytes", 0)
    await upload_photo(client, ana)


async def test_text_deep_in_nested_parameters_is_checked(
    client: httpx.AsyncClient, world: World
) -> None:
    """JSON nests as deep as the parser allows (past Python's recursion limit): the
    check on every text value reaches the bottom without failing itself."""
    for depth, text in ((1000, "\\u0000"), (500, "\\ud800")):
        body = '{"status": "x", "poll": ' + "[" * depth + f'"{text}"' + "]" * depth + "}"
        response = await client.post(
            "/api/v1/statuses",
            content=body.encode(),
            headers={**world.ana.headers, "Content-Type": "application/json"},
        )
        assert response.status_code == 422, response.text
        assert response.json()["error"].startswith("Validation failed: poll.0.0.0")

"""Hostile searches: full-text syntax is searched for, never parsed, and only a database
outage is a 503 (a statement the database cannot run is a bug, a 500).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy import exc as sa_exc

from shutter.infra.context import AppContext
from shutter.infra.errors import install_error_handlers
from shutter.infra.health import install_unavailable_handlers
from tests.support.hostile import World, world

__all__ = ["world"]  # a fixture used by these tests


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

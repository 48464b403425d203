"""Readiness and outages: /readyz reports what is degraded; an unreachable PostgreSQL gets
503 with Retry-After (never a 500) and the service recovers by itself when it is back.

The outage is made by a TCP proxy this test starts in front of PostgreSQL on a port of its
own; the machine's PostgreSQL is never touched."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from shutter.infra.context import AppContext
from tests.support.api import sign_up
from tests.support.instances import (
    DEAD_REDIS_URL,
    REDIS_URL,
    Instance,
    TcpProxy,
    fresh_postgres_database,
    fresh_redis_prefix,
)


async def test_readyz_and_healthz(client: httpx.AsyncClient) -> None:
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"database": "ok", "redis": "disabled"}
    assert "X-RateLimit-Limit" not in ready.headers  # probes are not API calls
    assert (await client.get("/healthz")).json() == {"status": "ok"}


async def test_readyz_shows_redis_down_and_stays_ready(
    database_url: str, ctx: AppContext, tmp_path: Path
) -> None:
    async with Instance(database_url, tmp_path, redis_url=DEAD_REDIS_URL) as api:
        ready = await api.get("/readyz")
        assert ready.status_code == 200
        assert ready.json() == {"database": "ok", "redis": "down"}
        # Serving goes on without it: sign-up writes, reads answer.
        ana = await sign_up(api, "ana")
        assert (await api.get(f"/api/v1/accounts/{ana.id}")).status_code == 200
    async with (
        fresh_redis_prefix() as prefix,
        Instance(database_url, tmp_path, redis_url=REDIS_URL, redis_prefix=prefix) as api,
    ):
        assert (await api.get("/readyz")).json() == {"database": "ok", "redis": "ok"}


@pytest.fixture(scope="module")
async def proxied_database() -> AsyncIterator[tuple[TcpProxy, str]]:
    """A fresh PostgreSQL database reached through a proxy the test can cut."""
    async with fresh_postgres_database() as url:
        proxy = TcpProxy("127.0.0.1", 5432)
        await proxy.start()
        yield proxy, url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
        if proxy._server is not None:
            await proxy.stop()


async def test_unreachable_database_answers_503_and_recovers(
    proxied_database: tuple[TcpProxy, str], tmp_path: Path
) -> None:
    proxy, url = proxied_database
    async with Instance(url, tmp_path) as api:
        ana = await sign_up(api, "ana")
        account = f"/api/v1/accounts/{ana.id}"
        assert (await api.get(account)).status_code == 200
        assert (await api.get("/api/v1/timelines/home", headers=ana.headers)).status_code == 200

        await proxy.stop()
        requests = [
            api.get(account),
            api.get("/api/v1/timelines/home", headers=ana.headers),  # the token lookup
            api.patch(
                "/api/v1/accounts/update_credentials",
                headers=ana.headers,
                data={"display_name": "Changed"},
            ),
            api.get("/api/v1/accounts/lookup?acct=ana"),
        ]
        for request in requests:
            response = await request
            assert response.status_code == 503, response.text
            assert response.json() == {
                "error": "The service is temporarily unavailable, retry later"
            }
            assert response.headers["Retry-After"] == "5"
        not_ready = await api.get("/readyz")
        assert not_ready.status_code == 503 and not_ready.json()["database"] == "down"
        assert not_ready.headers["Retry-After"] == "5"
        assert (await api.get("/healthz")).status_code == 200  # alive, just not ready
        assert (await api.get("/api/v2/instance")).status_code == 200  # needs no database

        await proxy.start()
        back = await api.get(account)
        assert back.status_code == 200
        assert back.json()["display_name"] == ""  # the refused write changed nothing
        assert (await api.get("/api/v1/timelines/home", headers=ana.headers)).status_code == 200
        assert (await api.get("/readyz")).json() == {"database": "ok", "redis": "disabled"}


async def test_a_cut_during_a_remembered_callers_read_answers_503(
    proxied_database: tuple[TcpProxy, str], tmp_path: Path
) -> None:
    """With Redis, a home read may need nothing of the database but its page statement,
    which runs on asyncpg directly (infra/prepared.py): a cut there is a 503 as well."""
    proxy, url = proxied_database
    async with (
        fresh_redis_prefix() as prefix,
        Instance(url, tmp_path, redis_url=REDIS_URL, redis_prefix=prefix) as api,
    ):
        ana = await sign_up(api, "ana2")  # the module's database has an ana already
        for _ in range(3):  # the caller is remembered from the second read on
            assert (await api.get("/api/v1/timelines/home", headers=ana.headers)).is_success
        await proxy.stop()
        # The first read finds its pooled connection dead, the second cannot connect.
        for _ in range(2):
            response = await api.get("/api/v1/timelines/home", headers=ana.headers)
            assert response.status_code == 503, response.text
            assert response.headers["Retry-After"] == "5"
        await proxy.start()
        assert (await api.get("/api/v1/timelines/home", headers=ana.headers)).is_success


@pytest.fixture
async def silent_redis_url() -> AsyncIterator[str]:
    """A Redis that accepts connections and never answers (a hung server, a lost route)."""

    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while await reader.read(65536):
            pass
        writer.close()

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield f"redis://127.0.0.1:{port}/0"
    server.close()


async def test_a_redis_that_never_answers_holds_no_read_for_long(
    database_url: str, silent_redis_url: str, tmp_path: Path
) -> None:
    async with Instance(database_url, tmp_path) as embedded:
        ana = await sign_up(embedded, f"silent{uuid.uuid4().hex[:8]}")
    async with Instance(database_url, tmp_path, redis_url=silent_redis_url) as api:
        began = time.monotonic()
        # The rate limit's hit and the feed's window each give up at their deadline;
        # the limit fails open and the page comes from the database.
        async with asyncio.timeout(10):  # a call without a deadline would wait forever
            home = await api.get("/api/v1/timelines/home", headers=ana.headers)
        assert home.status_code == 200, home.text
        assert time.monotonic() - began < 6
        began = time.monotonic()
        # Both stores rest after a failure: the next read does not wait again.
        assert (await api.get("/api/v1/timelines/home", headers=ana.headers)).status_code == 200
        assert time.monotonic() - began < 1

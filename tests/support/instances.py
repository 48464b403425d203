"""An extra app instance with settings of its own (cache backend, replicas, Redis prefix),
in-process on the test database, and a Redis key prefix that is cleaned after the test."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from fastapi import FastAPI
from sqlalchemy import event

from shutter.app import create_app
from shutter.infra.context import AppContext
from shutter.infra.migrate import upgrade
from tests import conftest
from tests.conftest import BASE_URL
from tests.conftest import test_settings as settings_for_tests
from tests.support.live import free_port

REDIS_URL = "redis://127.0.0.1:6379/0"
# Nothing listens on port 1: a Redis that is down.
DEAD_REDIS_URL = "redis://127.0.0.1:1/0"


class Instance:
    """One more API process: `async with Instance(...) as api` gives its client."""

    def __init__(
        self,
        database_url: str,
        var_dir: Path,
        *,
        client_ip: str = "127.0.0.1",
        **overrides: Any,
    ) -> None:
        self.app: FastAPI = create_app(settings_for_tests(var_dir, database_url, **overrides))
        self._client_ip = client_ip

    @property
    def ctx(self) -> AppContext:
        ctx: AppContext = self.app.state.ctx
        return ctx

    def client(self, client_ip: str | None = None) -> httpx.AsyncClient:
        """Another client of this instance, from `client_ip`."""
        transport = httpx.ASGITransport(app=self.app, client=(client_ip or self._client_ip, 4321))
        return httpx.AsyncClient(transport=transport, base_url=BASE_URL)

    async def __aenter__(self) -> httpx.AsyncClient:
        self._lifespan = self.app.router.lifespan_context(self.app)
        await self._lifespan.__aenter__()
        self._client = self.client()
        return self._client

    async def __aexit__(self, *exc: object) -> None:
        await self._client.aclose()
        await self._lifespan.__aexit__(None, None, None)


@contextmanager
def token_queries(instance: Instance) -> Iterator[list[str]]:
    """The statements on `instance`'s database that look a token up, while in the block."""
    seen: list[str] = []
    db = instance.ctx.db
    # On PostgreSQL the read engine is a view of the write engine (the same events).
    engines = [db.write_engine, db.read_engine] if db.is_sqlite else [db.write_engine]

    def record(*args: Any) -> None:
        statement = args[2]
        if "oauth_tokens.token_hash =" in statement:  # the lookup of one token's caller
            seen.append(statement)

    for engine in engines:
        event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        for engine in engines:
            event.remove(engine.sync_engine, "before_cursor_execute", record)


async def _redis_or_skip() -> Any:
    client = aioredis.from_url(REDIS_URL)
    try:
        await client.ping()
    except OSError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"Redis at {REDIS_URL} is required in CI: {exc}")
        pytest.skip("Redis is not reachable on 127.0.0.1:6379")
    return client


@asynccontextmanager
async def fresh_redis_prefix() -> AsyncIterator[str]:
    """A new key prefix; its keys (and only those) are deleted at the end."""
    prefix = f"shutter-test-{uuid.uuid4().hex[:8]}"
    client = await _redis_or_skip()
    try:
        yield prefix
    finally:
        keys = [key async for key in client.scan_iter(f"{prefix}:*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


@pytest.fixture
async def redis_prefix() -> AsyncIterator[str]:
    async with fresh_redis_prefix() as prefix:
        yield prefix


@asynccontextmanager
async def fresh_postgres_database() -> AsyncIterator[str]:
    """A new, migrated PostgreSQL database of its own (dropped at the end); its URL."""
    made = await conftest._postgres_database()
    if made is None:
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432 (set CI=1 to fail instead)")
    url, drop = made
    try:
        await upgrade(url)
        yield url
    finally:
        await drop()


class TcpProxy:
    """A TCP proxy on a port of its own in front of `target`; stop() cuts every connection,
    as an unreachable server would, and start() lets connections through again."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        self._writers.clear()
        await self._server.wait_closed()
        self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self._writers |= {writer, up_writer}
        await asyncio.gather(
            self._pipe(reader, up_writer), self._pipe(up_reader, writer), return_exceptions=True
        )

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            writer.close()
            self._writers.discard(writer)

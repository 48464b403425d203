"""Test harness: every API test runs on SQLite and on PostgreSQL, through the real app.

Each backend gets its own database, created and migrated once per session and dropped
at the end; every test starts from empty tables. Jobs do not run by themselves here:
a test runs them with `run_jobs()` so what it asserts does not race a worker.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy import text

from shutter.app import create_app
from shutter.infra.context import AppContext
from shutter.infra.jobs import drain
from shutter.infra.migrate import upgrade
from shutter.infra.settings import Settings
from shutter.models import Base

PG_ADMIN_DSN = os.environ.get("SHUTTER_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
BASE_URL = "http://testserver"


def test_settings(var_dir: Path, database_url: str = "", **overrides: object) -> Settings:
    """Settings for a test process: fast password hashing, no in-process workers."""
    values: dict[str, object] = {
        "var_dir": var_dir,
        "database_url": database_url,
        "base_url": BASE_URL,
        "secret_key": "test-secret-key-not-for-production",
        "argon2_time_cost": 1,
        "argon2_memory_kib": 1024,
        "embedded_workers": 0,
        "log_level": "warning",
        # Tests make many requests as one user from one address; tests/test_ratelimit.py
        # sets small limits of its own.
        "rate_limit_requests": 1_000_000,
        "rate_limit_login_requests": 1_000_000,
        "rate_limit_signup_requests": 1_000_000,
        "rate_limit_upload_requests": 1_000_000,
        "rate_limit_mail_requests": 1_000_000,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


async def _postgres_database() -> tuple[str, Callable[[], Awaitable[None]]] | None:
    try:
        admin = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL at {PG_ADMIN_DSN} is required in CI: {exc}")
        return None
    name = f"shutter_test_{uuid.uuid4().hex[:10]}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    host_part = PG_ADMIN_DSN.split("://", 1)[1].rsplit("/", 1)[0]

    async def drop() -> None:
        conn = await asyncpg.connect(PG_ADMIN_DSN)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()

    return f"postgresql+asyncpg://{host_part}/{name}", drop


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
async def database_url(request: pytest.FixtureRequest) -> AsyncIterator[str]:
    if request.param == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="shutter-db-"))
        url = f"sqlite+aiosqlite:///{folder / 'test.db'}"
        await upgrade(url)
        yield url
        shutil.rmtree(folder, ignore_errors=True)
        return
    made = await _postgres_database()
    if made is None:
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432 (set CI=1 to fail instead)")
    url, drop = made
    await upgrade(url)
    yield url
    await drop()


@pytest.fixture(scope="session")
async def app_and_ctx(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[object, AppContext]]:
    settings = test_settings(tmp_path_factory.mktemp("var"), database_url)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app, app.state.ctx


@pytest.fixture
async def ctx(app_and_ctx: tuple[object, AppContext]) -> AsyncIterator[AppContext]:
    """The app's context, with every table emptied before the test."""
    context = app_and_ctx[1]
    async with context.db.write() as session:
        for table in reversed(Base.metadata.sorted_tables):
            await session.execute(text(f"DELETE FROM {table.name}"))
    yield context


@pytest.fixture
async def client(
    app_and_ctx: tuple[object, AppContext], ctx: AppContext
) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app_and_ctx[0])  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
        yield http


@pytest.fixture
def run_jobs(ctx: AppContext) -> Callable[[], Awaitable[int]]:
    """Run every due job now; returns how many ran."""

    async def run() -> int:
        return await drain(ctx)

    return run

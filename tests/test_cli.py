"""The `shutter` command as an operator runs it: real processes, real HTTP, real databases.

The last two tests drive the job queue in-process to prove its guarantees: a worker that
dies mid-job loses nothing, and a job that keeps failing ends dead with its error.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from shutter.assembly import create_context
from shutter.cli import SHUTDOWN_GRACE_SECONDS
from shutter.feed import service as feed_service
from shutter.infra.context import AppContext
from shutter.infra.db import utcnow
from shutter.infra.jobs import DEAD, Job, JobKind, claim, drain, enqueue, handles
from tests import conftest
from tests.support.api import sign_up
from tests.support.live import run_shutter, shutter_env, start_server
from tests.support.streams import open_sse

PASSWORD = "correct horse battery"


def sqlite_url(var_dir: Path) -> str:
    return f"sqlite+aiosqlite:///{var_dir / 'shutter.db'}"


@pytest.fixture
async def fresh_postgres() -> AsyncIterator[str]:
    """A new, empty (unmigrated) PostgreSQL database, dropped afterwards."""
    made = await conftest._postgres_database()
    if made is None:
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432 (set CI=1 to fail instead)")
    url, drop = made
    yield url
    await drop()


# --- serve -----------------------------------------------------------------------------


def test_serve_on_a_fresh_var_dir_creates_and_migrates_the_database(tmp_path: Path) -> None:
    var_dir = tmp_path / "var"
    with start_server("", var_dir) as server:
        assert (var_dir / "shutter.db").exists()
        assert httpx.get(f"{server.url}/healthz").json() == {"status": "ok"}
        instance = httpx.get(f"{server.url}/api/v1/instance")
        assert instance.status_code == 200
        assert "compatible; Shutter" in instance.json()["version"]
        # The server's own port is in its links when nobody set SHUTTER_BASE_URL otherwise.
        assert instance.json()["uri"] == server.url.split("://", 1)[1]


def test_serve_keeps_an_idle_connection_open_past_a_five_second_poll(tmp_path: Path) -> None:
    # Mastodon.py polls media every 5 s on one keep-alive connection; a server that drops
    # idle connections at 5 s closes it just as the next request goes out.
    with start_server("", tmp_path / "var") as server:
        connection = http.client.HTTPConnection(server.url.removeprefix("http://"), timeout=10)
        for pause in (0, 6):
            time.sleep(pause)
            connection.request("GET", "/healthz")  # on the same socket: no reconnection
            response = connection.getresponse()
            assert (response.status, response.read()) == (200, b'{"status":"ok"}')
        connection.close()


async def test_serve_stops_on_sigterm_while_a_stream_is_open(tmp_path: Path) -> None:
    with start_server("", tmp_path / "var") as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
            ana = await sign_up(client, "ana")
            async with open_sse(client, "/api/v1/streaming/user", ana.headers) as lines:
                started = time.monotonic()
                server.process.send_signal(signal.SIGTERM)
                await asyncio.to_thread(server.process.wait, 15)
                assert time.monotonic() - started < SHUTDOWN_GRACE_SECONDS + 3
                async with asyncio.timeout(1):
                    # Cut mid-stream (the grace ran out): clients see the end and reconnect.
                    with contextlib.suppress(httpx.TransportError):
                        async for _line in lines:
                            pass


def test_serve_with_two_workers_answers(tmp_path: Path) -> None:
    with start_server("", tmp_path / "var", workers=2) as server:
        for _ in range(4):
            assert httpx.get(f"{server.url}/api/v2/instance").status_code == 200


def test_bad_settings_are_refused_with_a_clear_message(tmp_path: Path) -> None:
    env = shutter_env("mysql://x", tmp_path / "var")
    for command in (["serve"], ["migrate"], ["worker", "--once"]):
        result = run_shutter(command, env)
        assert result.returncode == 2, result
        assert "SHUTTER_DATABASE_URL" in result.stderr
        assert "Traceback" not in result.stderr
    assert not (tmp_path / "var").exists()


def test_postgres_without_a_secret_key_is_refused(tmp_path: Path) -> None:
    env = shutter_env("postgresql+asyncpg://postgres@127.0.0.1:5432/whatever", tmp_path)
    del env["SHUTTER_SECRET_KEY"]
    result = run_shutter(["serve"], env)
    assert result.returncode == 2
    assert "SHUTTER_SECRET_KEY must be set" in result.stderr


def test_unreachable_postgres_is_a_clear_error(tmp_path: Path) -> None:
    env = shutter_env("postgresql+asyncpg://postgres@127.0.0.1:1/nowhere", tmp_path)
    result = run_shutter(["serve"], env)
    assert result.returncode == 1
    assert "Cannot reach the database (PostgreSQL at 127.0.0.1:1/nowhere)" in result.stderr


def test_postgres_needs_migrate_before_serve(fresh_postgres: str, tmp_path: Path) -> None:
    env = shutter_env(fresh_postgres, tmp_path / "var")
    refused = run_shutter(["serve"], env)
    assert refused.returncode == 2
    assert "Run `shutter migrate` first" in refused.stderr

    migrated = run_shutter(["migrate"], env)
    assert migrated.returncode == 0, migrated.stderr
    assert run_shutter(["migrate"], env).returncode == 0  # idempotent

    with start_server(fresh_postgres, tmp_path / "var", workers=2) as server:
        instance = httpx.get(f"{server.url}/api/v2/instance")
        assert instance.status_code == 200
        assert instance.json()["configuration"]["statuses"]["max_characters"] == 255


# --- createadmin ------------------------------------------------------------------------


def _password_token(base_url: str, username: str) -> httpx.Response:
    app = httpx.post(
        f"{base_url}/api/v1/apps",
        data={"client_name": "cli-test", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob"},
    ).json()
    return httpx.post(
        f"{base_url}/oauth/token",
        data={
            "grant_type": "password",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "username": username,
            "password": PASSWORD,
            "scope": "read",
        },
    )


def test_createadmin_makes_an_admin_who_can_log_in(tmp_path: Path) -> None:
    var_dir = tmp_path / "var"
    env = shutter_env("", var_dir)
    created = run_shutter(
        ["createadmin", "boss", "--email", "boss@example.com", "--password", PASSWORD], env
    )
    assert created.returncode == 0, created.stderr
    assert "Created admin @boss" in created.stdout

    prompted = run_shutter(
        ["createadmin", "deputy", "--email", "deputy@example.com"],
        env,
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert prompted.returncode == 0, prompted.stderr

    taken = run_shutter(
        ["createadmin", "Boss", "--email", "other@example.com", "--password", PASSWORD], env
    )
    assert taken.returncode == 1
    assert "username is already taken" in taken.stderr

    with start_server("", var_dir) as server:
        token = _password_token(server.url, "boss")
        assert token.status_code == 200, token.text
        me = httpx.get(
            f"{server.url}/api/v1/accounts/verify_credentials",
            headers={"Authorization": f"Bearer {token.json()['access_token']}"},
        ).json()
        assert me["username"] == "boss"
        assert me["role"]["name"] == "admin"


# --- worker -----------------------------------------------------------------------------


async def _enqueue_in(var_dir: Path, kind: JobKind, payload: dict[str, Any]) -> None:
    ctx = create_context(conftest.test_settings(var_dir, sqlite_url(var_dir)))
    try:
        async with ctx.db.write() as session:
            enqueue(session, kind, payload)
    finally:
        await ctx.close()


async def _jobs_in(var_dir: Path) -> list[Job]:
    ctx = create_context(conftest.test_settings(var_dir, sqlite_url(var_dir)))
    try:
        async with ctx.db.read() as session:
            return list(await session.scalars(select(Job)))
    finally:
        await ctx.close()


async def test_worker_once_runs_due_jobs_in_its_own_process(tmp_path: Path) -> None:
    var_dir = tmp_path / "var"
    env = shutter_env(sqlite_url(var_dir), var_dir, extra_env={"SHUTTER_JOB_MAX_ATTEMPTS": "1"})
    empty = run_shutter(["worker", "--once"], env)
    assert empty.returncode == 0, empty.stderr
    assert "Ran 0 jobs" in empty.stdout

    # A real kind whose post is gone does nothing and succeeds; an unknown kind fails.
    await _enqueue_in(var_dir, feed_service.FANOUT, {"post_id": 1, "author_id": 1, "after": 0})
    await _enqueue_in(var_dir, JobKind("no.such.kind"), {})  # e.g. left by an older version
    ran = run_shutter(["worker", "--once"], env)
    assert ran.returncode == 0, ran.stderr
    assert "Ran 2 jobs" in ran.stdout

    [left] = await _jobs_in(var_dir)
    assert (left.kind, left.status) == ("no.such.kind", DEAD)
    assert left.last_error == "no handler for job kind 'no.such.kind'"


def test_worker_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    var_dir = tmp_path / "var"
    process = subprocess.Popen(
        [sys.executable, "-m", "shutter", "worker", "--concurrency", "3"],
        env=shutter_env("", var_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tempfile.gettempdir(),
    )
    try:
        assert process.stdout is not None
        assert "Shutter worker: 3 loop(s)" in process.stdout.readline()
        process.send_signal(signal.SIGTERM)
        out, errors = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, errors
    assert "Shutter worker stopped." in out
    assert "Traceback" not in errors


# --- the queue's guarantees, in-process on both databases --------------------------------

calls: list[dict[str, Any]] = []


COUNT = JobKind("test.count")
FAIL = JobKind("test.fail")


@handles(COUNT)
async def _count(ctx: AppContext, payload: dict[str, Any]) -> None:
    calls.append(payload)


@handles(FAIL)
async def _fail(ctx: AppContext, payload: dict[str, Any]) -> None:
    calls.append(payload)
    raise RuntimeError("boom")


async def _move_to_the_past(ctx: AppContext, column: str) -> None:
    past = utcnow() - timedelta(seconds=1)
    async with ctx.db.write() as session:
        await session.execute(update(Job).values({column: past}))


async def test_a_job_of_a_worker_killed_mid_job_runs_again(ctx: AppContext) -> None:
    calls.clear()
    async with ctx.db.write() as session:
        enqueue(session, COUNT, {"n": 1})

    # A worker claims the job and dies before running it: nothing happens...
    [claimed] = await claim(ctx, limit=10)
    assert claimed.kind == "test.count"
    assert await drain(ctx) == 0  # ...while its lease holds, nobody else takes the job,
    await _move_to_the_past(ctx, "locked_until")  # ...and once the lease has run out,
    assert await drain(ctx) == 1  # the next worker runs it.

    assert calls == [{"n": 1}]
    async with ctx.db.read() as session:
        assert list(await session.scalars(select(Job))) == []


async def test_a_job_failing_every_attempt_ends_dead_with_its_error(
    ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls.clear()
    monkeypatch.setattr(ctx.settings, "job_max_attempts", 3)
    async with ctx.db.write() as session:
        enqueue(session, FAIL, {"n": 2})

    for _ in range(3):
        assert await drain(ctx) == 1
        await _move_to_the_past(ctx, "run_at")  # skip the backoff wait
    assert await drain(ctx) == 0  # dead jobs are never claimed again

    assert len(calls) == 3
    async with ctx.db.read() as session:
        [dead] = list(await session.scalars(select(Job)))
    assert (dead.status, dead.attempts) == (DEAD, 3)
    assert dead.last_error == "RuntimeError: boom"
    assert dead.locked_until is None

"""The home-feed tests against each feed store: the SQL table, Redis, a Redis Cluster.

A test module that imports `store_app`, `client`, `ctx` and `run_jobs` from here runs
each of its tests once per store (and per database backend). The Redis stores get an
app of their own on the test database, with a key prefix of their own whose keys are
deleted afterwards (never anything else: the machine's Redis is shared). The cluster is
three masters started once per session on free ports and stopped at the end.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from sqlalchemy import text

from shutter.app import create_app
from shutter.infra.context import AppContext
from shutter.infra.jobs import drain
from shutter.models import Base
from tests.conftest import BASE_URL
from tests.conftest import test_settings as settings_for_tests
from tests.support.live import free_port

REDIS_URL = "redis://127.0.0.1:6379/0"
STORES = ["sql", "redis", "cluster"]


def _require(ok: bool, why: str) -> None:
    if not ok:
        if os.environ.get("CI"):
            pytest.fail(f"{why} (required in CI)")
        pytest.skip(why)


def redis_answers(url: str = REDIS_URL) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_timeout=2).ping())
    except redis.RedisError:
        return False


def _cluster_port() -> int:
    """A free port whose cluster bus port (+10000) is free and valid too."""
    while True:
        port = free_port()
        if port + 10000 <= 65535:
            with socket.socket() as probe:
                try:
                    probe.bind(("127.0.0.1", port + 10000))
                except OSError:
                    continue
            return port


@pytest.fixture(scope="session")
def redis_cluster_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Redis Cluster of three masters on 127.0.0.1, for this test session only."""
    server = shutil.which("redis-server")
    cli = shutil.which("redis-cli")
    _require(server is not None and cli is not None, "redis-server and redis-cli are needed")
    assert server is not None and cli is not None
    folder = tmp_path_factory.mktemp("redis-cluster")
    ports = [_cluster_port() for _ in range(3)]
    processes = [
        subprocess.Popen(
            [
                *(server, "--port", str(port), "--cluster-enabled", "yes"),
                *("--cluster-config-file", str(folder / f"nodes-{port}.conf")),
                *("--save", "", "--appendonly", "no", "--daemonize", "no"),
                *("--bind", "127.0.0.1", "--dir", str(folder)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for port in ports
    ]
    try:
        deadline = time.monotonic() + 10
        while not all(redis_answers(f"redis://127.0.0.1:{p}") for p in ports):
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
        nodes = [f"127.0.0.1:{p}" for p in ports]
        subprocess.run(
            [cli, "--cluster", "create", *nodes, "--cluster-replicas", "0", "--cluster-yes"],
            check=True,
            capture_output=True,
            timeout=30,
        )
        url = f"redis://127.0.0.1:{ports[0]}"
        while redis.Redis.from_url(url).cluster("info").get("cluster_state") != "ok":
            assert time.monotonic() < deadline + 10, "the cluster did not become ready"
            time.sleep(0.05)
        yield url
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(10)


def delete_prefix(url: str, prefix: str, *, cluster: bool = False) -> None:
    """Delete the keys under `prefix` (SCAN + DEL; on a cluster, node by node)."""
    client: Any = redis.RedisCluster.from_url(url) if cluster else redis.Redis.from_url(url)
    for key in list(client.scan_iter(match=f"{prefix}*", count=1000)):
        client.delete(key)
    client.close()


@contextmanager
def redis_space(request: pytest.FixtureRequest, topology: str) -> Iterator[tuple[str, str]]:
    """(SHUTTER_REDIS_URL, key prefix) on the machine's Redis (`redis`) or on the test
    session's Redis Cluster (`cluster`). The prefix is new; its keys (and only those) are
    deleted afterwards."""
    if topology == "cluster":
        node, cluster = request.getfixturevalue("redis_cluster_url"), True
    else:
        _require(redis_answers(), f"Redis is not reachable at {REDIS_URL}")
        node, cluster = REDIS_URL, False
    prefix = f"shutter-test-{uuid.uuid4().hex[:10]}"
    try:
        yield (node.replace("redis://", "redis+cluster://") if cluster else node), prefix
    finally:
        delete_prefix(node, prefix, cluster=cluster)


@pytest.fixture(params=["redis", "cluster"])
def shared_redis(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    """`redis_space` on each topology in turn."""
    with redis_space(request, request.param) as space:
        yield space


async def _empty_tables(ctx: AppContext) -> None:
    async with ctx.db.write() as session:
        for table in reversed(Base.metadata.sorted_tables):
            await session.execute(text(f"DELETE FROM {table.name}"))


@pytest.fixture(params=STORES)
async def store_app(
    request: pytest.FixtureRequest,
    app_and_ctx: tuple[object, AppContext],
    database_url: str,
    tmp_path: Path,
) -> AsyncIterator[tuple[Any, AppContext]]:
    """(app, its context) with the store of the param; tables emptied first."""
    await _empty_tables(app_and_ctx[1])
    if request.param == "sql":
        yield app_and_ctx
        return
    with redis_space(request, request.param) as (url, prefix):
        # Everything Redis holds goes there: feeds, entity cache, events, rate limits.
        settings = settings_for_tests(tmp_path, database_url, redis_url=url, redis_prefix=prefix)
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            yield app, app.state.ctx


@pytest.fixture
def ctx(store_app: tuple[Any, AppContext]) -> AppContext:
    return store_app[1]


@pytest.fixture
async def client(store_app: tuple[Any, AppContext]) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=store_app[0])
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
        yield http


@pytest.fixture
def run_jobs(store_app: tuple[Any, AppContext]) -> Callable[[], Awaitable[int]]:
    async def run() -> int:
        return await drain(store_app[1])

    return run

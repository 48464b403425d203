"""Faults of a scaled Shutter, each on a cluster of its own (tests/support/cluster.py).

An API instance killed mid-stream, the worker killed mid-fan-out, Redis gone, PostgreSQL
unreachable. Each test stops only processes it started itself: its cluster's, its own
redis-server, its own TCP proxy in front of PostgreSQL; the machine's shared PostgreSQL
and Redis are never touched.
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.support.api import User, follow, sign_up
from tests.support.clients import home_ids, name, post_small_photo, wait_for
from tests.support.cluster import Cluster, redis_reachable, start_cluster
from tests.support.live import free_port
from tests.support.tcpproxy import TcpProxy

pytestmark = pytest.mark.cluster


async def _network(http: httpx.AsyncClient, fans: int) -> tuple[User, list[User]]:
    """An author and `fans` followers whose home feeds exist (each has been read once)."""
    author = await sign_up(http, name("author"))
    followers = list(await asyncio.gather(*(sign_up(http, name("fan")) for _ in range(fans))))
    for fan in followers:
        await follow(http, fan, author)
        await home_ids(http, fan)
    return author, followers


async def _all_in_every_feed(
    http: httpx.AsyncClient, fans: list[User], post_ids: list[str], within: float
) -> None:
    wanted = set(post_ids)

    async def everywhere() -> bool:
        feeds = [await home_ids(http, fan) for fan in fans]
        for feed in feeds:
            assert len(feed) == len(set(feed)), "a post twice in one feed"
        return all(wanted <= set(feed) for feed in feeds)

    await wait_for(everywhere, within=within, what=f"{len(wanted)} posts in {len(fans)} feeds")


async def _authored(http: httpx.AsyncClient, author: User) -> list[str]:
    response = await http.get(f"/api/v1/accounts/{author.id}/statuses?limit=40")
    assert response.status_code == 200, response.text
    return [status["id"] for status in response.json()]


async def test_killing_an_api_instance_mid_stream_loses_no_acknowledged_post(
    tmp_path: Path,
) -> None:
    with start_cluster(tmp_path, apis=3) as cluster:
        async with httpx.AsyncClient(base_url=cluster.url, timeout=10) as http:
            author, fans = await _network(http, 4)
            acknowledged: list[str] = []
            retries = [0]

            async def stream(poster: int) -> None:
                for n in range(8):
                    status, retried = await post_small_photo(
                        http, author, f"post {poster}-{n}", seed=n
                    )
                    acknowledged.append(status["id"])
                    retries[0] += retried

            posters = [asyncio.create_task(stream(k)) for k in range(2)]

            async def some_acknowledged() -> bool:
                return len(acknowledged) >= 4

            await wait_for(some_acknowledged, within=15, what="the first posts")
            cluster.kill_api(1)  # mid-stream: two posters have requests in flight
            acknowledged_before_kill = len(acknowledged)
            await asyncio.wait_for(asyncio.gather(*posters), 30)

            assert cluster.apis[1].process.returncode == -signal.SIGKILL
            assert acknowledged_before_kill < len(acknowledged) == 16
            # Each acknowledged post exists once: a retried post was not made twice.
            assert sorted(await _authored(http, author)) == sorted(acknowledged)
            await _all_in_every_feed(http, fans, acknowledged, within=20)


async def _fanout_jobs(cluster: Cluster) -> dict[str, int]:
    conn = await asyncpg.connect(cluster.dsn)
    try:
        rows = await conn.fetch(
            "SELECT status, count(*) AS n FROM jobs WHERE kind LIKE 'feed.fanout%' GROUP BY status"
        )
    finally:
        await conn.close()
    return {row["status"]: row["n"] for row in rows}


async def _fanout_batches_done(cluster: Cluster) -> int:
    """Fan-out jobs past their first batch (each batch enqueues the next with `after`)."""
    conn = await asyncpg.connect(cluster.dsn)
    try:
        return int(
            await conn.fetchval(
                "SELECT count(*) FROM jobs WHERE kind LIKE 'feed.fanout%' "
                "AND coalesce((payload::jsonb ->> 'after')::bigint, 0) <> 0"
            )
        )
    finally:
        await conn.close()


async def test_killing_the_worker_mid_fanout_loses_no_feed_entry(tmp_path: Path) -> None:
    # Two followers per batch: each post's fan-out is a chain of many small jobs. A short
    # lease hands the killed worker's claimed jobs to the next worker soon.
    settings = {"SHUTTER_FANOUT_BATCH_SIZE": "2", "SHUTTER_JOB_LEASE_SECONDS": "2"}
    with start_cluster(tmp_path, apis=2, worker=False, extra_env=settings) as cluster:
        async with httpx.AsyncClient(base_url=cluster.url, timeout=10) as http:
            author, fans = await _network(http, 30)
            posts = [
                (await post_small_photo(http, author, f"post {n}", seed=n))[0] for n in range(3)
            ]
            post_ids = [post["id"] for post in posts]
            assert await _fanout_jobs(cluster), "the posts' fan-out jobs wait for a worker"

            first = cluster.start_worker()

            async def under_way() -> bool:
                return await _fanout_batches_done(cluster) > 0

            await wait_for(
                under_way, within=15, what="the fan-out past its first batch", interval=0.02
            )
            cluster.kill_worker(first)
            left = await _fanout_jobs(cluster)
            assert sum(left.values()) > 0, "the worker finished before it was killed"

            cluster.start_worker()
            await _all_in_every_feed(http, fans, post_ids, within=25)

            async def queue_empty() -> bool:
                # The killed worker's claimed jobs run again once their lease is over.
                return await _fanout_jobs(cluster) == {}

            await wait_for(queue_empty, within=15, what="the fan-out jobs all done")
            await _all_in_every_feed(http, fans, post_ids, within=5)
            assert first.process.returncode == -signal.SIGKILL


# --- Redis gone ---------------------------------------------------------------------------


class OwnRedis:
    """A redis-server of this test's own on a free port, to stop and start at will."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 10
        while not redis_reachable(self.url):
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


@pytest.fixture
def own_redis() -> Iterator[OwnRedis]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    redis = OwnRedis()
    redis.start()
    yield redis
    redis.kill()


def _redis_state(body: object) -> object:
    """Redis's state in a /readyz body: {"redis": …} or {"checks": {"redis": …}}."""
    assert isinstance(body, dict), body
    checks = body.get("checks", body)
    assert isinstance(checks, dict), body
    return checks.get("redis")


async def test_redis_down_reads_and_writes_go_on_and_readyz_says_so(
    tmp_path: Path, own_redis: OwnRedis
) -> None:
    with start_cluster(tmp_path, apis=2, redis_url=own_redis.url) as cluster:
        async with httpx.AsyncClient(base_url=cluster.url, timeout=10) as http:
            author, [fan] = await _network(http, 1)
            before, _ = await post_small_photo(http, author, "while Redis is up")
            await _all_in_every_feed(http, [fan], [before["id"]], within=15)
            ready = await http.get("/readyz")
            assert ready.status_code == 200, ready.text
            assert _redis_state(ready.json()) == "ok"

            own_redis.kill()  # Redis is gone: feeds, cache, rate limits, pub/sub

            for server in cluster.apis:  # every instance says so, and still serves
                degraded = await http.get(f"{server.url}/readyz")
                # Degraded, still ready: the database answers, and it is what counts.
                assert degraded.status_code == 200, degraded.text
                assert _redis_state(degraded.json()) == "down", degraded.text
            # Reads answer from PostgreSQL, through every instance.
            for _ in range(len(cluster.apis)):
                assert before["id"] in await home_ids(http, fan)
                shown = await http.get(f"/api/v1/statuses/{before['id']}", headers=fan.headers)
                assert shown.status_code == 200, shown.text
                account = await http.get(f"/api/v1/accounts/{author.id}")
                assert account.status_code == 200, account.text
            # Writes succeed, and a post made now is in the follower's feed.
            during, _ = await post_small_photo(http, author, "while Redis is down")
            liked = await http.post(
                f"/api/v1/statuses/{during['id']}/favourite", headers=fan.headers
            )
            assert liked.status_code == 200, liked.text
            await _all_in_every_feed(http, [fan], [before["id"], during["id"]], within=15)

            # Redis back (empty, on the same port): ready again, and nothing is missing.
            own_redis.start()

            async def ready_again() -> bool:
                answer = await http.get("/readyz")
                return answer.status_code == 200 and _redis_state(answer.json()) == "ok"

            await wait_for(ready_again, within=15, what="/readyz reporting Redis back")
            after, _ = await post_small_photo(http, author, "Redis is back")
            await _all_in_every_feed(
                http, [fan], [before["id"], during["id"], after["id"]], within=15
            )


# --- PostgreSQL unreachable ------------------------------------------------------------------


async def test_postgres_unreachable_answers_503_and_recovers_without_restart(
    tmp_path: Path,
) -> None:
    with (
        TcpProxy("127.0.0.1", 5432) as proxy,
        start_cluster(tmp_path, apis=2, through=f"127.0.0.1:{proxy.port}") as cluster,
    ):
        pids = [server.process.pid for server in cluster.apis]
        async with httpx.AsyncClient(base_url=cluster.url, timeout=10) as http:
            author, [fan] = await _network(http, 1)
            assert proxy.connections > 0  # the cluster does reach PostgreSQL through it

            proxy.cut()
            urls = [cluster.url, *(server.url for server in cluster.apis)]
            for url in urls:
                refused = await http.get(
                    f"{url}/api/v1/accounts/verify_credentials", headers=fan.headers
                )
                assert refused.status_code == 503, refused.text
                assert int(refused.headers["Retry-After"]) >= 1
                assert "error" in refused.json()
                home = await http.get(f"{url}/api/v1/timelines/home", headers=fan.headers)
                assert home.status_code == 503, home.text
                # Liveness stays green (a restart would not help); readiness does not.
                assert (await http.get(f"{url}/healthz")).status_code == 200
                unready = await http.get(f"{url}/readyz")
                assert unready.status_code == 503, unready.text
                assert unready.json()["database"] == "down"
                assert int(unready.headers["Retry-After"]) >= 1
            posted = await http.post(
                "/api/v1/statuses", headers=author.headers, json={"status": "no database"}
            )
            assert posted.status_code == 503, posted.text

            proxy.resume()

            async def recovered() -> bool:
                answers = [
                    await http.get(f"{url}/api/v1/accounts/verify_credentials", headers=fan.headers)
                    for url in urls
                ]
                return all(answer.status_code == 200 for answer in answers)

            await wait_for(recovered, within=20, what="every instance answering again")
            status, _ = await post_small_photo(http, author, "the database is back")
            await _all_in_every_feed(http, [fan], [status["id"]], within=15)
            # The same processes: nothing was restarted.
            assert [server.process.pid for server in cluster.apis] == pids
            assert all(server.process.poll() is None for server in cluster.apis)
            assert all(worker.process.poll() is None for worker in cluster.workers)

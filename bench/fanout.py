"""Benchmark: fan-out of a post into 10,000 Redis home feeds through the real job code.

Seeds a fresh PostgreSQL database with an author and N followers (default 10,000), builds
every follower's Redis feed (as if each had read it recently: fan-out skips feeds that do
not exist), then, per round: creates a post and enqueues its `feed.fanout` in one
transaction (the real `feed.do_distribute`), runs `shutter worker`'s job loops
(`run_worker`) in this process, and times from the commit until the post is in the last
follower's feed; every follower's feed is then checked. Reports feed inserts per second
(followers / that time).

    .venv/bin/python bench/fanout.py --followers 10000 --rounds 5

Needs PostgreSQL (127.0.0.1:5432, or SHUTTER_TEST_PG) and Redis (127.0.0.1:6379, or
--redis-url); uses its own database (dropped at the end) and key prefix (deleted).
Figures go to the terminal and to bench/results/fanout.json.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Annotated

import asyncpg
import typer
from pydantic import SecretStr
from sqlalchemy import insert

from shutter.assembly import create_context
from shutter.feed import service as feed
from shutter.feed.redis_store import OPEN, RedisFeedStore, member
from shutter.feed.store import feed_store
from shutter.infra.context import AppContext
from shutter.infra.db import utcnow
from shutter.infra.ids import ids, shard_of
from shutter.infra.jobs import run_worker
from shutter.infra.migrate import upgrade
from shutter.infra.settings import Settings
from shutter.models import Account, Follow, Post

PG_ADMIN_DSN = os.environ.get("SHUTTER_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
RESULTS = Path(__file__).resolve().parent / "results" / "fanout.json"
CHUNK = 2_000


def _account(account_id: int, name: str, followers: int = 0, following: int = 0) -> dict:
    now = utcnow()
    return {
        "id": account_id,
        "username": name,
        "username_lower": name,
        "display_name": name,
        "note": "",
        "website": "",
        "locked": False,
        "role": "user",
        "followers_count": followers,
        "following_count": following,
        "statuses_count": 0,
        "created_at": now,
        "updated_at": now,
    }


async def _seed(ctx: AppContext, followers: int) -> tuple[int, list[int]]:
    author_id = ids.next_id(ids.new_shard())
    follower_ids = [ids.next_id(ids.new_shard()) for _ in range(followers)]
    async with ctx.db.write() as session:
        await session.execute(insert(Account), [_account(author_id, "author", followers=followers)])
        for start in range(0, followers, CHUNK):
            chunk = follower_ids[start : start + CHUNK]
            await session.execute(
                insert(Account),
                [_account(a, f"f{start + i}", following=1) for i, a in enumerate(chunk)],
            )
            await session.execute(
                insert(Follow),
                [
                    {
                        "id": ids.next_id(shard_of(a)),
                        "account_id": a,
                        "target_account_id": author_id,
                        "created_at": utcnow(),
                    }
                    for a in chunk
                ],
            )
    store = feed_store(ctx)
    assert isinstance(store, RedisFeedStore)
    client = store._redis()
    for start in range(0, followers, CHUNK):  # every follower read their feed lately
        pipe = client.pipeline(transaction=False)
        for account_id in follower_ids[start : start + CHUNK]:
            pipe.zadd(store.key(account_id), {OPEN: 0})
            pipe.set(store.built_key(account_id), "1", ex=86400)
        await pipe.execute()
    return author_id, sorted(follower_ids)


async def _post(ctx: AppContext, author_id: int) -> int:
    post_id = ids.next_id(shard_of(author_id))
    async with ctx.db.write() as session:
        session.add(
            Post(
                id=post_id,
                account_id=author_id,
                caption="fan-out",
                visibility="public",
                entities={},
                favourites_count=0,
                replies_count=0,
                created_at=utcnow(),
            )
        )
        await session.flush()
        await feed.do_distribute(
            session, store=feed_store(ctx), post_id=post_id, author_id=author_id
        )
    return post_id


async def _round(ctx: AppContext, author_id: int, followers: list[int], loops: int) -> float:
    store = feed_store(ctx)
    assert isinstance(store, RedisFeedStore)
    client = store._redis()
    stop = asyncio.Event()
    workers = [asyncio.create_task(run_worker(ctx, stop, batch=10)) for _ in range(loops)]
    await asyncio.sleep(0.3)  # loops idle and polling, as a running worker's are
    last_key, post_id = store.key(followers[-1]), 0
    started = time.perf_counter()
    post_id = await _post(ctx, author_id)
    wanted = member(post_id, author_id)
    while await client.zscore(last_key, wanted) is None:
        assert time.perf_counter() - started < 60, "the fan-out did not finish in 60 s"
        await asyncio.sleep(0.002)
    elapsed = time.perf_counter() - started
    stop.set()
    await asyncio.gather(*workers)
    pipe = client.pipeline(transaction=False)
    for account_id in followers:
        pipe.zscore(store.key(account_id), wanted)
    missing = sum(score is None for score in await pipe.execute())
    assert missing == 0, f"{missing} feeds lack the post"
    return elapsed


async def _main(
    followers: int, rounds: int, loops: int, batch: int, redis_url: str, poll: float
) -> dict:
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    name = f"shutter_bench_{uuid.uuid4().hex[:8]}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    host = PG_ADMIN_DSN.split("://", 1)[1].rsplit("/", 1)[0]
    url = f"postgresql+asyncpg://{host}/{name}"
    prefix = f"bench-fanout-{uuid.uuid4().hex[:8]}"
    settings = Settings(
        var_dir=Path(tempfile.mkdtemp(prefix="shutter-fanout-")),
        database_url=url,
        secret_key=SecretStr("bench-secret-key-not-for-production"),
        redis_url=redis_url,
        redis_prefix=prefix,
        fanout_batch_size=batch,
        job_poll_seconds=poll,
        log_level="warning",
    )  # type: ignore[call-arg]
    ctx = create_context(settings)
    try:
        await upgrade(url)
        seeded = time.perf_counter()
        author_id, follower_ids = await _seed(ctx, followers)
        print(f"seeded {followers} followers in {time.perf_counter() - seeded:.1f} s")
        times = []
        for i in range(rounds):
            elapsed = await _round(ctx, author_id, follower_ids, loops)
            times.append(elapsed)
            print(f"round {i + 1}: {elapsed * 1000:.0f} ms, {followers / elapsed:,.0f} inserts/s")
    finally:
        store = feed_store(ctx)
        if isinstance(store, RedisFeedStore):
            client = store._redis()
            keys = [k async for k in client.scan_iter(match=f"{prefix}*", count=1000)]
            for start in range(0, len(keys), 1000):
                await client.delete(*keys[start : start + 1000])
        await ctx.close()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    median = statistics.median(times)
    return {
        "followers": followers,
        "fanout_batch_size": batch,
        "worker_loops": loops,
        "rounds_ms": [round(t * 1000) for t in times],
        "median_ms": round(median * 1000),
        "best_ms": round(min(times) * 1000),
        "median_inserts_per_second": round(followers / median),
        "best_inserts_per_second": round(followers / min(times)),
    }


def main(
    followers: Annotated[int, typer.Option(help="Followers of the posting account.")] = 10_000,
    rounds: Annotated[int, typer.Option(help="Posts fanned out (one at a time).")] = 5,
    loops: Annotated[int, typer.Option(help="Job loops (`shutter worker --concurrency`).")] = 2,
    batch: Annotated[int, typer.Option(help="SHUTTER_FANOUT_BATCH_SIZE.")] = Settings.model_fields[
        "fanout_batch_size"
    ].default,
    redis_url: Annotated[
        str, typer.Option(help="Redis of the feeds.")
    ] = "redis://127.0.0.1:6379/0",
    poll: Annotated[float, typer.Option(help="SHUTTER_JOB_POLL_SECONDS.")] = 0.5,
) -> None:
    figures = asyncio.run(_main(followers, rounds, loops, batch, redis_url, poll))
    print(json.dumps(figures, indent=2))
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    typer.run(main)

"""The seeded network the feed benchmarks read: who follows whom, its rows, its databases.

bench/feed.py and bench/scale.py seed it straight into a fresh database: accounts, tokens,
follows, posts with a photo each, and the feed entries fan-out would have written.
"""

from __future__ import annotations

import asyncio
import hashlib
import heapq
import os
import random
import secrets
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from argon2 import PasswordHasher
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import event, insert, text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from shutter.auth.service import digest
from shutter.infra.ids import SHARD_COUNT, compose, shard_of, timestamp_ms_of
from shutter.infra.migrate import upgrade
from shutter.models import (
    Account,
    App,
    Base,
    Credential,
    FeedEntry,
    Follow,
    Media,
    Post,
    Token,
)

PG_ADMIN_DSN = os.environ.get("SHUTTER_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
PASSWORD = "bench-password-1234"
DAY_MS = 86_400_000
CHUNK = 5_000
FEED_CHUNK = 20_000
CAPTIONS = (
    "Golden hour over the harbour.",
    "Morning coffee and a good book ☕",
    "First snow of the year! #winter",
    "Street market colours #travel #photography",
    "Weekend hike, worth every step.",
    "Sunday brunch with friends.",
    "City lights from the rooftop.",
    "Tried a new recipe today — turned out great.",
)

console = Console(width=None if sys.stdout.isatty() else 120)


# --- the network -------------------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    accounts: int
    follows: int
    celebrities: int
    celebrity_followers: int
    posts: int
    feed_max_entries: int
    seed: int


@dataclass
class Network:
    """Who exists, who follows whom and who posted what; accounts are list indices."""

    account_ids: list[int]
    following: list[set[int]]
    celebrities: list[int]
    post_ids: list[int]  # increasing: ids sort by time
    post_authors: list[int]
    post_ms: list[int]
    tokens: list[str] = field(default_factory=list)

    def posts_by_author(self) -> list[list[int]]:
        by_author: list[list[int]] = [[] for _ in self.account_ids]
        for post_id, author in zip(self.post_ids, self.post_authors, strict=True):
            by_author[author].append(post_id)
        return by_author


def _follow_sets(shape: Shape, rng: random.Random) -> tuple[list[set[int]], list[int]]:
    n = shape.accounts
    following: list[set[int]] = []
    for account in range(n):
        want = min(n - 1, max(1, round(rng.gauss(shape.follows, shape.follows / 5))))
        picks = set(rng.sample(range(n), min(n, want + 1)))
        picks.discard(account)
        while len(picks) > want:
            picks.pop()
        following.append(picks)
    celebrities = rng.sample(range(n), min(n, shape.celebrities))
    for celebrity in celebrities:
        fans = rng.sample(range(n), min(n, shape.celebrity_followers + 1))
        for fan in fans:
            if fan != celebrity:
                following[fan].add(celebrity)
    return following, celebrities


def build_network(shape: Shape) -> Network:
    rng = random.Random(shape.seed)
    now_ms = int(time.time() * 1000)
    shards = [rng.randrange(SHARD_COUNT) for _ in range(shape.accounts)]
    joined_ms = now_ms - 90 * DAY_MS
    account_ids = [compose(joined_ms + i, shard, 0) for i, shard in enumerate(shards)]
    following, celebrities = _follow_sets(shape, rng)
    # Posts over the last 30 days, one per distinct millisecond, so ids increase with time.
    start, span = now_ms - 30 * DAY_MS, 30 * DAY_MS - 60_000
    post_ms = [start + i * span // shape.posts for i in range(shape.posts)]
    post_authors = [rng.randrange(shape.accounts) for _ in range(shape.posts)]
    post_ids = [
        compose(ms, shards[author], 0) for ms, author in zip(post_ms, post_authors, strict=True)
    ]
    return Network(account_ids, following, celebrities, post_ids, post_authors, post_ms)


def feed_entries(network: Network, cap: int) -> Iterator[dict[str, int]]:
    """For each account, the newest `cap` posts among its own and its followees' posts."""
    by_author = network.posts_by_author()
    author_of = dict(zip(network.post_ids, network.post_authors, strict=True))
    ids = network.account_ids
    for account, followed in enumerate(network.following):
        candidates = [p for source in (account, *followed) for p in by_author[source]]
        newest = heapq.nlargest(cap, candidates)
        newest.sort()
        account_id = ids[account]
        for post_id in newest:
            yield {
                "account_id": account_id,
                "post_id": post_id,
                "author_id": ids[author_of[post_id]],
            }


def count_feed_entries(network: Network, cap: int) -> int:
    by_author = [len(p) for p in network.posts_by_author()]
    return sum(
        min(cap, by_author[a] + sum(by_author[f] for f in followed))
        for a, followed in enumerate(network.following)
    )


# --- rows --------------------------------------------------------------------------------


def _at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def account_rows(network: Network) -> Iterator[dict[str, Any]]:
    followers = [0] * len(network.account_ids)
    for followed in network.following:
        for target in followed:
            followers[target] += 1
    statuses = [0] * len(network.account_ids)
    last_ms = [0] * len(network.account_ids)
    for author, ms in zip(network.post_authors, network.post_ms, strict=True):
        statuses[author] += 1
        last_ms[author] = max(last_ms[author], ms)
    celebrities = set(network.celebrities)
    for i, account_id in enumerate(network.account_ids):
        username = f"celeb{i:05d}" if i in celebrities else f"user{i:05d}"
        created = _at(timestamp_ms_of(account_id))
        yield {
            "id": account_id,
            "username": username,
            "username_lower": username,
            "display_name": username.title(),
            "note": "Photos of everyday things.",
            "website": "",
            "locked": False,
            "avatar_key": None,
            "role": "user",
            "followers_count": followers[i],
            "following_count": len(network.following[i]),
            "statuses_count": statuses[i],
            "last_status_at": _at(last_ms[i]) if last_ms[i] else None,
            "suspended_at": None,
            "created_at": created,
            "updated_at": created,
        }


def credential_rows(network: Network, password_hash: str) -> Iterator[dict[str, Any]]:
    now = datetime.now(UTC)
    for i, account_id in enumerate(network.account_ids):
        email = f"user{i:05d}@bench.example"
        yield {
            "account_id": account_id,
            "email": email,
            "email_lower": email,
            "password_hash": password_hash,
            "confirmed_at": now,
            "last_login_at": None,
            "created_at": now,
        }


def app_row(app_id: int) -> dict[str, Any]:
    return {
        "id": app_id,
        "name": "bench",
        "website": None,
        "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
        # A full app's scopes: bench/web_home.py uses the same tokens as web sessions,
        # which need the website's (auth/web_sessions.WEBSITE_SCOPES).
        "scopes": "read write follow push",
        "client_id": secrets.token_urlsafe(32),
        "client_secret": secrets.token_urlsafe(32),
        "created_at": datetime.now(UTC),
    }


def token_rows(network: Network, app_id: int) -> Iterator[dict[str, Any]]:
    now_ms = int(time.time() * 1000)
    now = _at(now_ms)
    network.tokens = [secrets.token_urlsafe(32) for _ in network.account_ids]
    for i, (account_id, raw) in enumerate(zip(network.account_ids, network.tokens, strict=True)):
        yield {
            "id": compose(now_ms - DAY_MS + i, shard_of(account_id), 0),
            "token_hash": digest(raw),
            "refresh_hash": None,
            "app_id": app_id,
            "account_id": account_id,
            "scopes": "read write follow push",
            "created_at": now,
            "expires_at": None,
            "revoked_at": None,
        }


def follow_rows(network: Network) -> Iterator[dict[str, Any]]:
    base_ms = int(time.time() * 1000) - 60 * DAY_MS
    ids = network.account_ids
    n = 0
    for follower, followed in enumerate(network.following):
        for target in sorted(followed):
            n += 1
            yield {
                "id": compose(base_ms + n, shard_of(ids[follower]), 0),
                "account_id": ids[follower],
                "target_account_id": ids[target],
                "created_at": _at(base_ms + n),
            }


def post_rows(network: Network, app_id: int) -> Iterator[dict[str, Any]]:
    ids = network.account_ids
    for i, (post_id, author, ms) in enumerate(
        zip(network.post_ids, network.post_authors, network.post_ms, strict=True)
    ):
        yield {
            "id": post_id,
            "account_id": ids[author],
            "caption": CAPTIONS[i % len(CAPTIONS)],
            "visibility": "public",
            "in_reply_to_id": None,
            "in_reply_to_account_id": None,
            "app_id": app_id,
            "version": 1,
            "created_at": _at(ms),
            "edited_at": None,
        }


def _content_key(seed: str, ext: str, prefix: str) -> str:
    h = hashlib.sha256(seed.encode()).hexdigest()
    return f"{prefix}/{h[:2]}/{h[2:4]}/{h}.{ext}"


def media_row(media_id: int, post_id: int, account_id: int, ms: int) -> dict[str, Any]:
    """A processed photo, shaped as shutter.media.service.do_upload writes it."""
    variants = {
        "display": {
            "key": _content_key(f"d{media_id}", "jpg", f"v/{media_id}"),
            "mime": "image/jpeg",
            "width": 1080,
            "height": 1350,
            "bytes": 241_337,
        },
        "preview": {
            "key": _content_key(f"p{media_id}", "jpg", f"v/{media_id}"),
            "mime": "image/jpeg",
            "width": 400,
            "height": 500,
            "bytes": 38_211,
        },
    }
    return {
        "id": media_id,
        "account_id": account_id,
        "post_id": post_id,
        "position": 0,
        "status": "ready",
        "kind": "image",
        "description": "A photo.",
        "focus_x": 0.0,
        "focus_y": 0.0,
        "blurhash": "LEHV6nWB2yk8pyo0adR*.7kCMdnj",
        "original_key": _content_key(f"o{media_id}", "jpg", f"originals/{media_id}"),
        "variants": variants,
        "meta": {"source": {"format": "jpeg", "width": 3024, "height": 3780, "bytes": 2_480_112}},
        "error": None,
        "created_at": _at(ms),
    }


def media_rows(network: Network) -> Iterator[dict[str, Any]]:
    ids = network.account_ids
    for post_id, author, ms in zip(
        network.post_ids, network.post_authors, network.post_ms, strict=True
    ):
        # Uploaded a few seconds before the post; sequence 1 keeps it apart from post ids.
        media_id = compose(ms - 5_000, shard_of(ids[author]), 1)
        yield media_row(media_id, post_id, ids[author], ms)


# --- databases ---------------------------------------------------------------------------


@dataclass
class Database:
    backend: str
    url: str
    var_dir: Path
    drop_pg: str | None = None  # name of the PostgreSQL database to drop at the end


def create_database(backend: str) -> Database:
    var_dir = Path(tempfile.mkdtemp(prefix=f"shutter-bench-{backend}-"))
    if backend == "sqlite":
        return Database(backend, f"sqlite+aiosqlite:///{var_dir / 'shutter.db'}", var_dir)
    name = f"shutter_bench_{uuid.uuid4().hex[:10]}"
    _on_server(f'CREATE DATABASE "{name}"')
    host_part = PG_ADMIN_DSN.split("://", 1)[1].rsplit("/", 1)[0]
    return Database(backend, f"postgresql+asyncpg://{host_part}/{name}", var_dir, name)


def drop_database(db: Database) -> None:
    if db.drop_pg:
        _on_server(f'DROP DATABASE IF EXISTS "{db.drop_pg}" WITH (FORCE)')
    shutil.rmtree(db.var_dir, ignore_errors=True)


def _on_server(sql: str) -> None:
    """One statement through the PostgreSQL server's admin database."""

    async def run() -> None:
        admin = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
        try:
            await admin.execute(sql)
        finally:
            await admin.close()

    asyncio.run(run())


def _chunks(rows: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


async def _insert(
    conn: AsyncConnection,
    progress: Progress,
    model: type[Base],
    rows: Iterable[dict[str, Any]],
    total: int,
    size: int = CHUNK,
) -> None:
    task = progress.add_task(model.__tablename__, total=total)
    for chunk in _chunks(rows, size):
        await conn.execute(insert(model), chunk)
        progress.advance(task, len(chunk))
    progress.update(task, total=progress.tasks[task].completed)


def _seed_engine(url: str) -> Any:
    engine = create_async_engine(url)
    if url.startswith("sqlite"):

        @event.listens_for(engine.sync_engine, "connect")
        def _fast_and_loose(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("PRAGMA cache_size=-400000")
            cursor.close()

    return engine


async def seed(db: Database, network: Network, shape: Shape) -> dict[str, int]:
    """Migrate the fresh database and write the whole network; returns row counts."""
    await upgrade(db.url)
    password_hash = PasswordHasher().hash(PASSWORD)  # one hash (default cost) for everybody
    app_id = compose(int(time.time() * 1000) - 100 * DAY_MS, 0, 0)
    n = len(network.account_ids)
    counts = {
        "accounts": n,
        "follows": sum(len(f) for f in network.following),
        "posts": len(network.post_ids),
        "feed_entries": count_feed_entries(network, shape.feed_max_entries),
    }
    engine = _seed_engine(db.url)
    columns = (
        TextColumn("{task.description:>14}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    try:
        with Progress(*columns, console=console) as progress:
            async with engine.begin() as conn:
                await _insert(conn, progress, Account, account_rows(network), n)
                await _insert(
                    conn, progress, Credential, credential_rows(network, password_hash), n
                )
                await _insert(conn, progress, App, [app_row(app_id)], 1)
                await _insert(conn, progress, Token, token_rows(network, app_id), n)
                await _insert(conn, progress, Follow, follow_rows(network), counts["follows"])
                await _insert(conn, progress, Post, post_rows(network, app_id), counts["posts"])
                await _insert(conn, progress, Media, media_rows(network), counts["posts"])
                await _insert(
                    conn,
                    progress,
                    FeedEntry,
                    feed_entries(network, shape.feed_max_entries),
                    counts["feed_entries"],
                    FEED_CHUNK,
                )
        await _settle(db, engine)
    finally:
        await engine.dispose()
    return counts


async def _settle(db: Database, engine: Any) -> None:
    """Leave the database as a server would find it after a quiet while."""
    if db.backend == "sqlite":
        async with engine.connect() as conn:
            await conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        return
    # What autovacuum would have done by now: statistics and the visibility map.
    dsn = db.url.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()

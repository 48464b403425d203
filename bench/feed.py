"""Benchmark: home-feed reads through the real server, on SQLite and on PostgreSQL.

Seeds a network straight into a fresh database (accounts, tokens, follows, posts with a
photo each, and the feed entries fan-out would have written), starts `shutter serve`,
and loads `/api/v1/timelines/home?limit=20` with wrk, each request carrying a random
account's token. A hello-world route of the same server is measured in the same run,
so the ratio says how much of the server's capacity a feed read costs. Also reports the
cold start (spawn to first 200 on /healthz) and idle memory of `shutter serve`.

    .venv/bin/python bench/feed.py --backend both

Figures go to the terminal and to bench/results/feed-<backend>.json.
"""

from __future__ import annotations

import asyncio
import hashlib
import heapq
import http.client
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import asyncpg
import psutil
import typer
from argon2 import PasswordHasher
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import event, insert, text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from shutter.auth.service import digest
from shutter.infra.ids import SHARD_COUNT, compose, shard_of, timestamp_ms_of
from shutter.infra.migrate import upgrade
from shutter.infra.settings import Settings
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

REPO = Path(__file__).resolve().parent.parent
LUA_SCRIPT = Path(__file__).resolve().parent / "feed.lua"
RESULTS_DIR = Path(__file__).resolve().parent / "results"
FEED_PATH = "/api/v1/timelines/home?limit=20"
HELLO_PATH = "/api/v1/shutter/hello"
HEALTH_PATH = "/healthz"
PG_ADMIN_DSN = os.environ.get("SHUTTER_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
SECRET_KEY = "bench-secret-key-not-for-production"
PASSWORD = "bench-password-1234"
DAY_MS = 86_400_000
CHUNK = 5_000
FEED_CHUNK = 20_000
TAKAHE_RPS = 29.0

# What the issue asks of the embedded default (SQLite), at concurrency 16.
TARGET_RPS = 300.0
TARGET_P99_MS = 100.0
TARGET_COLD_START_S = 2.0
TARGET_IDLE_MB = 150.0

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
        "scopes": "read write follow",
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
            "scopes": "read write follow",
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

    async def create() -> None:
        admin = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()

    asyncio.run(create())
    host_part = PG_ADMIN_DSN.split("://", 1)[1].rsplit("/", 1)[0]
    return Database(backend, f"postgresql+asyncpg://{host_part}/{name}", var_dir, name)


def drop_database(db: Database) -> None:
    if db.drop_pg:

        async def drop() -> None:
            admin = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
            try:
                await admin.execute(f'DROP DATABASE IF EXISTS "{db.drop_pg}" WITH (FORCE)')
            finally:
                await admin.close()

        asyncio.run(drop())
    shutil.rmtree(db.var_dir, ignore_errors=True)


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


# --- the server --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(db: Database) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHUTTER_")}
    env.update(
        SHUTTER_DATABASE_URL=db.url,
        SHUTTER_VAR_DIR=str(db.var_dir),
        SHUTTER_SECRET_KEY=SECRET_KEY,
        SHUTTER_LOG_LEVEL="warning",
        SHUTTER_EMBEDDED_WORKERS="0",  # no job work during a read benchmark
        # Rate limits stay on (their cost is part of every request) but high enough that
        # one load generator on 127.0.0.1 is not refused.
        SHUTTER_RATE_LIMIT_REQUESTS="100000000",
    )
    return env


def http_get(
    port: int, path: str, token: str | None = None, timeout: float = 10.0
) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def process_tree(pid: int) -> list[psutil.Process]:
    """A process and all its descendants (a server's workers)."""
    parent = psutil.Process(pid)
    return [parent, *parent.children(recursive=True)]


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log: Path
    started_s: float  # spawn to first 200 on /healthz

    def tree(self) -> list[psutil.Process]:
        return process_tree(self.process.pid)

    def rss_mb(self) -> float:
        total = 0
        for proc in self.tree():
            try:
                total += proc.memory_info().rss
            except psutil.NoSuchProcess:
                continue
        return total / 2**20

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def start_server(db: Database, workers: int, timeout_s: float = 60.0) -> Server:
    port = free_port()
    log = db.var_dir / f"server-{port}.log"
    command = [sys.executable, "-m", "shutter", "serve"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    with log.open("wb") as out:
        spawned = time.perf_counter()
        process = subprocess.Popen(
            command, cwd=db.var_dir, env=server_env(db), stdout=out, stderr=subprocess.STDOUT
        )
    server = Server(process, port, log, 0.0)
    deadline = spawned + timeout_s
    while time.perf_counter() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"shutter serve exited with {process.returncode}:\n{server.log_tail()}"
            )
        try:
            if http_get(port, HEALTH_PATH, timeout=1.0)[0] == 200:
                server.started_s = time.perf_counter() - spawned
                return server
        except OSError:
            pass
        time.sleep(0.005)
    stop_server(server)
    raise RuntimeError(f"shutter serve did not answer /healthz in {timeout_s:.0f} s")


def stop_server(server: Server) -> None:
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            for proc in reversed(server.tree()):
                proc.kill()
            server.process.wait(timeout=5)


@contextmanager
def running_server(db: Database, workers: int) -> Iterator[Server]:
    server = start_server(db, workers)
    try:
        yield server
    finally:
        stop_server(server)


@dataclass
class StartupFigures:
    cold_starts_s: list[float]
    idle_rss_mb: float

    @property
    def best_cold_start_s(self) -> float:
        return min(self.cold_starts_s)


def measure_startup(db: Database, spawns: int = 3, settle_s: float = 2.0) -> StartupFigures:
    """Cold start of `shutter serve --workers 1` (best of `spawns`) and its idle RSS."""
    starts: list[float] = []
    rss = 0.0
    for i in range(spawns):
        with running_server(db, workers=1) as server:
            starts.append(server.started_s)
            if i == 0:
                time.sleep(settle_s)
                rss = server.rss_mb()
    return StartupFigures(starts, rss)


# --- load --------------------------------------------------------------------------------


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    for command in ([*sudo, "apt-get", "update"], [*sudo, "apt-get", "install", "-y", "wrk"]):
        console.print(f"wrk is missing; running: {' '.join(command)}")
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    found = shutil.which("wrk")
    if not found:
        raise RuntimeError("wrk is still not on PATH after apt-get install wrk")
    return found


@dataclass
class LoadResult:
    path: str
    concurrency: int
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: int
    command: str

    @property
    def valid(self) -> bool:
        return self.requests > 0 and self.non_2xx == 0 and self.socket_errors == 0


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}
_UNITS_S = {"us": 1e-6, "ms": 0.001, "s": 1.0, "m": 60.0}


def _percentile_ms(output: str, percentile: str) -> float:
    match = re.search(rf"^\s+{percentile}%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.M)
    if not match:
        raise ValueError(f"no {percentile}% line in wrk output:\n{output}")
    return float(match.group(1)) * _UNITS_MS[match.group(2)]


def parse_wrk(output: str, path: str, concurrency: int, command: str) -> LoadResult:
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.M)
    total = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", output)
    if not rps or not total:
        raise ValueError(f"unexpected wrk output:\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return LoadResult(
        path=path,
        concurrency=concurrency,
        requests=int(total.group(1)),
        seconds=float(total.group(2)) * _UNITS_S[total.group(3)],
        rps=float(rps.group(1)),
        p50_ms=_percentile_ms(output, "50"),
        p99_ms=_percentile_ms(output, "99"),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(g) for g in sockets.groups()) if sockets else 0,
        command=command,
    )


def run_wrk(
    wrk: str, port: int, path: str, concurrency: int, duration_s: int, tokens_file: Path
) -> LoadResult:
    threads = min(2, concurrency)
    command = [wrk, f"-t{threads}", f"-c{concurrency}", f"-d{duration_s}s", "--latency"]
    command += ["--timeout", "10s", "-s", str(LUA_SCRIPT), f"http://127.0.0.1:{port}{path}"]
    command += ["--", str(tokens_file)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr}{done.stdout}")
    shown = " ".join(Path(c).name if c in (wrk, str(LUA_SCRIPT)) else c for c in command)
    return parse_wrk(done.stdout, path, concurrency, shown)


def verify_feed(server: Server, tokens: Sequence[str]) -> None:
    """One home-feed read must return 200 with 20 statuses, or the figures mean nothing."""
    status, body = http_get(server.port, FEED_PATH, tokens[0])
    problem = None
    if status != 200:
        problem = f"HTTP {status}"
    else:
        statuses = json.loads(body)
        if not isinstance(statuses, list) or len(statuses) != 20:
            count = len(statuses) if isinstance(statuses, list) else "not a list"
            problem = f"{count} statuses instead of 20"
        elif not statuses[0].get("media_attachments"):
            problem = "statuses without media_attachments"
    if problem:
        raise RuntimeError(
            f"GET {FEED_PATH} is not serving feeds ({problem}):\n"
            f"{body[:600].decode(errors='replace')}\n--- server log ---\n{server.log_tail()}"
        )
    status, body = http_get(server.port, HELLO_PATH)
    if status != 200:
        raise RuntimeError(f"GET {HELLO_PATH} answered {status}: {body[:300]!r}")


# --- one backend -------------------------------------------------------------------------


@dataclass
class Pair:
    feed: LoadResult
    hello: LoadResult

    @property
    def ratio(self) -> float:
        return self.feed.rps / self.hello.rps if self.hello.rps else 0.0


@dataclass
class BackendReport:
    backend: str
    workers: int
    shape: Shape
    rows: dict[str, int]
    seed_s: float
    startup: StartupFigures
    pairs: list[Pair]
    rss_after_load_mb: float
    machine: dict[str, Any]
    load_average: dict[str, list[float]]  # 1/5/15-min load before and after the load runs


def machine_info() -> dict[str, Any]:
    model = "unknown"
    with Path("/proc/cpuinfo").open() as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": sys.version.split()[0],
    }


def run_backend(
    backend: str,
    shape: Shape,
    *,
    concurrencies: list[int],
    duration_s: int,
    workers: int,
    warmup_s: int,
    keep: bool,
) -> BackendReport:
    wrk = ensure_wrk()
    console.rule(f"[bold]{backend}")
    network = build_network(shape)
    db = create_database(backend)
    try:
        began = time.perf_counter()
        rows = asyncio.run(seed(db, network, shape))
        seed_s = time.perf_counter() - began
        console.print(f"Seeded {rows} in {seed_s:.1f} s")
        tokens_file = db.var_dir / "tokens.txt"
        tokens_file.write_text("\n".join(network.tokens) + "\n")
        startup = measure_startup(db)
        console.print(
            f"Cold start {startup.best_cold_start_s:.2f} s (best of "
            f"{', '.join(f'{s:.2f}' for s in startup.cold_starts_s)}), "
            f"idle RSS {startup.idle_rss_mb:.0f} MB"
        )
        pairs: list[Pair] = []
        load_before = [round(x, 2) for x in os.getloadavg()]
        with running_server(db, workers) as server:
            verify_feed(server, network.tokens)
            if warmup_s:
                run_wrk(wrk, server.port, FEED_PATH, concurrencies[0], warmup_s, tokens_file)
            for concurrency in concurrencies:
                feed = run_wrk(wrk, server.port, FEED_PATH, concurrency, duration_s, tokens_file)
                hello = run_wrk(wrk, server.port, HELLO_PATH, concurrency, duration_s, tokens_file)
                pairs.append(Pair(feed, hello))
                console.print(
                    f"c={concurrency}: feed {feed.rps:.0f} req/s (p99 {feed.p99_ms:.1f} ms), "
                    f"hello {hello.rps:.0f} req/s"
                )
            rss_after = server.rss_mb()
        load_after = [round(x, 2) for x in os.getloadavg()]
    finally:
        if keep:
            console.print(f"Kept the database: {db.url} (tokens in {db.var_dir / 'tokens.txt'})")
        else:
            drop_database(db)
    load = {"before": load_before, "after": load_after}
    return BackendReport(
        backend, workers, shape, rows, seed_s, startup, pairs, rss_after, machine_info(), load
    )


# --- reporting ---------------------------------------------------------------------------


def _mark(ok: bool) -> str:
    return "[green]✓[/green]" if ok else "[red]✗[/red]"


PAIR_HEADINGS = (
    *("conc.", "feed req/s", "p50 ms", "p99 ms"),
    *("hello req/s", "hello p99 ms", "feed/hello", "errors"),
)


def pair_cells(pair: Pair) -> list[str]:
    """One feed/hello pair as table cells, under PAIR_HEADINGS."""
    feed, hello = pair.feed, pair.hello
    errors = feed.non_2xx + feed.socket_errors + hello.non_2xx + hello.socket_errors
    return [
        str(feed.concurrency),
        f"{feed.rps:.0f}",
        f"{feed.p50_ms:.1f}",
        f"{feed.p99_ms:.1f}",
        f"{hello.rps:.0f}",
        f"{hello.p99_ms:.1f}",
        f"{pair.ratio:.3f}",
        str(errors),
    ]


def results_table(reports: list[BackendReport]) -> Table:
    table = Table(title="Home feed (20 posts) through `shutter serve`")
    for heading in ("backend", "workers", *PAIR_HEADINGS):
        table.add_column(heading, justify="right")
    for report in reports:
        for pair in report.pairs:
            table.add_row(report.backend, str(report.workers), *pair_cells(pair))
    return table


def target_lines(report: BackendReport) -> list[str]:
    lines = [
        f"{report.backend}: cold start {report.startup.best_cold_start_s:.2f} s "
        f"{_mark(report.startup.best_cold_start_s <= TARGET_COLD_START_S)} (≤ 2 s), "
        f"idle RSS {report.startup.idle_rss_mb:.0f} MB "
        f"{_mark(report.startup.idle_rss_mb <= TARGET_IDLE_MB)} (≤ 150 MB), "
        f"RSS after load ({report.workers} workers) {report.rss_after_load_mb:.0f} MB",
        f"{report.backend}: load average before/after the runs "
        f"{report.load_average['before'][0]:.2f}/{report.load_average['after'][0]:.2f} "
        f"on {report.machine['nproc']} CPUs (others' work on the machine skews figures)",
    ]
    for pair in report.pairs:
        feed = pair.feed
        if feed.concurrency == 16:
            lines.append(
                f"{report.backend}: c16 feed {feed.rps:.0f} req/s {_mark(feed.rps >= TARGET_RPS)} "
                f"(≥ 300, {feed.rps / TAKAHE_RPS:.1f}× Takahe's ~29), p99 {feed.p99_ms:.1f} ms "
                f"{_mark(feed.p99_ms <= TARGET_P99_MS)} (≤ 100 ms)"
            )
        for result in (pair.feed, pair.hello):
            if not result.valid:
                lines.append(
                    f"[red]{report.backend}: {result.path} at c{result.concurrency} had "
                    f"{result.non_2xx} non-2xx and {result.socket_errors} socket errors — "
                    "not a valid figure[/red]"
                )
    return lines


def write_json(report: BackendReport) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"feed-{report.backend}.json"
    body = asdict(report)
    body["startup"]["best_cold_start_s"] = report.startup.best_cold_start_s
    for pair, raw in zip(report.pairs, body["pairs"], strict=True):
        raw["ratio"] = pair.ratio
        raw["valid"] = pair.feed.valid and pair.hello.valid
    body["recorded_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    body["argv"] = sys.argv
    path.write_text(json.dumps(body, indent=2) + "\n")
    return path


# --- command line ------------------------------------------------------------------------

cli = typer.Typer(add_completion=False, pretty_exceptions_enable=False)


def _concurrencies(raw: str) -> list[int]:
    try:
        values = [int(part) for part in raw.split(",") if part.strip()]
    except ValueError:
        raise typer.BadParameter("a comma-separated list of integers, e.g. 16,64") from None
    if not values or min(values) < 1:
        raise typer.BadParameter("a comma-separated list of positive integers")
    return values


@cli.command()
def main(
    backend: Annotated[str, typer.Option(help="sqlite, postgres or both.")] = "both",
    accounts: Annotated[int, typer.Option(min=2)] = 2000,
    follows: Annotated[int, typer.Option(min=1, help="Accounts each account follows.")] = 100,
    celebrities: Annotated[int, typer.Option(min=0)] = 5,
    celebrity_followers: Annotated[int, typer.Option(min=1)] = 1000,
    posts: Annotated[int, typer.Option(min=1)] = 40000,
    duration: Annotated[int, typer.Option(min=1, help="Seconds per wrk run.")] = 15,
    concurrency: Annotated[str, typer.Option(help="Comma-separated connection counts.")] = "16,64",
    workers: Annotated[int, typer.Option(min=1, help="Server processes under load.")] = 2,
    warmup: Annotated[int, typer.Option(min=0, help="Seconds of feed load before measuring.")] = 3,
    seed: Annotated[int, typer.Option(help="Random seed of the network.")] = 1,
    keep: Annotated[bool, typer.Option(help="Keep the seeded database(s).")] = False,
) -> None:
    """Seed a network, load the home feed through `shutter serve`, print the figures."""
    backends = {"sqlite": ["sqlite"], "postgres": ["postgres"], "both": ["sqlite", "postgres"]}
    if backend not in backends:
        raise typer.BadParameter("sqlite, postgres or both", param_hint="--backend")
    shape = Shape(
        accounts=accounts,
        follows=follows,
        celebrities=celebrities,
        celebrity_followers=celebrity_followers,
        posts=posts,
        feed_max_entries=Settings.model_fields["feed_max_entries"].default,
        seed=seed,
    )
    levels = _concurrencies(concurrency)
    reports: list[BackendReport] = []
    for name in backends[backend]:
        report = run_backend(
            name,
            shape,
            concurrencies=levels,
            duration_s=duration,
            workers=workers,
            warmup_s=warmup,
            keep=keep,
        )
        reports.append(report)
        console.print(f"Wrote {write_json(report).relative_to(REPO)}")
    console.print(results_table(reports))
    for report in reports:
        for line in target_lines(report):
            console.print(line)
    if any(not (p.feed.valid and p.hello.valid) for r in reports for p in r.pairs):
        raise typer.Exit(1)


if __name__ == "__main__":
    cli()

"""A scaled Shutter on one machine: API processes and a worker behind nginx.

    with start_cluster(tmp_path, apis=3) as cluster:
        httpx.get(f"{cluster.url}/healthz")          # through nginx (round-robin)
        httpx.get(f"{cluster.apis[1].url}/healthz")  # one instance directly
        cluster.kill_api(1)                          # SIGKILL, as a crash would

Every process listens on a free port of 127.0.0.1 and shares one fresh PostgreSQL
database (created, migrated, dropped) and one Redis key prefix (its keys are deleted at
the end, nothing else). The API processes run no jobs (SHUTTER_EMBEDDED_WORKERS=0): all
background work is the `shutter worker`'s, so a test can stop, kill and restart it.
nginx runs from its own config in the cluster's temp dir (never the machine's), in the
foreground as a child process, and passes the client's address in X-Forwarded-For.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TypeVar

import httpx
import pytest

from tests import conftest
from tests.support.live import LiveServer, free_port, run_shutter, shutter_env

T = TypeVar("T")
REDIS_URL = "redis://127.0.0.1:6379/0"
START_TIMEOUT = 40.0  # several Python processes importing the app at once on 2 cores

NGINX_CONF = """\
daemon off;
{user}
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log {tmp}/access.log;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    client_max_body_size 50m;

    upstream shutter {{
{servers}
        keepalive 32;
    }}

    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ''      '';
    }}

    server {{
        listen 127.0.0.1:{port};

        proxy_http_version 1.1;
        # A dead instance refuses connections; nginx then tries the next one.
        proxy_next_upstream error timeout;
        proxy_connect_timeout 2s;

        location /api/v1/streaming {{
            proxy_pass http://shutter;
            # proxy_set_header is inherited only by a block that sets none: so each sets all.
            proxy_set_header Host $http_host;
            # The edge proxy overwrites (not appends): a client cannot name its own address.
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_buffering off;
            proxy_read_timeout 1h;
        }}

        location / {{
            proxy_pass http://shutter;
            proxy_set_header Host $http_host;
            # The edge proxy overwrites (not appends): a client cannot name its own address.
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header Connection "";
        }}
    }}
}}
"""


def _ensure(command: str) -> None:
    if shutil.which(command) is None:
        if os.environ.get("CI"):
            pytest.fail(f"{command} is required in CI (.ci/run installs it)")
        pytest.skip(f"{command} is not installed")


def redis_reachable(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_timeout=2).ping())
    except redis.RedisError:
        return False


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion, also from inside a running loop (an async test)."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, coroutine).result()


def _new_database() -> tuple[str, str]:
    """A fresh PostgreSQL database: (its URL, its name)."""
    made = _run(conftest._postgres_database())
    if made is None:
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432 (set CI=1 to fail instead)")
    url, _drop = made
    return url, url.rsplit("/", 1)[1]


def _drop_database(name: str) -> None:
    import asyncpg

    async def drop() -> None:
        admin = await asyncpg.connect(conftest.PG_ADMIN_DSN)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()

    _run(drop())


def _delete_keys(redis_url: str, prefix: str) -> None:
    """Delete this run's keys only (SCAN + DEL); the Redis server is shared."""
    import redis

    try:
        client = redis.Redis.from_url(redis_url, socket_timeout=5)
        batch: list[bytes] = []
        for key in client.scan_iter(match=f"{prefix}*", count=1000):
            batch.append(key)
            if len(batch) >= 500:
                client.delete(*batch)
                batch.clear()
        if batch:
            client.delete(*batch)
    except redis.RedisError:
        pass  # a test's own Redis may be gone; the shared one never holds foreign keys of ours


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@dataclass
class Nginx:
    process: subprocess.Popen[bytes]
    url: str
    folder: Path

    def error_log(self) -> str:
        path = self.folder / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""


@dataclass
class Cluster:
    """Handles on the processes of one scaled Shutter; see the module docstring."""

    database_url: str  # what the processes connect to (maybe through a test's TCP proxy)
    direct_database_url: str  # the database itself, for the test's own queries
    var_dir: Path
    folder: Path
    env: dict[str, str]
    redis_url: str
    redis_prefix: str
    apis: list[LiveServer] = field(default_factory=list)
    workers: list[Worker] = field(default_factory=list)
    nginx: Nginx | None = None

    @property
    def url(self) -> str:
        assert self.nginx is not None
        return self.nginx.url

    @property
    def dsn(self) -> str:
        """The database for asyncpg.connect (the test's direct view)."""
        return self.direct_database_url.replace("postgresql+asyncpg://", "postgresql://")

    def start_worker(self, extra_env: dict[str, str] | None = None) -> Worker:
        """Start a `shutter worker` and return once it announces its job loops."""
        worker = self._spawn_worker(extra_env)
        self._wait_worker(worker)
        return worker

    def _spawn_worker(self, extra_env: dict[str, str] | None = None) -> Worker:
        log = self.folder / f"worker-{len(self.workers)}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "shutter", "worker", "--concurrency", "2"],
                env={**self.env, **(extra_env or {})},
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=tempfile.gettempdir(),
            )
        worker = Worker(process, log)
        self.workers.append(worker)
        return worker

    def _wait_worker(self, worker: Worker) -> None:
        process = worker.process
        deadline = time.monotonic() + START_TIMEOUT
        while "Shutter worker:" not in worker.output():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"shutter worker did not start:\n{worker.output()}")
            time.sleep(0.05)

    def kill_worker(self, worker: Worker) -> None:
        worker.process.send_signal(signal.SIGKILL)
        worker.process.wait(10)

    def kill_api(self, index: int) -> None:
        """SIGKILL one API process: no graceful shutdown, requests in flight are cut."""
        server = self.apis[index]
        server.process.send_signal(signal.SIGKILL)
        server.process.wait(10)

    def logs(self) -> str:
        """Every process's output, for an assertion message."""
        parts = [f"--- api {s.url} ---\n{s.captured_stderr()[-3000:]}" for s in self.apis]
        parts += [f"--- worker {w.log.name} ---\n{w.output()[-3000:]}" for w in self.workers]
        if self.nginx is not None:
            parts.append(f"--- nginx ---\n{self.nginx.error_log()[-2000:]}")
        return "\n".join(parts)

    def stop(self) -> None:
        if self.nginx is not None:
            _terminate(self.nginx.process)
        for worker in self.workers:
            _terminate(worker.process)
        for server in self.apis:
            if server.process.poll() is not None and not server.stderr.closed:
                server.stderr.close()
            elif not server.stderr.closed:
                server.stop()


def _terminate(process: subprocess.Popen[bytes], timeout: float = 10) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _spawn_api(cluster: Cluster, extra_env: dict[str, str]) -> LiveServer:
    port = free_port()
    stderr: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115  (closed by stop())
    command = [sys.executable, "-m", "shutter", "serve", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--forwarded-allow-ips", "127.0.0.1"]
    env = {**cluster.env, **extra_env}
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=stderr, cwd=tempfile.gettempdir()
    )
    return LiveServer(process=process, url=f"http://127.0.0.1:{port}", stderr=stderr, env=env)


def _wait_answering(url: str, process: subprocess.Popen[bytes], what: str, log: str = "") -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        time.sleep(0.05)
    raise RuntimeError(f"{what} not answering /healthz after {START_TIMEOUT}s {log}")


def _start_nginx(cluster: Cluster, port: int) -> Nginx:
    _ensure("nginx")
    folder = cluster.folder / "nginx"
    folder.mkdir()
    servers = "\n".join(
        f"        server {s.url.split('://', 1)[1]} max_fails=1 fail_timeout=5s;"
        for s in cluster.apis
    )
    # As root the master hands work to `user`'s processes; ours must read our temp dir.
    user = "user root;" if os.geteuid() == 0 else ""
    conf = folder / "nginx.conf"
    conf.write_text(NGINX_CONF.format(user=user, tmp=folder, servers=servers, port=port))
    command = [shutil.which("nginx") or "nginx", "-c", str(conf), "-p", str(folder)]
    command += ["-e", str(folder / "error.log")]
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, cwd=str(folder)
    )
    nginx = Nginx(process, f"http://127.0.0.1:{port}", folder)
    try:
        _wait_answering(nginx.url, process, "nginx")
    except RuntimeError as exc:
        raise RuntimeError(f"{exc}:\n{nginx.error_log()}") from None
    return nginx


@contextlib.contextmanager
def start_cluster(
    folder: Path,
    *,
    apis: int = 3,
    worker: bool = True,
    extra_env: dict[str, str] | None = None,
    redis_url: str = REDIS_URL,
    database_url: str | None = None,
    through: str | None = None,
) -> Iterator[Cluster]:
    """Start `apis` API processes, a worker (unless `worker=False`) and nginx.

    `database_url` reuses a database the caller made (and drops); otherwise a fresh one
    is made and dropped here. `through` is a host:port the processes reach that database
    by instead (a test's TCP proxy); migrations always run on the direct URL.
    """
    _ensure("nginx")
    if not redis_reachable(redis_url):
        if os.environ.get("CI"):
            pytest.fail(f"Redis at {redis_url} is required in CI")
        pytest.skip(f"Redis is not reachable at {redis_url}")
    owned = database_url is None
    if database_url is None:
        database_url, name = _new_database()
    else:
        name = database_url.rsplit("/", 1)[1]
    served_url = database_url
    if through is not None:
        served_url = f"postgresql+asyncpg://postgres@{through}/{name}"
    prefix = f"cluster-{uuid.uuid4().hex}"
    nginx_port = free_port()
    var_dir = folder / "var"  # shared by every process: media files live here
    env = shutter_env(
        served_url,
        var_dir,
        base_url=f"http://127.0.0.1:{nginx_port}",
        extra_env={
            "SHUTTER_REDIS_URL": redis_url,
            "SHUTTER_REDIS_PREFIX": prefix,
            "SHUTTER_EMBEDDED_WORKERS": "0",
            **(extra_env or {}),
        },
    )
    cluster = Cluster(served_url, database_url, var_dir, folder, env, redis_url, prefix)
    try:
        migrated = run_shutter(["migrate"], {**env, "SHUTTER_DATABASE_URL": database_url})
        if migrated.returncode != 0:
            raise RuntimeError(f"shutter migrate failed:\n{migrated.stderr}")
        # Spawned together, then awaited: the imports overlap instead of queueing.
        cluster.apis = [_spawn_api(cluster, {}) for _ in range(apis)]
        started = cluster._spawn_worker() if worker else None
        for server in cluster.apis:
            try:
                _wait_answering(server.url, server.process, "shutter serve")
            except RuntimeError as exc:
                raise RuntimeError(f"{exc}:\n{server.captured_stderr()}") from None
        if started is not None:
            cluster._wait_worker(started)
        cluster.nginx = _start_nginx(cluster, nginx_port)
        yield cluster
    finally:
        cluster.stop()
        _delete_keys(redis_url, prefix)
        if owned:
            _drop_database(name)

"""Benchmark: home-feed reads through two API processes behind nginx, on PostgreSQL + Redis.

The scaled profile's read path as deployed: `wrk` → nginx (round-robin, keep-alive to the
upstreams) → two `shutter serve` processes with SHUTTER_REDIS_URL set (feeds, entity
cache and rate limits in Redis) → PostgreSQL. The network is seeded with bench/network.py's
functions (2,000 accounts, ~100 followees each, 40,000 posts with a photo), every
account's feed is read three times on each API process (so each feed is in Redis and
each process uses each token's remembered caller, as for an active user), then
`GET /api/v1/timelines/home?limit=20` is loaded with a random account's token per
request, and the hello-world route of the same servers right after it, at the same
concurrency. `--topology workers` also measures one `shutter serve --workers 2` with
wrk straight at it (no nginx), to show what the proxy costs on the same two cores.

    .venv/bin/python bench/scale.py

Each load run also reports the CPU it cost per request in the API processes, nginx,
PostgreSQL and Redis (the kernel's counts before and after it; the machine's PostgreSQL
and Redis count whatever else they serve meanwhile): this machine's speed drifts by a
third within an hour, and where the CPU goes is steadier than requests per second.

Fan-out figures (inserts/s, time until a 10,000-follower post is everywhere) are
bench/fanout.py's. Figures go to the terminal and to bench/results/scale.json.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import httpx
import psutil
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench import feed as base  # noqa: E402  (bench/ is not a package on sys.path)
from bench.network import (  # noqa: E402
    Database,
    Network,
    Shape,
    build_network,
    create_database,
    drop_database,
)
from bench.network import seed as seed_network  # noqa: E402  (main's option is `seed`)
from shutter.infra.settings import Settings  # noqa: E402
from tests.support.cluster import NGINX_CONF, _delete_keys, redis_reachable  # noqa: E402

console = base.console
REDIS_URL = os.environ.get("SHUTTER_BENCH_REDIS", "redis://127.0.0.1:6379/0")
TARGET_RPS = 1000.0
TARGET_P99_MS = 50.0
# Reads of every feed on each API process before the load: a process learns a token's
# account on its first read, remembers its caller on the second and uses it from the
# third (shutter/auth/callers.py), the steady state of an active user.
WARM_PASSES = 3
WORKERS_WARM_PASSES = 10


@dataclass
class Processes:
    """What serves one topology: API processes (and nginx) and the port wrk loads."""

    port: int
    servers: list[base.Server]
    nginx: subprocess.Popen[bytes] | None
    folder: Path

    def rss_mb(self) -> float:
        return sum(server.rss_mb() for server in self.servers)

    def groups(self) -> dict[str, list[psutil.Process]]:
        """The processes whose CPU a request costs, by what they are. PostgreSQL and
        Redis are the machine's, so anything else they serve meanwhile counts too."""
        found: dict[str, list[psutil.Process]] = {"postgres": [], "redis-server": []}
        for proc in psutil.process_iter(["name"]):
            if proc.info["name"] in found:
                found[proc.info["name"]].append(proc)
        groups = {
            "API": [proc for server in self.servers for proc in server.tree()],
            "PostgreSQL": found["postgres"],
            "Redis": found["redis-server"],
        }
        if self.nginx is not None:
            groups["nginx"] = base.process_tree(self.nginx.pid)
        return groups


def _cpu_seconds(processes: list[psutil.Process]) -> float:
    total = 0.0
    for proc in processes:
        try:
            times = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


@dataclass
class CpuCost:
    """µs of CPU per request of one load run, by process group (from the kernel's counts
    for each process, taken before and after the run)."""

    path: str
    per_request_us: dict[str, float]


def _loaded(
    procs: Processes, run: Callable[[], base.LoadResult]
) -> tuple[base.LoadResult, CpuCost]:
    groups = procs.groups()
    before = {name: _cpu_seconds(members) for name, members in groups.items()}
    result = run()
    spent = {name: _cpu_seconds(members) - before[name] for name, members in groups.items()}
    requests = max(result.requests, 1)
    return result, CpuCost(result.path, {k: v * 1e6 / requests for k, v in spent.items()})


def _env(db: Database, prefix: str) -> dict[str, str]:
    env = base.server_env(db)
    env.update(SHUTTER_REDIS_URL=REDIS_URL, SHUTTER_REDIS_PREFIX=prefix)
    return env


def _spawn(db: Database, env: dict[str, str], workers: int) -> base.Server:
    port = base.free_port()
    log = db.var_dir / f"server-{port}.log"
    command = [sys.executable, "-m", "shutter", "serve", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", str(workers)]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=db.var_dir, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    return base.Server(process, port, log, 0.0)


def _wait(port: int, process: subprocess.Popen[bytes], what: str, log: str = "") -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}\n{log}")
        try:
            if base.http_get(port, base.HEALTH_PATH, timeout=1.0)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.02)
    raise RuntimeError(f"{what} did not answer /healthz in 60 s\n{log}")


def _start_nginx(servers: list[base.Server], folder: Path) -> tuple[subprocess.Popen[bytes], int]:
    nginx = shutil.which("nginx")
    if nginx is None:
        raise RuntimeError("nginx is not installed (apt-get install nginx)")
    port = base.free_port()
    upstreams = "\n".join(f"        server 127.0.0.1:{s.port};" for s in servers)
    user = "user root;" if os.geteuid() == 0 else ""
    conf = folder / "nginx.conf"
    conf.write_text(NGINX_CONF.format(user=user, tmp=folder, servers=upstreams, port=port))
    # No access log under load: it is disk work the comparison route would not do either.
    conf.write_text(conf.read_text().replace(f"access_log {folder}/access.log;", "access_log off;"))
    command = [nginx, "-c", str(conf), "-p", str(folder), "-e", str(folder / "error.log")]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    _wait(port, process, "nginx")
    return process, port


@contextmanager
def running(db: Database, topology: str, prefix: str) -> Iterator[Processes]:
    env = _env(db, prefix)
    folder = db.var_dir / f"{topology}-{uuid.uuid4().hex[:6]}"
    folder.mkdir()
    if topology == "nginx":
        servers = [_spawn(db, env, workers=1) for _ in range(2)]
    else:
        servers = [_spawn(db, env, workers=2)]
    nginx: subprocess.Popen[bytes] | None = None
    try:
        for server in servers:
            _wait(server.port, server.process, "shutter serve", server.log_tail())
        port = servers[0].port
        if topology == "nginx":
            nginx, port = _start_nginx(servers, folder)
        yield Processes(port, servers, nginx, folder)
    finally:
        if nginx is not None and nginx.poll() is None:
            nginx.send_signal(signal.SIGTERM)
            nginx.wait(10)
        for server in servers:
            base.stop_server(server)


async def _read_every_feed(
    port: int, tokens: list[str], passes: int, concurrency: int = 16
) -> list[int]:
    """Every account's home feed read `passes` times, in rounds: the steady state of
    active users (feeds in Redis, callers remembered)."""
    statuses: list[int] = []
    queue: asyncio.Queue[str] = asyncio.Queue()
    for _ in range(passes):
        for token in tokens:
            queue.put_nowait(token)
    columns = (TextColumn("{task.description:>14}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeElapsedColumn(), console=console) as progress:
        task = progress.add_task("feeds warmed", total=queue.qsize())
        limits = httpx.Limits(max_connections=concurrency)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=limits) as http:

            async def reader() -> None:
                while not queue.empty():
                    token = queue.get_nowait()
                    response = await http.get(
                        base.FEED_PATH, headers={"Authorization": f"Bearer {token}"}, timeout=30
                    )
                    statuses.append(response.status_code)
                    progress.advance(task)

            await asyncio.gather(*(reader() for _ in range(concurrency)))
    return statuses


async def _warm(procs: Processes, tokens: list[str]) -> list[int]:
    """Every feed read on each API process directly: through nginx, round-robin would leave
    a share of the tokens read fewer than three times by one of them. The workers of one
    `--workers 2` server share its port, each keep-alive connection going to either: ten
    passes leave ~5 % of the tokens short of three reads on one worker, which the warm-up
    load makes up."""
    if procs.nginx is None:
        return await _read_every_feed(procs.port, tokens, WORKERS_WARM_PASSES)
    statuses: list[int] = []
    for server in procs.servers:
        statuses += await _read_every_feed(server.port, tokens, WARM_PASSES)
    return statuses


@dataclass
class Run:
    topology: str
    processes: int
    pairs: list[base.Pair]
    costs: list[CpuCost]
    rss_after_load_mb: float
    warm_s: float


def measure(
    db: Database,
    network: Network,
    tokens_file: Path,
    topology: str,
    *,
    concurrencies: list[int],
    duration_s: int,
    warmup_s: int,
) -> Run:
    wrk = base.ensure_wrk()
    prefix = f"bench-scale-{uuid.uuid4().hex[:10]}"
    try:
        with running(db, topology, prefix) as procs:
            began = time.perf_counter()
            statuses = asyncio.run(_warm(procs, network.tokens))
            warm_s = time.perf_counter() - began
            bad = [s for s in statuses if s != 200]
            if bad:
                raise RuntimeError(f"{len(bad)} feed reads failed while warming: {bad[:5]}")
            server = base.Server(procs.servers[0].process, procs.port, procs.servers[0].log, 0)
            base.verify_feed(server, network.tokens)
            if warmup_s:
                base.run_wrk(
                    wrk, procs.port, base.FEED_PATH, concurrencies[0], warmup_s, tokens_file
                )
            pairs: list[base.Pair] = []
            costs: list[CpuCost] = []
            for concurrency in concurrencies:
                results = []
                for path in (base.FEED_PATH, base.HELLO_PATH):
                    result, cost = _loaded(
                        procs,
                        partial(
                            base.run_wrk,
                            wrk,
                            procs.port,
                            path,
                            concurrency,
                            duration_s,
                            tokens_file,
                        ),
                    )
                    results.append(result)
                    costs.append(cost)
                feed, hello = results
                pairs.append(base.Pair(feed, hello))
                console.print(
                    f"{topology} c={concurrency}: feed {feed.rps:.0f} req/s "
                    f"(p50 {feed.p50_ms:.1f}, p99 {feed.p99_ms:.1f} ms), "
                    f"hello {hello.rps:.0f} req/s"
                )
            rss = procs.rss_mb()
    finally:
        _delete_keys(REDIS_URL, prefix)
    return Run(topology, 2, pairs, costs, rss, warm_s)


def table(runs: list[Run]) -> Table:
    out = Table(title="Home feed (20 posts), PostgreSQL + Redis, two API processes")
    for heading in ("topology", *base.PAIR_HEADINGS):
        out.add_column(heading, justify="right")
    for run in runs:
        for pair in run.pairs:
            out.add_row(run.topology, *base.pair_cells(pair))
    return out


def cost_table(runs: list[Run]) -> Table:
    out = Table(title="µs of CPU per request, by process (kernel counts over each run)")
    groups = ("API", "PostgreSQL", "Redis", "nginx")
    for heading in ("topology", "path", *groups, "total"):
        out.add_column(heading, justify="right")
    for run in runs:
        for cost in run.costs:
            spent = cost.per_request_us
            cells = [f"{spent[g]:.0f}" if g in spent else "—" for g in groups]
            out.add_row(run.topology, cost.path, *cells, f"{sum(spent.values()):.0f}")
    return out


def verdicts(runs: list[Run]) -> list[str]:
    lines = []
    for run in runs:
        for pair in run.pairs:
            feed = pair.feed
            if feed.concurrency != 16:
                continue
            lines.append(
                f"{run.topology}: c16 feed {feed.rps:.0f} req/s "
                f"{base._mark(feed.rps >= TARGET_RPS)} (≥ 1,000; "
                f"{feed.rps / base.TAKAHE_RPS:.0f}× Takahe's ~29), p99 {feed.p99_ms:.1f} ms "
                f"{base._mark(feed.p99_ms <= TARGET_P99_MS)} (≤ 50 ms)"
            )
    return lines


cli = typer.Typer(add_completion=False, pretty_exceptions_enable=False)


@cli.command()
def main(
    topology: Annotated[str, typer.Option(help="nginx, workers or both.")] = "nginx",
    accounts: Annotated[int, typer.Option(min=2)] = 2000,
    follows: Annotated[int, typer.Option(min=1)] = 100,
    celebrities: Annotated[int, typer.Option(min=0)] = 5,
    celebrity_followers: Annotated[int, typer.Option(min=1)] = 1000,
    posts: Annotated[int, typer.Option(min=1)] = 40000,
    duration: Annotated[int, typer.Option(min=1, help="Seconds per wrk run.")] = 15,
    concurrency: Annotated[str, typer.Option(help="Comma-separated connection counts.")] = "16,64",
    warmup: Annotated[int, typer.Option(min=0, help="Seconds of feed load first.")] = 3,
    seed: Annotated[int, typer.Option()] = 1,
) -> None:
    """Seed a network on PostgreSQL, load the home feed through two API processes."""
    topologies = {"nginx": ["nginx"], "workers": ["workers"], "both": ["nginx", "workers"]}
    if topology not in topologies:
        raise typer.BadParameter("nginx, workers or both", param_hint="--topology")
    if not redis_reachable(REDIS_URL):
        raise typer.BadParameter(f"Redis is not reachable at {REDIS_URL}")
    shape = Shape(
        accounts=accounts,
        follows=follows,
        celebrities=celebrities,
        celebrity_followers=celebrity_followers,
        posts=posts,
        feed_max_entries=Settings.model_fields["feed_max_entries"].default,
        seed=seed,
    )
    levels = base._concurrencies(concurrency)
    network = build_network(shape)
    db = create_database("postgres")
    runs: list[Run] = []
    load_before = [round(x, 2) for x in os.getloadavg()]
    try:
        began = time.perf_counter()
        rows = asyncio.run(seed_network(db, network, shape))
        console.print(f"Seeded {rows} in {time.perf_counter() - began:.1f} s")
        tokens_file = db.var_dir / "tokens.txt"
        tokens_file.write_text("\n".join(network.tokens) + "\n")
        for name in topologies[topology]:
            runs.append(
                measure(
                    db,
                    network,
                    tokens_file,
                    name,
                    concurrencies=levels,
                    duration_s=duration,
                    warmup_s=warmup,
                )
            )
    finally:
        drop_database(db)
    load_after = [round(x, 2) for x in os.getloadavg()]
    console.print(table(runs))
    console.print(cost_table(runs))
    for line in verdicts(runs):
        console.print(line)
    console.print(
        f"load average before/after: {load_before[0]:.2f}/{load_after[0]:.2f} on "
        f"{os.cpu_count()} CPUs; fan-out figures: bench/fanout.py"
    )
    base.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = base.RESULTS_DIR / "scale.json"
    body: dict[str, Any] = {
        "shape": asdict(shape),
        "rows": rows,
        "runs": [asdict(run) for run in runs],
        "machine": base.machine_info(),
        "load_average": {"before": load_before, "after": load_after},
        "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "argv": sys.argv,
    }
    path.write_text(json.dumps(body, indent=2) + "\n")
    console.print(f"Wrote {path.relative_to(REPO)}")
    if any(not (p.feed.valid and p.hello.valid) for run in runs for p in run.pairs):
        raise typer.Exit(1)


if __name__ == "__main__":
    cli()

"""Benchmark: the website's Home page against the API's home read of the same 20 posts.

Seeds a network (bench/network.py), starts `shutter serve`, and loads, in one run and
with the same random accounts, `GET /home` (the token as the website's session cookie)
and `GET /api/v1/timelines/home?limit=20` (as a bearer token), plus the hello-world
route. The issue's bar: a Home page costs at most 1.5× the API read (the ratio of their
request rates at the same concurrency), and the server's own CPU time per request (the
server process's user + system time over a load, divided by its requests), which other
work on a shared machine disturbs far less than the rates. The two loads alternate over
`--rounds` rounds (home first, then API first, ...) and both figures are taken over all
rounds, so a change in the machine's other load mid-run hits both alike.

    .venv/bin/python bench/web_home.py --backend sqlite

Figures go to the terminal and to bench/results/web-home-<backend>.json.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated

import psutil
import typer

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.feed import (  # noqa: E402  (bench/ is not a package on sys.path)
    FEED_PATH,
    HELLO_PATH,
    LUA_SCRIPT,
    RESULTS_DIR,
    LoadResult,
    Server,
    ensure_wrk,
    machine_info,
    parse_wrk,
    running_server,
)
from bench.network import (  # noqa: E402
    Shape,
    build_network,
    console,
    create_database,
    drop_database,
    seed,
)
from shutter.infra.settings import Settings  # noqa: E402

HOME_PATH = "/home"
TARGET_RATIO = 1.5
cli = typer.Typer(add_completion=False)


def run_wrk(
    wrk: str, port: int, path: str, concurrency: int, seconds: int, tokens: Path, *, cookie: bool
) -> LoadResult:
    command = [wrk, f"-t{min(2, concurrency)}", f"-c{concurrency}", f"-d{seconds}s", "--latency"]
    command += ["--timeout", "10s", "-s", str(LUA_SCRIPT), f"http://127.0.0.1:{port}{path}"]
    command += ["--", str(tokens), *(["cookie"] if cookie else [])]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr}{done.stdout}")
    shown = " ".join(Path(c).name if c in (wrk, str(LUA_SCRIPT)) else c for c in command)
    return parse_wrk(done.stdout, path, concurrency, shown)


def verify_home(port: int, token: str) -> None:
    """The page must be a full Home page of 20 posts, or the figures mean nothing."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", HOME_PATH, headers={"Cookie": f"shutter_session={token}"})
        response = conn.getresponse()
        body = response.read().decode()
    finally:
        conn.close()
    articles = body.count("<article")
    if response.status != 200 or articles != 20:
        raise RuntimeError(f"/home answered {response.status} with {articles} articles")


def server_cpu_s(server: Server) -> float:
    """User + system CPU seconds used so far by the server (and any workers)."""
    total = 0.0
    for proc in server.tree():
        try:
            times = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


@dataclass
class Measured:
    """One load and the server CPU it cost."""

    result: LoadResult
    cpu_s: float


def combined(results: list[LoadResult]) -> LoadResult:
    """Several runs of one path as one: requests over seconds, the worst p99."""
    first = results[0]
    requests = sum(r.requests for r in results)
    seconds = sum(r.seconds for r in results)
    return LoadResult(
        path=first.path,
        concurrency=first.concurrency,
        requests=requests,
        seconds=seconds,
        rps=requests / seconds if seconds else 0.0,
        p50_ms=sorted(r.p50_ms for r in results)[len(results) // 2],
        p99_ms=max(r.p99_ms for r in results),
        non_2xx=sum(r.non_2xx for r in results),
        socket_errors=sum(r.socket_errors for r in results),
        command=first.command,
    )


@dataclass
class Report:
    backend: str
    concurrency: int
    home: LoadResult
    api: LoadResult
    hello: LoadResult
    round_ratios: list[float]
    home_cpu_ms: float  # server CPU per request
    api_cpu_ms: float

    @property
    def cpu_ratio(self) -> float:
        """How many times an API home read's server CPU a Home page costs."""
        return self.home_cpu_ms / self.api_cpu_ms

    @property
    def ratio(self) -> float:
        """How many times an API home read's cost a Home page costs."""
        return self.api.rps / self.home.rps


@cli.command()
def main(
    backend: Annotated[str, typer.Option(help="sqlite or postgres.")] = "sqlite",
    accounts: Annotated[int, typer.Option(min=2)] = 300,
    follows: Annotated[int, typer.Option(min=1)] = 50,
    posts: Annotated[int, typer.Option(min=1)] = 6000,
    duration: Annotated[int, typer.Option(min=1, help="Seconds per wrk run.")] = 10,
    concurrency: Annotated[int, typer.Option(min=1)] = 16,
    workers: Annotated[int, typer.Option(min=1)] = 1,
    rounds: Annotated[int, typer.Option(min=1, help="Alternating home/API rounds.")] = 3,
) -> None:
    """Seed, then load /home, the API home read and hello-world in one run."""
    shape = Shape(
        accounts=accounts,
        follows=follows,
        celebrities=0,
        celebrity_followers=1,
        posts=posts,
        feed_max_entries=Settings.model_fields["feed_max_entries"].default,
        seed=1,
    )
    wrk = ensure_wrk()
    network = build_network(shape)
    db = create_database(backend)
    try:
        asyncio.run(seed(db, network, shape))
        tokens = db.var_dir / "tokens.txt"
        tokens.write_text("\n".join(network.tokens) + "\n")
        with running_server(db, workers) as server:
            verify_home(server.port, network.tokens[0])
            run_wrk(wrk, server.port, HOME_PATH, concurrency, 2, tokens, cookie=True)  # warm-up

            def load(path: str, *, cookie: bool) -> Measured:
                before = server_cpu_s(server)
                result = run_wrk(
                    wrk, server.port, path, concurrency, duration, tokens, cookie=cookie
                )
                return Measured(result, server_cpu_s(server) - before)

            homes: list[Measured] = []
            apis: list[Measured] = []
            for i in range(rounds):
                if i % 2 == 0:
                    homes.append(load(HOME_PATH, cookie=True))
                    apis.append(load(FEED_PATH, cookie=False))
                else:
                    apis.append(load(FEED_PATH, cookie=False))
                    homes.append(load(HOME_PATH, cookie=True))

            def cpu_ms(runs: list[Measured]) -> float:
                return 1000 * sum(m.cpu_s for m in runs) / sum(m.result.requests for m in runs)

            report = Report(
                backend,
                concurrency,
                home=combined([m.result for m in homes]),
                api=combined([m.result for m in apis]),
                hello=load(HELLO_PATH, cookie=False).result,
                round_ratios=[
                    a.result.rps / h.result.rps for h, a in zip(homes, apis, strict=True)
                ],
                home_cpu_ms=cpu_ms(homes),
                api_cpu_ms=cpu_ms(apis),
            )
    finally:
        drop_database(db)
    for name, result in (("/home", report.home), ("API home", report.api), ("hello", report.hello)):
        console.print(f"{name}: {result.rps:.0f} req/s, p99 {result.p99_ms:.1f} ms")
    shown = ", ".join(f"{r:.2f}×" for r in report.round_ratios)
    console.print(f"rounds: {shown}")
    verdict = "within" if report.ratio <= TARGET_RATIO else "OVER"
    console.print(f"Home page / API home, by rate: {report.ratio:.2f}× ({verdict} {TARGET_RATIO}×)")
    cpu = f"{report.home_cpu_ms:.2f} / {report.api_cpu_ms:.2f} ms"
    verdict = "within" if report.cpu_ratio <= TARGET_RATIO else "OVER"
    console.print(
        f"Home page / API home, server CPU per request: {cpu} = {report.cpu_ratio:.2f}× "
        f"({verdict} {TARGET_RATIO}×)"
    )
    RESULTS_DIR.mkdir(exist_ok=True)
    out = RESULTS_DIR / f"web-home-{backend}.json"
    figures = {"ratio": report.ratio, "cpu_ratio": report.cpu_ratio, **machine_info()}
    out.write_text(json.dumps(asdict(report) | figures, indent=2))


if __name__ == "__main__":
    cli()

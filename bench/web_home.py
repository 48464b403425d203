"""Benchmark: the website's Home page against the API's home read of the same 20 posts.

Seeds a network (bench/network.py), starts `shutter serve`, and loads, in one run and
with the same random accounts, `GET /home` (the token as the website's session cookie)
and `GET /api/v1/timelines/home?limit=20` (as a bearer token), plus the hello-world
route. The issue's bar: a Home page costs at most 1.5× the API read (the ratio of their
request rates at the same concurrency).

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

import typer

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.feed import (  # noqa: E402  (bench/ is not a package on sys.path)
    FEED_PATH,
    HELLO_PATH,
    LUA_SCRIPT,
    RESULTS_DIR,
    LoadResult,
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


@dataclass
class Report:
    backend: str
    concurrency: int
    home: LoadResult
    api: LoadResult
    hello: LoadResult

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

            def load(path: str, *, cookie: bool) -> LoadResult:
                return run_wrk(wrk, server.port, path, concurrency, duration, tokens, cookie=cookie)

            report = Report(
                backend,
                concurrency,
                home=load(HOME_PATH, cookie=True),
                api=load(FEED_PATH, cookie=False),
                hello=load(HELLO_PATH, cookie=False),
            )
    finally:
        drop_database(db)
    for name, result in (("/home", report.home), ("API home", report.api), ("hello", report.hello)):
        console.print(f"{name}: {result.rps:.0f} req/s, p99 {result.p99_ms:.1f} ms")
    verdict = "within" if report.ratio <= TARGET_RATIO else "OVER"
    console.print(f"Home page / API home cost: {report.ratio:.2f}× ({verdict} {TARGET_RATIO}×)")
    RESULTS_DIR.mkdir(exist_ok=True)
    out = RESULTS_DIR / f"web-home-{backend}.json"
    out.write_text(json.dumps(asdict(report) | {"ratio": report.ratio, **machine_info()}, indent=2))


if __name__ == "__main__":
    cli()

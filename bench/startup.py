"""Cold start and idle memory of `shutter serve` (embedded profile, SQLite).

Cold start: from process start to the first 200 on /healthz, on a fresh var dir (which
includes creating and migrating the database) and on an existing one.
Idle memory: resident set size of the server's processes after it has sat idle.

    .venv/bin/python bench/startup.py [--runs 5] [--workers 1]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psutil
from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support.live import free_port, shutter_env  # noqa: E402

IDLE_SECONDS = 3.0


def _start(var_dir: Path, workers: int) -> tuple[subprocess.Popen[bytes], str, float]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = shutter_env("", var_dir, base_url=url, extra_env={"SHUTTER_ARGON2_TIME_COST": "3"})
    command = [sys.executable, "-m", "shutter", "serve", "--port", str(port)]
    command += ["--workers", str(workers)]
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=tempfile.gettempdir(),
    )
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"shutter serve exited with {process.returncode}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return process, url, time.perf_counter() - started
        except httpx.TransportError:
            time.sleep(0.01)


def _rss_mib(process: subprocess.Popen[bytes]) -> float:
    """RSS of the server and its children (uvicorn's workers when --workers > 1)."""
    root = psutil.Process(process.pid)
    total = sum(p.memory_info().rss for p in [root, *root.children(recursive=True)])
    return total / 2**20


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()


def measure(runs: int, workers: int) -> dict[str, list[float]]:
    figures: dict[str, list[float]] = {"fresh": [], "existing": [], "rss": []}
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="shutter-bench-") as folder:
            var_dir = Path(folder) / "var"
            process, _url, seconds = _start(var_dir, workers)
            figures["fresh"].append(seconds)
            _stop(process)
            process, _url, seconds = _start(var_dir, workers)
            figures["existing"].append(seconds)
            time.sleep(IDLE_SECONDS)
            figures["rss"].append(_rss_mib(process))
            _stop(process)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    figures = measure(args.runs, args.workers)

    table = Table(
        title=f"shutter serve --workers {args.workers}: {args.runs} runs, "
        f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}"
    )
    for column in ("measure", "median", "min", "max"):
        table.add_column(column, justify="left" if column == "measure" else "right")
    rows = [
        ("cold start, fresh var dir (s)", figures["fresh"], "{:.2f}"),
        ("cold start, existing database (s)", figures["existing"], "{:.2f}"),
        (f"idle RSS after {IDLE_SECONDS:.0f} s (MiB)", figures["rss"], "{:.1f}"),
    ]
    for label, values, fmt in rows:
        table.add_row(
            label,
            fmt.format(statistics.median(values)),
            fmt.format(min(values)),
            fmt.format(max(values)),
        )
    Console().print(table)


if __name__ == "__main__":
    main()

"""The real `shutter serve` as a subprocess, for tests over real HTTP.

from tests.support.live import start_server

with start_server(database_url, tmp_path) as server:
    httpx.get(f"{server.url}/healthz")
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO

import httpx

REPO_ROOT = Path(__file__).resolve().parents[2]
SECRET_KEY = "live-test-secret-key-not-for-production"
START_TIMEOUT = 60.0  # a busy 2-core machine may take long to import and migrate
STOP_TIMEOUT = 10.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def shutter_env(
    database_url: str, var_dir: Path, *, base_url: str = "", extra_env: dict[str, str] | None = None
) -> dict[str, str]:
    """The environment of a test `shutter` process: fast hashing, a fixed secret."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHUTTER_")}
    env.update(
        {
            # The code under test, whatever the venv's install points at.
            "PYTHONPATH": str(REPO_ROOT),
            "SHUTTER_DATABASE_URL": database_url,
            "SHUTTER_VAR_DIR": str(var_dir),
            "SHUTTER_SECRET_KEY": SECRET_KEY,
            "SHUTTER_ARGON2_TIME_COST": "1",
            "SHUTTER_ARGON2_MEMORY_KIB": "1024",
            "SHUTTER_LOG_LEVEL": "warning",
            "SHUTTER_RATE_LIMIT_REQUESTS": "1000000",
            "SHUTTER_RATE_LIMIT_LOGIN_REQUESTS": "1000000",
            "SHUTTER_RATE_LIMIT_SIGNUP_REQUESTS": "1000000",
            "SHUTTER_RATE_LIMIT_UPLOAD_REQUESTS": "1000000",
        }
    )
    if base_url:
        env["SHUTTER_BASE_URL"] = base_url
    env.update(extra_env or {})
    return env


def run_shutter(
    args: Sequence[str], env: dict[str, str], *, input: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run one `shutter` command to completion (cwd = a scratch dir, so no `.env` leaks in)."""
    return subprocess.run(
        [sys.executable, "-m", "shutter", *args],
        env=env,
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=tempfile.gettempdir(),
    )


@dataclass
class LiveServer:
    process: subprocess.Popen[bytes]
    url: str
    stderr: IO[bytes]
    env: dict[str, str] = field(default_factory=dict)

    def captured_stderr(self) -> str:
        self.stderr.flush()
        self.stderr.seek(0)
        return self.stderr.read().decode(errors="replace")

    def stop(self) -> int:
        """SIGTERM (uvicorn's graceful shutdown), then SIGKILL if it lingers."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.stderr.close()
        return self.process.returncode

    def __enter__(self) -> LiveServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _wait_healthy(server: LiveServer, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            output = server.captured_stderr()
            server.stop()
            raise RuntimeError(f"shutter serve exited with {server.process.returncode}:\n{output}")
        try:
            if httpx.get(f"{server.url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    output = server.captured_stderr()
    server.stop()
    raise RuntimeError(f"shutter serve not healthy after {timeout}s:\n{output}")


def start_server(
    database_url: str,
    var_dir: Path,
    *,
    workers: int = 1,
    extra_env: dict[str, str] | None = None,
    timeout: float | None = None,
) -> LiveServer:
    """Start `shutter serve` on a free port and return once /healthz answers 200."""
    # Each uvicorn worker imports the whole app; on a small, busy CI machine they queue.
    timeout = timeout or START_TIMEOUT * workers
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = shutter_env(database_url, var_dir, base_url=url, extra_env=extra_env)
    # A file, not a pipe: a chatty server must never block on a full pipe buffer.
    stderr = tempfile.TemporaryFile()  # noqa: SIM115  (LiveServer.stop closes it)
    command = [sys.executable, "-m", "shutter", "serve", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", str(workers)]
    process = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
        cwd=tempfile.gettempdir(),
    )
    server = LiveServer(process=process, url=url, stderr=stderr, env=env)
    _wait_healthy(server, timeout)
    return server

"""Redis connections for optional, best-effort stores (entity cache, replica stickiness).

Such a store must never fail or slow a request when Redis is gone: calls carry short
socket timeouts, and after a failure the store rests (answers as if empty) for a moment
instead of paying a connection timeout on every request.
"""

from __future__ import annotations

import time
from typing import Any

import structlog

log = structlog.get_logger("shutter.redis")

# Long enough for a loaded Redis on the same network, short enough not to hold a request.
SOCKET_TIMEOUT_SECONDS = 0.5
REST_SECONDS = 2.0


def connect(url: str) -> Any:
    from redis.asyncio import Redis

    return Redis.from_url(
        url,
        socket_timeout=SOCKET_TIMEOUT_SECONDS,
        socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
    )


class Breaker:
    """Remembers a recent failure so callers skip Redis until it may be back."""

    def __init__(self, what: str) -> None:
        self._what = what
        self._until = 0.0

    @property
    def open(self) -> bool:
        return time.monotonic() < self._until

    def trip(self, exc: BaseException) -> None:
        if not self.open:
            log.warning("redis_unavailable", store=self._what, error=str(exc) or repr(exc))
        self._until = time.monotonic() + REST_SECONDS


async def ping(url: str) -> bool:
    """Whether Redis at `url` answers now (readiness checks)."""
    client = connect(url)
    try:
        return bool(await client.ping())
    except Exception:
        return False
    finally:
        await client.aclose()

"""Redis connections: one Redis (`redis://`) or a Redis Cluster (`redis+cluster://node`).

Every Redis user (feeds, entity cache, events, rate limits, replica stickiness, caller
versions) connects through `connect` (most through a `LazyClient`), so each works on a
cluster; each keeps its keys to one slot per command or uses the cluster-aware form
(`mget_many`).

Best-effort stores (entity cache, replica stickiness) must never fail or slow a request
when Redis is gone: calls carry short socket timeouts, and after a failure the store
rests (answers as if empty) for a moment instead of paying a connection timeout on
every request.
"""

from __future__ import annotations

import time
from typing import Any

import structlog

log = structlog.get_logger("shutter.redis")

# Long enough for a loaded Redis on the same network, short enough not to hold a request.
SOCKET_TIMEOUT_SECONDS = 0.5
REST_SECONDS = 2.0


CLUSTER_SCHEME = "redis+cluster://"


def is_cluster(url: str) -> bool:
    return url.startswith(CLUSTER_SCHEME)


def connect(url: str, *, timeout: float | None = SOCKET_TIMEOUT_SECONDS) -> Any:
    """A client of the Redis at `url`, or of the Redis Cluster one of whose nodes it names.

    `timeout=None` is for a pub/sub reader, which waits on its socket by design.
    """
    options: dict[str, Any] = {"socket_timeout": timeout, "socket_connect_timeout": timeout}
    if is_cluster(url):
        from redis.asyncio.cluster import RedisCluster

        return RedisCluster.from_url("redis://" + url.removeprefix(CLUSTER_SCHEME), **options)
    from redis.asyncio import Redis

    return Redis.from_url(url, **options)


class LazyClient:
    """`connect(url)` on first use, so a process that never needs Redis never connects;
    call it for the client."""

    def __init__(self, url: str, *, timeout: float | None = SOCKET_TIMEOUT_SECONDS) -> None:
        self._url = url
        self._timeout = timeout
        self._client: Any = None

    def __call__(self) -> Any:
        if self._client is None:
            self._client = connect(self._url, timeout=self._timeout)
        return self._client

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            try:
                await client.aclose()
            except Exception as exc:  # the client of a Redis that is gone
                log.debug("redis_close_failed", error=str(exc) or repr(exc))


async def mget_many(client: Any, keys: list[str]) -> list[bytes | None]:
    """MGET of keys that may live on different slots (split by node on a cluster)."""
    if hasattr(client, "mget_nonatomic"):
        return list(await client.mget_nonatomic(keys))
    return list(await client.mget(keys))


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

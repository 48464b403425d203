"""Redis connections: one Redis (`redis://`) or a Redis Cluster (`redis+cluster://node`).

Every Redis user (feeds, entity cache, events, rate limits, replica stickiness, caller
versions) connects through `connect` (most through a `LazyClient`), so each works on a
cluster; each keeps its keys to one slot per command or uses the cluster-aware form
(`mget_many`).

Best-effort stores (entity cache, replica stickiness) must never fail or slow a request
when Redis is gone: calls carry short timeouts, and after a failure the store
rests (answers as if empty) for a moment instead of paying a connection timeout on
every request.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from typing import Any

import structlog
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import ConnectionError, NoScriptError, ResponseError

log = structlog.get_logger("shutter.redis")

# Long enough for a loaded Redis on the same network, short enough not to hold a request.
SOCKET_TIMEOUT_SECONDS = 0.5
REST_SECONDS = 2.0


CLUSTER_SCHEME = "redis+cluster://"


def is_cluster(url: str) -> bool:
    return url.startswith(CLUSTER_SCHEME)


def connect(url: str, *, timeout: float | None = SOCKET_TIMEOUT_SECONDS) -> Any:
    """A client of the Redis at `url`, or of the Redis Cluster one of whose nodes it names.

    `timeout=None` is for a pub/sub reader, which waits on its socket by design, and for
    stores that give each call a deadline of their own: a socket timeout is a task and a
    timer per command sent (asyncio.wait_for), more CPU than the rest of a script call.
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


class Script:
    """A Lua script, run by `run_script`; Redis names scripts by their SHA-1."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.sha = hashlib.sha1(source.encode()).hexdigest()


async def run_script(client: Any, script: Script, keys: Sequence[str], args: Sequence[Any]) -> Any:
    """EVALSHA of `script` (EVAL when Redis has forgotten it: restarted or flushed).

    On one Redis the command goes to a pooled connection directly: the client's own
    command path (retry policy, response callbacks, pool bookkeeping per command) cost
    ~53 µs of CPU per call against ~33 µs this way, and every API request makes such a
    call (its rate limit), a home read two (docs/decisions/0013-redis-script-calls.md).
    A connection that fails is disconnected before it goes back to the pool, as the
    client does; one found dead (Redis restarted since its last use) is replaced once.
    """
    if isinstance(client, RedisCluster):  # routes each command by its keys: its own path
        try:
            return await client.evalsha(script.sha, len(keys), *keys, *args)
        except NoScriptError:
            return await client.eval(script.source, len(keys), *keys, *args)
    try:
        return await _on_pooled_connection(client.connection_pool, script, keys, args)
    except ConnectionError:  # one found dead; a second failure is an outage
        return await _on_pooled_connection(client.connection_pool, script, keys, args)


async def _on_pooled_connection(
    pool: Any, script: Script, keys: Sequence[str], args: Sequence[Any]
) -> Any:
    connection = await pool.get_connection()
    try:
        await connection.send_command("EVALSHA", script.sha, len(keys), *keys, *args)
        try:
            return await connection.read_response()
        except NoScriptError:
            await connection.send_command("EVAL", script.source, len(keys), *keys, *args)
            return await connection.read_response()
    except ResponseError:
        raise  # Redis answered: the connection is in order
    except BaseException:  # a lost connection, a timeout or a cancellation mid-reply
        await connection.disconnect()
        raise
    finally:
        await pool.release(connection)


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

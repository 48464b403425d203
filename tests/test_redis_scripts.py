"""Lua scripts on pooled connections (`redis_client.run_script`): what a Redis that forgot
a script, dropped a connection or is gone does to a call."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from redis.exceptions import ConnectionError, ResponseError

from shutter.infra import redis_client
from shutter.infra.redis_client import Script, run_script
from tests.support.instances import redis_prefix  # noqa: F401  (fixture)
from tests.support.tcpproxy import TcpProxy

COUNT = Script("return redis.call('INCR', KEYS[1])")


def _unseen_script() -> Script:
    """A script no Redis has been sent before: its first EVALSHA is refused (NOSCRIPT)."""
    return Script(f"-- {uuid.uuid4().hex}\nreturn {{ARGV[1], redis.call('INCR', KEYS[1])}}")


@pytest.fixture
def proxy() -> Iterator[TcpProxy]:
    with TcpProxy("127.0.0.1", 6379) as running:
        yield running


@pytest.fixture
async def client(proxy: TcpProxy) -> AsyncIterator[Any]:
    """A client of the machine's Redis through `proxy`."""
    made = redis_client.connect(f"redis://127.0.0.1:{proxy.port}/0")
    yield made
    await made.aclose()


async def test_a_script_redis_has_forgotten_is_sent_whole(
    redis_prefix: str,  # noqa: F811
    client: Any,
) -> None:
    script = _unseen_script()
    assert await run_script(client, script, [f"{redis_prefix}:n"], ["a"]) == [b"a", 1]
    assert await client.script_exists(script.sha) == [True]
    assert await run_script(client, script, [f"{redis_prefix}:n"], ["b"]) == [b"b", 2]


async def test_a_connection_lost_since_its_last_use_is_replaced(
    redis_prefix: str,  # noqa: F811
    proxy: TcpProxy,
    client: Any,
) -> None:
    key = f"{redis_prefix}:n"
    assert await run_script(client, COUNT, [key], []) == 1
    proxy.cut()  # as a restarted Redis: the pooled connection is dead
    proxy.resume()
    assert await run_script(client, COUNT, [key], []) == 2
    assert proxy.connections == 2


async def test_a_redis_that_is_gone_raises_and_leaves_no_connection_taken(
    redis_prefix: str,  # noqa: F811
    proxy: TcpProxy,
    client: Any,
) -> None:
    key = f"{redis_prefix}:n"
    assert await run_script(client, COUNT, [key], []) == 1
    proxy.cut()
    with pytest.raises(ConnectionError):
        await run_script(client, COUNT, [key], [])
    assert not client.connection_pool._in_use_connections
    proxy.resume()
    assert await run_script(client, COUNT, [key], []) == 2


async def test_a_script_error_is_raised_and_the_connection_kept(
    redis_prefix: str,  # noqa: F811
    proxy: TcpProxy,
    client: Any,
) -> None:
    refusing = Script("return redis.error_reply('refused by the script')")
    with pytest.raises(ResponseError, match="refused by the script"):
        await run_script(client, refusing, [f"{redis_prefix}:n"], [])
    assert await run_script(client, COUNT, [f"{redis_prefix}:n"], []) == 1
    assert proxy.connections == 1

"""Read-your-writes with read replicas: a client that wrote reads from the primary a while.

A replica lags its primary by a little. A client that just posted and reads its post back
must not get a 404 from a replica that has not seen it yet, so after a client's write
commits its reads stick to the primary for `SHUTTER_REPLICA_STICKY_SECONDS`.

The client is its bearer token when it sends one (known before any database query, so
routing costs no lookup; a token is one client of one account), else its address. Marks
are kept in-process and, when `SHUTTER_REDIS_URL` is set, in Redis, so a write through
one API instance is honoured by reads through any other. Redis down: each instance
still honours the writes it saw itself.
"""

from __future__ import annotations

import time
from collections import OrderedDict

from starlette.requests import Request

from shutter.infra import redis_client
from shutter.infra.http import bearer_token
from shutter.infra.ratelimit import token_digest
from shutter.infra.settings import Settings

# Bounds this process's memory of recent writers; older marks have long expired anyway.
MAX_LOCAL_MARKS = 100_000


def client_key(request: Request) -> str:
    token = bearer_token(request.headers.get("authorization"), request.query_params)
    if token is not None:
        return f"token:{token_digest(token)}"
    return f"ip:{request.client.host if request.client else 'unknown'}"


class Stickiness:
    def __init__(self, settings: Settings) -> None:
        self.seconds = settings.replica_sticky_seconds
        self._url = settings.redis_url
        self._prefix = f"{settings.redis_prefix}:sticky:"
        self._local: OrderedDict[str, float] = OrderedDict()
        self._redis = redis_client.LazyClient(settings.redis_url)
        self._breaker = redis_client.Breaker("replica stickiness")

    async def mark(self, key: str) -> None:
        """`key` wrote just now: send its reads to the primary for a while."""
        if self.seconds <= 0:
            return
        self._local[key] = time.monotonic() + self.seconds
        self._local.move_to_end(key)
        while len(self._local) > MAX_LOCAL_MARKS:
            self._local.popitem(last=False)
        if self._url and not self._breaker.open:
            try:
                await self._redis().set(self._prefix + key, b"1", px=int(self.seconds * 1000))
            except Exception as exc:
                self._breaker.trip(exc)

    async def is_sticky(self, key: str) -> bool:
        until = self._local.get(key)
        if until is not None:
            if until > time.monotonic():
                return True
            del self._local[key]
        if not self._url or self.seconds <= 0 or self._breaker.open:
            return False
        try:
            return bool(await self._redis().exists(self._prefix + key))
        except Exception as exc:
            self._breaker.trip(exc)
            return False

    async def close(self) -> None:
        await self._redis.close()

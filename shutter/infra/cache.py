"""The entity cache: ready-made JSON of posts and accounts, keyed by their version.

Keys carry the entity's version (a post's edit counter, an account's `updated_at`), so a
change makes a new key instead of needing an invalidation that every process must see:
a stale entry can never be read, it only ages out. Embedded: an in-process LRU. Scaled
(`SHUTTER_REDIS_URL`): Redis, shared by every process, with the in-process LRU in front
of it; versioned keys make that safe, since an entry under a key never changes.

A cache is an optimisation only: when Redis fails, reads see misses and go to the
database, and writes to the cache are dropped (logged once per outage).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from typing import Any, Protocol

import orjson

from shutter.infra import redis_client
from shutter.infra.settings import Settings


class EntityCache(Protocol):
    async def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        """The entries found, by key; missing keys are absent."""
        ...

    async def set_many(self, items: dict[str, Any]) -> None: ...

    def clear(self) -> None:
        """Forget this process's copies (shared entries age out; they are never stale)."""
        ...

    async def close(self) -> None: ...


class LruCache:
    """In-process, bounded by entry count; values are the dicts themselves (never mutated)."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[str, Any] = OrderedDict()

    def get_now(self, keys: Iterable[str]) -> dict[str, Any]:
        found = {}
        for key in keys:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
                found[key] = value
        return found

    def set_now(self, items: dict[str, Any]) -> None:
        self._entries.update(items)
        for key in items:
            self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    async def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        return self.get_now(keys)

    async def set_many(self, items: dict[str, Any]) -> None:
        self.set_now(items)

    def clear(self) -> None:
        self._entries.clear()

    async def close(self) -> None:
        self._entries.clear()


class RedisCache:
    """Redis (MGET for a page, one pipelined round of SET EX for the misses), LRU in front."""

    def __init__(self, settings: Settings) -> None:
        self.prefix = f"{settings.redis_prefix}:cache:"
        self._ttl = settings.cache_ttl_seconds
        self.local = LruCache(settings.cache_max_entries)
        self._redis = redis_client.LazyClient(settings.redis_url)
        self._breaker = redis_client.Breaker("cache")

    async def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        wanted = list(keys)
        found = self.local.get_now(wanted)
        missing = [key for key in wanted if key not in found]
        if not missing or self._breaker.open:
            return found
        try:
            values = await redis_client.mget_many(
                self._redis(), [self.prefix + key for key in missing]
            )
        except Exception as exc:
            self._breaker.trip(exc)
            return found
        shared = {key: orjson.loads(v) for key, v in zip(missing, values, strict=True) if v}
        self.local.set_now(shared)
        return found | shared

    async def set_many(self, items: dict[str, Any]) -> None:
        if not items:
            return
        self.local.set_now(items)
        if self._breaker.open:
            return
        pipe = self._redis().pipeline(transaction=False)
        for key, value in items.items():
            pipe.set(self.prefix + key, orjson.dumps(value), ex=self._ttl)
        try:
            await pipe.execute()
        except Exception as exc:
            self._breaker.trip(exc)

    def clear(self) -> None:
        self.local.clear()

    async def close(self) -> None:
        await self._redis.close()


def create_cache(settings: Settings) -> EntityCache:
    return RedisCache(settings) if settings.redis_url else LruCache(settings.cache_max_entries)

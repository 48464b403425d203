"""Home feeds as Redis sorted sets, one per account, capped, expiring when unread.

Keys: `<prefix>:feed:{<account id>}` (the sorted set) and `<prefix>:feed:{<account
id>}:built` (the feed is complete). The braces are a Redis Cluster hash tag: both keys
of a feed live on one slot, so on a Redis Cluster every script below touches one slot
only (fan-out writes many feeds per script call on one Redis, one per call on a cluster).

Order without float scores: post ids are 64-bit and a sorted set's score is a double
(exact only to 2^53), so every member has score 0 and the set is ordered by member,
lexicographically. A member is `<post id, 20 digits zero-padded>:<author id>`: padding
makes string order the ids' order, and the author suffix lets an unfollow remove an
author's posts without asking the database which they are. Pages are ZRANGE … BYLEX
ranges; the cap is a ZREMRANGEBYRANK. The member `00000000000000000000` (below every
post id) keeps the key alive when the feed is empty and is never trimmed or served.

Activity: both keys expire `feed_inactive_days` after the last read (every read renews
them). Fan-out writes only into feeds that exist, so an inactive reader's feed, or one
lost with a flushed or restarted Redis, costs nothing until it is read again; then it is
rebuilt from the database. A rebuild creates the set before it reads the database, so a
fan-out that runs during the rebuild lands in it, and sets `built` only when filled.
"""

from __future__ import annotations

import asyncio
from typing import Any

from redis.exceptions import NoScriptError, RedisError, ResponseError
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.feed.store import Entry, FeedUnavailable
from shutter.infra import redis_client
from shutter.infra.pagination import PageParams
from shutter.infra.redis_client import Script
from shutter.infra.settings import Settings

OPEN = "0" * 20
CALL_TIMEOUT_SECONDS = 2.0
# Feeds one fan-out script call writes on one Redis: a call per feed cost ~15 ms of the
# worker's CPU per 1,000 followers, calls of 100 ~2 ms; small enough that no call holds
# Redis for long. On a Redis Cluster a script's keys must share a slot: one feed a call.
FEEDS_PER_CALL = 100

# Into every feed of KEYS that exists; how many did.
_ADD = """
local added = 0
for _, feed in ipairs(KEYS) do
  if redis.call('EXISTS', feed) == 1 then
    for i = 2, #ARGV do redis.call('ZADD', feed, 0, ARGV[i]) end
    redis.call('ZREMRANGEBYRANK', feed, 1, -(tonumber(ARGV[1]) + 1))
    added = added + 1
  end
end
return added
"""

_FINISH_REBUILD = """
redis.call('ZADD', KEYS[1], 'NX', 0, ARGV[3])
for i = 4, #ARGV do redis.call('ZADD', KEYS[1], 0, ARGV[i]) end
redis.call('ZREMRANGEBYRANK', KEYS[1], 1, -(tonumber(ARGV[1]) + 1))
redis.call('EXPIRE', KEYS[1], ARGV[2])
redis.call('SET', KEYS[2], '1', 'EX', ARGV[2])
return 1
"""

_PAGE = """
if redis.call('EXISTS', KEYS[2]) == 0 or redis.call('EXISTS', KEYS[1]) == 0 then
  return false
end
redis.call('EXPIRE', KEYS[1], ARGV[5])
redis.call('EXPIRE', KEYS[2], ARGV[5])
if ARGV[4] == '1' then
  return redis.call('ZRANGE', KEYS[1], ARGV[1], ARGV[2], 'BYLEX', 'REV', 'LIMIT', 0, ARGV[3])
end
return redis.call('ZRANGE', KEYS[1], ARGV[2], ARGV[1], 'BYLEX', 'LIMIT', 0, ARGV[3])
"""

_REMOVE_AUTHOR = """
local suffix = ARGV[1]
local removed = 0
for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if string.sub(member, -#suffix) == suffix then
    redis.call('ZREM', KEYS[1], member)
    removed = removed + 1
  end
end
return removed
"""


ADD, FINISH_REBUILD, PAGE, REMOVE_AUTHOR = map(
    Script, (_ADD, _FINISH_REBUILD, _PAGE, _REMOVE_AUTHOR)
)


def member(post_id: int, author_id: int) -> str:
    return f"{post_id:020d}:{author_id}"


def post_id_of(raw: bytes | str) -> int:
    return int(raw[:20])


class RedisFeedStore:
    distributed = True

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._prefix = f"{settings.redis_prefix}:feed:"
        url = settings.feed_redis_url or settings.redis_url
        # No socket timeouts: every call has one deadline of its own (`_guarded`).
        self._redis = redis_client.LazyClient(url, timeout=None)
        self._cluster = redis_client.is_cluster(url)
        # After a failure, reads skip Redis for a moment instead of each paying a timeout.
        self._breaker = redis_client.Breaker("feeds")

    @property
    def _ttl_seconds(self) -> int:
        return self._settings.feed_inactive_days * 86400

    def key(self, account_id: int) -> str:
        return f"{self._prefix}{{{account_id}}}"

    def built_key(self, account_id: int) -> str:
        return f"{self._prefix}{{{account_id}}}:built"

    # --- the store's questions ---------------------------------------------------------

    async def add(
        self, session: AsyncSession, *, account_ids: list[int], entries: list[Entry]
    ) -> int:
        members = [member(post_id, author_id) for post_id, author_id in entries]
        if not members or not account_ids:
            return 0
        keys = [self.key(account_id) for account_id in account_ids]
        size = 1 if self._cluster else FEEDS_PER_CALL
        args = [self._settings.feed_max_entries, *members]
        calls = [(keys[i : i + size], args) for i in range(0, len(keys), size)]
        results = await self._pipeline(ADD, calls)
        return sum(int(r) for r in results)

    async def remove_author(
        self, session: AsyncSession, *, account_id: int, author_id: int
    ) -> None:
        await self._call(REMOVE_AUTHOR, [self.key(account_id)], [f":{author_id}"])

    async def remove_post(
        self, session: AsyncSession, *, account_ids: list[int], post_id: int, author_id: int
    ) -> None:
        gone = member(post_id, author_id)

        async def run(client: Any) -> list[Any]:
            pipe = client.pipeline(transaction=False)
            for account_id in account_ids:
                pipe.zrem(self.key(account_id), gone)
            return list(await pipe.execute())

        await self._guarded(run)

    async def drop(self, session: AsyncSession, *, account_id: int, limit: int) -> int:
        keys = [self.key(account_id), self.built_key(account_id)]
        await self._guarded(lambda client: client.delete(*keys))
        return 0  # one call, whatever the feed's size

    async def page(
        self, session: AsyncSession, *, account_id: int, page: PageParams, count: int
    ) -> list[int] | None:
        low = max(page.since_id or 0, page.min_id or 0) + 1
        high = f"({page.max_id:020d}" if page.max_id is not None else "+"
        descending = page.min_id is None
        found = await self._call(
            PAGE,
            [self.key(account_id), self.built_key(account_id)],
            [high, f"[{low:020d}", count, "1" if descending else "0", self._ttl_seconds],
        )
        if found is None:
            return None
        return [post_id_of(raw) for raw in found]

    async def open_rebuild(self, *, account_id: int) -> None:
        key = self.key(account_id)

        async def run(client: Any) -> list[Any]:
            pipe = client.pipeline(transaction=False)
            pipe.zadd(key, {OPEN: 0}, nx=True)
            pipe.expire(key, self._ttl_seconds)
            return list(await pipe.execute())

        await self._guarded(run)

    async def finish_rebuild(self, *, account_id: int, entries: list[Entry]) -> None:
        members = [member(post_id, author_id) for post_id, author_id in entries]
        await self._call(
            FINISH_REBUILD,
            [self.key(account_id), self.built_key(account_id)],
            [self._settings.feed_max_entries, self._ttl_seconds, OPEN, *members],
        )

    async def entries(self, account_id: int) -> list[tuple[int, int]] | None:
        """(post id, author id) of a feed, newest first; None if it does not exist (tests,
        operators)."""
        raw = await self._guarded(lambda client: client.zrange(self.key(account_id), 0, -1))
        if not raw:
            return None
        found = [m.decode().split(":") for m in raw if m.decode() != OPEN]
        return [(int(p), int(a)) for p, a in reversed(found)]

    async def close(self) -> None:
        await self._redis.close()

    # --- Redis plumbing ------------------------------------------------------------------

    async def _guarded(self, run: Any) -> Any:
        """Run `run(client)`; a Redis that cannot answer in time becomes FeedUnavailable."""
        if self._breaker.open:
            raise FeedUnavailable("Redis failed moments ago")
        try:
            async with asyncio.timeout(CALL_TIMEOUT_SECONDS):
                return await run(self._redis())
        except ResponseError:
            raise  # a command Redis refused is a bug here, not an outage
        except (RedisError, OSError) as exc:
            self._breaker.trip(exc)
            raise FeedUnavailable(str(exc)) from exc

    async def _call(self, script: Script, keys: list[str], args: list[Any]) -> Any:
        return await self._guarded(
            lambda client: redis_client.run_script(client, script, keys, args)
        )

    async def _pipeline(
        self, script: Script, calls: list[tuple[list[str], list[Any]]]
    ) -> list[Any]:
        """Many calls of one script in one round trip (per node, on a cluster)."""

        async def run(client: Any) -> list[Any]:
            pipe = client.pipeline(transaction=False)
            for keys, args in calls:
                # Not pipe.evalsha(): redis-py refuses that name on cluster pipelines,
                # though it routes the raw command by its keys like any other.
                pipe.execute_command("EVALSHA", script.sha, len(keys), *keys, *args)
            results = list(await pipe.execute(raise_on_error=False))
            missing = [i for i, r in enumerate(results) if isinstance(r, NoScriptError)]
            if missing:
                retry = client.pipeline(transaction=False)
                for i in missing:
                    keys, args = calls[i]
                    retry.execute_command("EVAL", script.source, len(keys), *keys, *args)
                for i, result in zip(missing, await retry.execute(), strict=True):
                    results[i] = result
            for result in results:
                if isinstance(result, Exception):
                    raise result
            return results

        return list(await self._guarded(run))

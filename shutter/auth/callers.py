"""Callers of read requests remembered by each API process, checked against Redis.

Every API request needs its token's caller: the token's scopes and the account row. A
read request (GET) can take them from this process's memory instead of a database
query, provided nothing changed since they were read. Each token has a version in
Redis; a remembered caller is used only while its token's version is still the one read
*before* the database read that produced it. What changes an account or revokes a
token marks it in its transaction (`account_changed`, `token_revoked`); after the
commit, and before the response, the revoked tokens and every live token of the changed
accounts get a new random version. A change committed after a caller was read always
shows as a new version. The check costs one Redis command (`SET NX GET`, which also
starts a version for a token that has none, after a flushed Redis) in place of a
database round trip and ORM loading.

Embedded (no Redis) nothing is remembered: there is no shared place for the versions,
and the database is in-process. A Redis that fails makes callers come from the database
until it answers again; if versions could not be renewed, remembered callers are
dropped in this process, and other processes drop theirs within `MAX_AGE_SECONDS`
(five minutes).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from shutter.auth.models import Token
from shutter.infra import redis_client
from shutter.infra.db import Database, utcnow
from shutter.infra.settings import Settings

if TYPE_CHECKING:  # the auth service builds on what the context (and so this) provides
    from shutter.auth.service import Caller

# However a version check answers, a caller is read again after this long (what bounds
# a stale caller on other processes if a version could not be renewed).
MAX_AGE_SECONDS = 300.0
MAX_ENTRIES = 50_000
VERSION_TTL_SECONDS = 24 * 3600


@dataclass
class _Entry:
    version: bytes  # the token's version, read before `caller` was loaded
    caller: Caller
    loaded_at: float

    def current(self, version: bytes) -> bool:
        if self.version != version or time.monotonic() - self.loaded_at > MAX_AGE_SECONDS:
            return False
        expires_at = self.caller.expires_at
        return expires_at is None or expires_at > utcnow()


class CallerCache:
    def __init__(self, settings: Settings, db: Database) -> None:
        self._url = settings.redis_url
        self._db = db
        self._prefix = f"{settings.redis_prefix}:authv:"
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._redis = redis_client.LazyClient(settings.redis_url)
        self._breaker = redis_client.Breaker("caller versions")

    @property
    def enabled(self) -> bool:
        return bool(self._url)

    async def lookup(
        self, raw_token: str, load: Callable[[], Awaitable[Caller | None]]
    ) -> Caller | None:
        """The caller behind `raw_token`: remembered if still current, else `load()`ed."""
        if not self.enabled or self._breaker.open:
            return await load()
        key = hashlib.sha256(raw_token.encode()).hexdigest()  # the stored token_hash
        version = await self._version(key)
        if version is None:
            return await load()
        entry = self._entries.get(key)
        if entry is not None and entry.current(version):
            self._entries.move_to_end(key)
            return entry.caller
        caller = await load()
        if caller is not None and caller.account is not None:
            self._entries[key] = _Entry(version, caller, time.monotonic())
            self._entries.move_to_end(key)
            if len(self._entries) > MAX_ENTRIES:
                self._entries.popitem(last=False)
        return caller

    async def _version(self, token_hash: str) -> bytes | None:
        """The token's current version (None if Redis cannot tell)."""
        fresh = secrets.token_bytes(8)
        try:
            found = await self._redis().set(
                self._prefix + token_hash, fresh, nx=True, get=True, ex=VERSION_TTL_SECONDS
            )
        except Exception as exc:
            self._breaker.trip(exc)
            return None
        return bytes(found) if found is not None else fresh

    async def callers_changed(self, account_ids: set[int], token_hashes: set[str]) -> None:
        """After a commit that changed these accounts or revoked these tokens."""
        if not self.enabled:
            return
        try:
            stale = token_hashes | await self._live_tokens(account_ids)
            pipe = self._redis().pipeline(transaction=False)
            for token_hash in stale:
                pipe.set(self._prefix + token_hash, secrets.token_bytes(8), ex=VERSION_TTL_SECONDS)
            await pipe.execute()
        except Exception as exc:
            # The write has committed and must not fail now. Nothing tells the other
            # processes (theirs age out); this one forgets at once.
            self._breaker.trip(exc)
            self._entries.clear()

    async def _live_tokens(self, account_ids: set[int]) -> set[str]:
        if not account_ids:
            return set()
        async with self._db.read() as session:
            found = await session.scalars(
                select(Token.token_hash).where(
                    Token.account_id.in_(account_ids) & Token.revoked_at.is_(None)
                )
            )
            return set(found)

    async def close(self) -> None:
        self._entries.clear()
        await self._redis.close()

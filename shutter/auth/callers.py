"""Callers of read requests remembered by each API process, checked against Redis.

Every API request needs its token's caller: the token's scopes and the account row. A
read request (GET) can take them from this process's memory instead of a database
query, provided nothing changed since they were read. Each account has a caller version
in Redis; a remembered caller is used only while its account's version is still the one
read *before* the database read that produced it. The gate (shutter/auth/gate.py) reads
that version in the rate limit's round trip, so checking costs no round trip of its own.

What changes an account or revokes one of its tokens marks the account in its
transaction (`infra.db.account_changed`); after the commit, and before the response,
each marked account gets a new random version. A change committed after a caller was
read always shows as a new version. A token is remembered from its second read on an
instance: the gate knows which account's version to read only once this process has seen
the token authenticate.

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

import structlog

from shutter.infra import redis_client
from shutter.infra.context import AppContext, Part
from shutter.infra.db import utcnow
from shutter.infra.ratelimit import VERSION_TTL_SECONDS
from shutter.infra.settings import Settings

log = structlog.get_logger("shutter.auth")

if TYPE_CHECKING:  # the auth service builds on what the context (and so this) provides
    from shutter.auth.service import Caller

# However a version check answers, a caller is read again after this long (what bounds
# a stale caller on other processes if a version could not be renewed).
MAX_AGE_SECONDS = 300.0
MAX_ENTRIES = 50_000


@dataclass
class _Entry:
    account_id: int
    version: bytes  # the account's version, read before `caller` was loaded
    caller: Caller
    loaded_at: float

    def current(self, account_id: int, version: bytes) -> bool:
        if (self.account_id, self.version) != (account_id, version):
            return False
        if time.monotonic() - self.loaded_at > MAX_AGE_SECONDS:
            return False
        expires_at = self.caller.expires_at
        return expires_at is None or expires_at > utcnow()


class CallerCache:
    def __init__(self, settings: Settings) -> None:
        self._url = settings.redis_url
        self._prefix = f"{settings.redis_prefix}:authv:"
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._redis = redis_client.LazyClient(settings.redis_url)

    @property
    def enabled(self) -> bool:
        return bool(self._url)

    def version_key(self, account_id: int) -> str:
        # Tagged like the account's rate-limit window, so the gate reads both in one script.
        return f"{self._prefix}{{account:{account_id}}}"

    async def lookup(
        self,
        raw_token: str,
        load: Callable[[], Awaitable[Caller | None]],
        version: tuple[int, bytes] | None,
    ) -> Caller | None:
        """The caller behind `raw_token`: remembered if still current, else `load()`ed.

        `version` is (account id, caller version) as the gate read them before this
        request touched the database; without one, nothing is remembered or used.
        """
        if not self.enabled or version is None:
            return await load()
        account_id, current = version
        key = hashlib.sha256(raw_token.encode()).hexdigest()  # the stored token_hash
        entry = self._entries.get(key)
        if entry is not None and entry.current(account_id, current):
            self._entries.move_to_end(key)
            return entry.caller
        caller = await load()
        if caller is not None and caller.account is not None and caller.account.id == account_id:
            self._entries[key] = _Entry(account_id, current, caller, time.monotonic())
            self._entries.move_to_end(key)
            if len(self._entries) > MAX_ENTRIES:
                self._entries.popitem(last=False)
        return caller

    async def callers_changed(self, account_ids: set[int]) -> None:
        """After a commit that changed these accounts (or revoked tokens of theirs)."""
        if not self.enabled or not account_ids:
            return
        try:
            pipe = self._redis().pipeline(transaction=False)
            for account_id in account_ids:
                key = self.version_key(account_id)
                pipe.set(key, secrets.token_bytes(8), ex=VERSION_TTL_SECONDS)
            await pipe.execute()
        except Exception as exc:
            # The write has committed and must not fail now. Nothing tells the other
            # processes (theirs age out); this one forgets at once.
            log.warning("redis_unavailable", store="caller versions", error=str(exc) or repr(exc))
            self._entries.clear()

    async def close(self) -> None:
        self._entries.clear()
        await self._redis.close()


CALLERS: Part[CallerCache] = Part("caller cache")


def caller_cache(ctx: AppContext) -> CallerCache:
    """This process's caller cache (provided by shutter/assembly.py)."""
    return ctx.part(CALLERS)

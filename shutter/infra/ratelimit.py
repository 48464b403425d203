"""Rate limits: the seed's rule (N requests per caller per window) and stricter ones.

A caller is its account when it sends a token the process has seen authenticate as
one, its token for an app token (client credentials) seen to authenticate, and otherwise
its client IP: a token this process has not seen authenticate (a junk one, or a good
one on its first request here) counts against its address, so that a fresh random token
on each request neither escapes a spent address's budget nor buys a token look-up.
Each (limit, caller) has a fixed window
that opens at its first request and counts every request until it closes, like
Mastodon's own throttles. Counters live in this process when embedded (`LocalWindows`),
and in Redis when `SHUTTER_REDIS_URL` is set (`SharedWindows`: one atomic script, one
key, one round trip per request, so it works on a Redis Cluster too), so every API
instance counts against the same budget. If Redis cannot be reached the limiter lets
the request through (fail open, see docs/decisions/0005-rate-limits.md).

A hit can read one more key in the same round trip (`version_key`: a value started at
random when absent), so the gate (shutter/auth/gate.py) learns whether a remembered
caller is current without a round trip of its own. Window keys carry their caller in a
Redis Cluster hash tag (`…/{account:42}`); a version key tagged alike lives on the same
slot, which a script needs.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from shutter.infra import redis_client
from shutter.infra.errors import ApiError
from shutter.infra.settings import Settings


@dataclass(frozen=True)
class Limit:
    name: str
    amount: int
    seconds: int


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    reset_at: float
    version: bytes | None = None  # the value of the hit's `version_key`, if it asked for one

    @classmethod
    def of(cls, limit: Limit, count: int, reset_at: float, version: bytes | None = None) -> Verdict:
        allowed = count <= limit.amount
        return cls(allowed, limit.amount, max(0, limit.amount - count), reset_at, version)

    def headers(self) -> dict[str, str]:
        reset = datetime.fromtimestamp(self.reset_at, tz=UTC)
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": reset.strftime("%Y-%m-%dT%H:%M:%S.")
            + f"{reset.microsecond // 1000:03d}Z",
        }

    def retry_after(self) -> str:
        return str(max(1, int(self.reset_at - time.time() + 0.999)))


class StoreUnavailable(Exception):
    """The shared counters cannot be reached (limits then fail open)."""


class Windows(Protocol):
    async def hit(self, limit: Limit, key: str, version_key: str | None = None) -> Verdict: ...

    async def close(self) -> None: ...


class LocalWindows:
    """Windows in this process (the embedded profile): a count and a closing time per key.

    Closed windows are swept now and then, not on every hit. Versions are not kept here:
    only processes sharing a Redis remember callers.
    """

    SWEEP_EVERY = 10_000

    def __init__(self) -> None:
        self._windows: dict[str, tuple[int, float]] = {}
        self._hits = 0

    async def hit(self, limit: Limit, key: str, version_key: str | None = None) -> Verdict:
        now = time.time()
        count, closes_at = self._windows.get(key, (0, 0.0))
        if closes_at <= now:
            count, closes_at = 0, now + limit.seconds
        count += 1
        self._windows[key] = (count, closes_at)
        self._hits += 1
        if self._hits % self.SWEEP_EVERY == 0:
            self._windows = {k: v for k, v in self._windows.items() if v[1] > now}
        return Verdict.of(limit, count, closes_at)

    async def close(self) -> None:
        self._windows.clear()


# Count, and open the window (its expiry) on the first request; a key found without an
# expiry (never expected) gets one rather than counting forever. With a second key, its
# value too, started as ARGV[2] (random) when absent so that no old value can match it.
_HIT = redis_client.Script("""
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if count == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
local version = false
if KEYS[2] then
  version = redis.call('GET', KEYS[2])
  if not version then
    version = ARGV[2]
    redis.call('SET', KEYS[2], version, 'EX', ARGV[3])
  end
end
return {count, ttl, version}
""")
VERSION_TTL_SECONDS = 24 * 3600


class SharedWindows:
    """Windows in Redis, shared by every API instance: one script call per request."""

    def __init__(self, url: str, prefix: str) -> None:
        # No socket timeouts: a hit has one deadline of its own.
        self._redis = redis_client.LazyClient(url, timeout=None)
        self._prefix = prefix
        # After a failure, requests skip Redis for a moment instead of each waiting out
        # a timeout against a Redis that hangs.
        self._breaker = redis_client.Breaker("rate limits")

    async def hit(self, limit: Limit, key: str, version_key: str | None = None) -> Verdict:
        if self._breaker.open:
            raise StoreUnavailable
        keys = [self._prefix + key]
        args: list[int | bytes] = [limit.seconds * 1000]
        if version_key is not None:
            keys.append(version_key)
            # Only unlike any earlier value, not secret: no system call on every request.
            args += [random.getrandbits(64).to_bytes(8, "big"), VERSION_TTL_SECONDS]
        try:
            async with asyncio.timeout(redis_client.SOCKET_TIMEOUT_SECONDS):
                count, ttl_ms, version = await redis_client.run_script(
                    self._redis(), _HIT, keys, args
                )
        except Exception as exc:
            self._breaker.trip(exc)
            raise StoreUnavailable from exc
        reset_at = time.time() + int(ttl_ms) / 1000
        return Verdict.of(limit, int(count), reset_at, bytes(version) if version else None)

    async def close(self) -> None:
        await self._redis.close()


class RateLimiter:
    def __init__(self, settings: Settings) -> None:
        self._windows: Windows = (
            SharedWindows(settings.redis_url, f"{settings.redis_prefix}:rl:")
            if settings.redis_url
            else LocalWindows()
        )
        window = settings.rate_limit_window_seconds
        self.general = Limit("api", settings.rate_limit_requests, window)
        self.login = Limit("login", settings.rate_limit_login_requests, window)
        self.signup = Limit(
            "signup", settings.rate_limit_signup_requests, settings.rate_limit_signup_window_seconds
        )
        self.upload = Limit(
            "upload", settings.rate_limit_upload_requests, settings.rate_limit_upload_window_seconds
        )
        # Mails one may cause: keyed by address (password resets) or account.
        self.mail = Limit(
            "mail", settings.rate_limit_mail_requests, settings.rate_limit_mail_window_seconds
        )
        # Second-factor codes tried, per account and per address
        # (shutter/auth/service/second_factor.py).
        window = settings.rate_limit_two_factor_window_seconds
        self.two_factor = Limit("two_factor", settings.rate_limit_two_factor_requests, window)
        self.two_factor_ip = Limit(
            "two_factor_ip", settings.rate_limit_two_factor_ip_requests, window
        )
        # token digest → account id (None for an app token), learnt when a token
        # authenticates; bounded.
        self._callers: OrderedDict[str, int | None] = OrderedDict()

    async def hit(self, limit: Limit, *identity: str, version_key: str | None = None) -> Verdict:
        """Count one request against `limit` for `identity` (and read `version_key`, which
        must carry the same hash tag, `{<identity>}`)."""
        key = f"{limit.name}/{limit.amount}/{limit.seconds}/{{{'/'.join(identity)}}}"
        try:
            return await self._windows.hit(limit, key, version_key)
        except StoreUnavailable:  # serve rather than refuse everyone (logged by the breaker)
            return Verdict(True, limit.amount, limit.amount, time.time() + limit.seconds)

    async def check(self, limit: Limit, *identity: str) -> None:
        """Count a request and raise 429 when over `limit` (for limits keyed inside a route)."""
        verdict = await self.hit(limit, *identity)
        if not verdict.allowed:
            raise too_many(verdict)

    async def learn_caller(self, token: str, account_id: int | None) -> None:
        """Count this token's requests against its account (its own budget for an app
        token, `account_id` None) from now on, instead of against its address.

        The request that taught us was counted against the address, and its account is
        charged for it here too: every request of an account counts against it.
        """
        key = token_digest(token)
        known = key in self._callers and self._callers[key] == account_id
        self._callers[key] = account_id
        self._callers.move_to_end(key)
        if len(self._callers) > 50_000:
            self._callers.popitem(last=False)
        if not known and account_id is not None:
            await self.hit(self.general, f"account:{account_id}")

    def known_account(self, token: str) -> int | None:
        """The account this process has seen `token` authenticate as."""
        return self._callers.get(token_digest(token))

    def caller_key(self, token: str | None, client_ip: str) -> str:
        """Whose budget a request counts against: the account (or app token) its token
        authenticated as before, else its address."""
        if token is None:
            return f"ip:{client_ip}"
        key = token_digest(token)
        if key not in self._callers:  # never seen to authenticate: maybe junk
            return f"ip:{client_ip}"
        account_id = self._callers[key]
        return f"account:{account_id}" if account_id is not None else f"token:{key}"

    async def close(self) -> None:
        await self._windows.close()


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:32]


def too_many(verdict: Verdict) -> ApiError:
    return ApiError(
        429,
        "Too many requests",
        headers=verdict.headers() | {"Retry-After": verdict.retry_after()},
    )

"""Rate limits: the seed's rule (N requests per caller per window) and stricter ones.

A caller is its account when it sends a token the process has seen authenticated,
otherwise its token, otherwise its client IP. Each (limit, caller) has a fixed window
that opens at its first request and counts every request until it closes, like
Mastodon's own throttles. Counters live in this process when embedded (`LocalWindows`),
and in Redis when `SHUTTER_REDIS_URL` is set (`SharedWindows`: one atomic script, one
key, one round trip per request, so it works on a Redis Cluster too), so every API
instance counts against the same budget. If Redis cannot be reached the limiter lets
the request through (fail open, see docs/decisions/0005-rate-limits.md).

Every API response carries Mastodon's `X-RateLimit-Limit`, `X-RateLimit-Remaining` and
`X-RateLimit-Reset`; a refused request gets 429 with `Retry-After`.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from starlette.datastructures import QueryParams
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shutter.infra import redis_client
from shutter.infra.errors import ApiError
from shutter.infra.http import bearer_token, json_response
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

    @classmethod
    def of(cls, limit: Limit, count: int, reset_at: float) -> Verdict:
        return cls(count <= limit.amount, limit.amount, max(0, limit.amount - count), reset_at)

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
    async def hit(self, limit: Limit, key: str) -> Verdict: ...

    async def close(self) -> None: ...


class LocalWindows:
    """Windows in this process (the embedded profile): a count and a closing time per key.

    Closed windows are swept now and then, not on every hit.
    """

    SWEEP_EVERY = 10_000

    def __init__(self) -> None:
        self._windows: dict[str, tuple[int, float]] = {}
        self._hits = 0

    async def hit(self, limit: Limit, key: str) -> Verdict:
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
# expiry (never expected) gets one rather than counting forever.
_HIT = """
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if count == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
"""


class SharedWindows:
    """Windows in Redis, shared by every API instance: one script call per request."""

    def __init__(self, url: str, prefix: str) -> None:
        self._redis = redis_client.LazyClient(url)
        self._prefix = prefix
        self._script = self._redis().register_script(_HIT)
        # After a failure, requests skip Redis for a moment instead of each waiting out
        # a socket timeout against a Redis that hangs.
        self._breaker = redis_client.Breaker("rate limits")

    async def hit(self, limit: Limit, key: str) -> Verdict:
        if self._breaker.open:
            raise StoreUnavailable
        try:
            count, ttl_ms = await self._script(
                keys=[self._prefix + key], args=[limit.seconds * 1000]
            )
        except Exception as exc:
            self._breaker.trip(exc)
            raise StoreUnavailable from exc
        return Verdict.of(limit, int(count), time.time() + int(ttl_ms) / 1000)

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
        # token digest → account id, learnt when a token authenticates; bounded.
        self._accounts: OrderedDict[str, int] = OrderedDict()

    async def hit(self, limit: Limit, *identity: str) -> Verdict:
        """Count one request against `limit` for `identity`."""
        key = "/".join((limit.name, str(limit.amount), str(limit.seconds), *identity))
        try:
            return await self._windows.hit(limit, key)
        except StoreUnavailable:  # serve rather than refuse everyone (logged by the breaker)
            return Verdict(True, limit.amount, limit.amount, time.time() + limit.seconds)

    async def check(self, limit: Limit, *identity: str) -> None:
        """Count a request and raise 429 when over `limit` (for limits keyed inside a route)."""
        verdict = await self.hit(limit, *identity)
        if not verdict.allowed:
            raise too_many(verdict)

    async def learn_account(self, token: str, account_id: int) -> None:
        """Count this token's requests against its account from now on.

        The request that taught us was counted against the token alone, so the account
        is charged for it here: every request of an account counts exactly once.
        """
        key = token_digest(token)
        known = self._accounts.get(key) == account_id
        self._accounts[key] = account_id
        self._accounts.move_to_end(key)
        if len(self._accounts) > 50_000:
            self._accounts.popitem(last=False)
        if not known:
            await self.hit(self.general, f"account:{account_id}")

    def caller_key(self, token: str | None, client_ip: str) -> str:
        if token is None:
            return f"ip:{client_ip}"
        digest = token_digest(token)
        account_id = self._accounts.get(digest)
        return f"account:{account_id}" if account_id is not None else f"token:{digest}"

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


# Media files, static assets and probes are not API calls: never counted.
_UNCOUNTED = ("/media/", "/static/", "/healthz", "/readyz", "/metrics")
_LOGIN_PATHS = ("/oauth/token", "/oauth/authorize")
_UPLOAD_PATHS = ("/api/v2/media", "/api/v1/media")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


class RateLimitMiddleware:
    """Counts every API request before it runs; answers 429 or adds the headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path.startswith(_UNCOUNTED):
            await self.app(scope, receive, send)
            return
        limiter: RateLimiter = scope["app"].state.ctx.ratelimiter
        verdict = await _verdict(limiter, scope, path)
        if not verdict.allowed:
            error = too_many(verdict)
            response = json_response({"error": error.message}, status=429, headers=error.headers)
            await response(scope, receive, send)
            return
        extra = [(k.lower().encode(), v.encode()) for k, v in verdict.headers().items()]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _verdict(limiter: RateLimiter, scope: Scope, path: str) -> Verdict:
    client = scope.get("client")
    ip = client[0] if client else "unknown"
    token = bearer_token(
        _header(scope, b"authorization"), QueryParams(scope.get("query_string", b""))
    )
    caller = limiter.caller_key(token, ip)
    if scope.get("method") == "POST":
        special: tuple[Limit, str] | None = None
        if path in _LOGIN_PATHS:
            special = (limiter.login, f"ip:{ip}")
        elif path == "/api/v1/accounts":
            special = (limiter.signup, f"ip:{ip}")
        elif path in _UPLOAD_PATHS:
            special = (limiter.upload, caller)
        if special is not None:
            strict = await limiter.hit(special[0], special[1])
            if not strict.allowed:
                return strict
    return await limiter.hit(limiter.general, caller)

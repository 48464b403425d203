"""Rate limits: the seed's rule (N requests per caller per window) and stricter ones.

A caller is its account when it sends a token the process has seen authenticated,
otherwise its token, otherwise its client IP. Counters live in this process when
embedded (`LocalWindows`), and in Redis through the `limits` library when
`SHUTTER_REDIS_URL` is set, so every API instance counts against the same budget. If
Redis cannot be reached the limiter lets the request through (fail open, see
docs/decisions/0005-rate-limits.md).

Every API response carries Mastodon's `X-RateLimit-Limit`, `X-RateLimit-Remaining` and
`X-RateLimit-Reset`; a refused request gets 429 with `Retry-After`.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict, deque
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog
from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from starlette.datastructures import QueryParams
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shutter.infra.errors import ApiError
from shutter.infra.http import bearer_token, json_response
from shutter.infra.settings import Settings

log = structlog.get_logger("shutter.ratelimit")


def _per(count: int, seconds: int) -> RateLimitItem:
    return RateLimitItemPerSecond(count, seconds)


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    reset_at: float

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


class LocalWindows:
    """Moving windows in this process (the embedded profile): a log of hit times per key.

    `limits`' own MemoryStorage sweeps every key, with a thread hop per key, after each
    hit; with a few thousand callers that costs more than the request it guards. Here a
    key's log is trimmed when the key is hit, and idle keys are swept now and then.
    """

    SWEEP_EVERY = 10_000

    def __init__(self) -> None:
        self._logs: dict[str, deque[float]] = {}
        self._hits = 0

    def hit(self, item: RateLimitItem, key: str) -> Verdict:
        now = time.time()
        window = item.get_expiry()
        full_key = f"{item.key_for()}/{key}"
        log_ = self._logs.setdefault(full_key, deque())
        while log_ and log_[0] <= now - window:
            log_.popleft()
        allowed = len(log_) < item.amount
        if allowed:
            log_.append(now)
        self._hits += 1
        if self._hits % self.SWEEP_EVERY == 0:
            self._sweep(now)
        reset_at = (log_[0] if log_ else now) + window
        return Verdict(allowed, item.amount, item.amount - len(log_), reset_at)

    def _sweep(self, now: float) -> None:
        longest = 86_400.0  # no window of ours is longer than a day
        for key in [k for k, v in self._logs.items() if not v or v[-1] <= now - longest]:
            del self._logs[key]


class RateLimiter:
    def __init__(self, settings: Settings) -> None:
        self._shared = (
            MovingWindowRateLimiter(
                RedisStorage(
                    "async+" + settings.redis_url,
                    implementation="redispy",
                    key_prefix=f"{settings.redis_prefix}:rl",
                )
            )
            if settings.redis_url
            else None
        )
        self._local = LocalWindows()
        self.general = _per(settings.rate_limit_requests, settings.rate_limit_window_seconds)
        self.login = _per(settings.rate_limit_login_requests, settings.rate_limit_window_seconds)
        self.signup = _per(
            settings.rate_limit_signup_requests, settings.rate_limit_signup_window_seconds
        )
        self.upload = _per(
            settings.rate_limit_upload_requests, settings.rate_limit_upload_window_seconds
        )
        # token digest → account id, learnt when a token authenticates; bounded.
        self._accounts: OrderedDict[str, int] = OrderedDict()

    async def hit(self, item: RateLimitItem, *identity: str) -> Verdict:
        """Count one request against `item` for `identity`."""
        if self._shared is None:
            return self._local.hit(item, "/".join(identity))
        try:
            allowed = await self._shared.hit(item, *identity)
            stats = await self._shared.get_window_stats(item, *identity)
        except Exception:  # the shared store is down: serve rather than refuse everyone
            log.warning("rate_limit_store_unavailable", exc_info=True)
            return Verdict(True, item.amount, item.amount, time.time() + item.get_expiry())
        return Verdict(allowed, item.amount, max(0, stats.remaining), stats.reset_time)

    async def check(self, item: RateLimitItem, *identity: str) -> None:
        """Count a request and raise 429 when over `item` (for limits keyed inside a route)."""
        verdict = await self.hit(item, *identity)
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
            await self.hit(self.general, "api", f"account:{account_id}")

    def caller_key(self, token: str | None, client_ip: str) -> str:
        if token is None:
            return f"ip:{client_ip}"
        digest = token_digest(token)
        account_id = self._accounts.get(digest)
        return f"account:{account_id}" if account_id is not None else f"token:{digest}"


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
        special: tuple[RateLimitItem, str] | None = None
        if path in _LOGIN_PATHS:
            special = (limiter.login, f"ip:{ip}")
        elif path == "/api/v1/accounts":
            special = (limiter.signup, f"ip:{ip}")
        elif path in _UPLOAD_PATHS:
            special = (limiter.upload, caller)
        if special is not None:
            strict = await limiter.hit(special[0], path, special[1])
            if not strict.allowed:
                return strict
    return await limiter.hit(limiter.general, "api", caller)

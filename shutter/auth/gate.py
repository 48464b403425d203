"""The gate every API request passes before its route: who is calling, and may they.

A pure ASGI middleware. It counts the request against its caller's rate limits
(shutter/infra/ratelimit.py) and answers 429 with `Retry-After` when a budget is spent;
otherwise the response carries Mastodon's `X-RateLimit-Limit`, `X-RateLimit-Remaining`
and `X-RateLimit-Reset`. Media files, static assets and probes are not API calls and
pass uncounted.

For a GET whose token this process has seen authenticate, the same Redis round trip
also reads the account's caller version (shutter/auth/callers.py), and leaves it for
the route's caller dependency (`caller_version`): the version is read before any
database read whose result it vouches for, and a remembered caller costs no round trip
of its own.
"""

from __future__ import annotations

from starlette.datastructures import QueryParams
from starlette.requests import Request, cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shutter.auth.callers import caller_cache
from shutter.auth.web_sessions import SESSION_COOKIE
from shutter.infra.context import AppContext
from shutter.infra.http import bearer_token, json_response
from shutter.infra.ratelimit import Limit, Verdict, too_many

# The worker script and the manifest are static files served from the root.
_UNCOUNTED = (
    "/media/",
    "/static/",
    "/sw.js",
    "/manifest.webmanifest",
    "/healthz",
    "/health",
    "/readyz",
    "/metrics",
    # The website's live connection and its polling fallback (shutter/web/pages/notifications.py).
    "/web/stream",
    "/web/unread",
)
# Log-in, and the password-reset requests that stand in for one (per address too:
# shutter/accounts/service/passwords.py).
_LOGIN_PATHS = (
    "/oauth/token",
    "/oauth/authorize",
    "/api/v1/shutter/password/reset",
    "/api/v1/shutter/password/reset/confirm",
    "/login",  # the website's log-in form (shutter/web)
)
_SIGNUP_PATHS = ("/api/v1/accounts", "/signup")
_UPLOAD_PATHS = ("/api/v2/media", "/api/v1/media", "/web/media")
_CALLER_VERSION = "shutter.caller_version"

# (account id, its caller version): what the gate read for a remembered token.
CallerVersion = tuple[int, bytes]


def caller_version(request: Request) -> CallerVersion | None:
    """The caller version the gate read for this request, if it read one."""
    found: CallerVersion | None = request.scope.get("state", {}).get(_CALLER_VERSION)
    return found


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _session_cookie(scope: Scope) -> str | None:
    """The website's session token: a person's pages count against their own budget,
    as their app's requests do (only counted here; shutter/web authenticates it)."""
    cookies = _header(scope, b"cookie")
    if not cookies or SESSION_COOKIE not in cookies:
        return None
    value = cookie_parser(cookies).get(SESSION_COOKIE)
    return value or None


class GateMiddleware:
    """Counts every API request before it runs; answers 429 or adds the headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path.startswith(_UNCOUNTED):
            await self.app(scope, receive, send)
            return
        verdict = await _admit(scope["app"].state.ctx, scope, path)
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


async def _admit(ctx: AppContext, scope: Scope, path: str) -> Verdict:
    limiter = ctx.ratelimiter
    client = scope.get("client")
    ip = client[0] if client else "unknown"
    token = bearer_token(
        _header(scope, b"authorization"), QueryParams(scope.get("query_string", b""))
    ) or _session_cookie(scope)
    method = scope.get("method")
    if method == "POST":
        special: tuple[Limit, str] | None = None
        if path in _LOGIN_PATHS:
            special = (limiter.login, f"ip:{ip}")
        elif path in _SIGNUP_PATHS:
            special = (limiter.signup, f"ip:{ip}")
        elif path in _UPLOAD_PATHS:
            special = (limiter.upload, limiter.caller_key(token, ip))
        if special is not None:
            strict = await limiter.hit(special[0], special[1])
            if not strict.allowed:
                return strict
    account_id = limiter.known_account(token) if token is not None else None
    callers = caller_cache(ctx)
    if method != "GET" or account_id is None or not callers.enabled:
        return await limiter.hit(limiter.general, limiter.caller_key(token, ip))
    verdict = await limiter.hit(
        limiter.general, f"account:{account_id}", version_key=callers.version_key(account_id)
    )
    if verdict.version is not None:
        scope.setdefault("state", {})[_CALLER_VERSION] = (account_id, verdict.version)
    return verdict

"""Cross-origin access as Mastodon allows it (rack-cors), for browser clients.

Browser apps such as Elk and Phanpy call the API from their own origin: the API, the
token and revocation endpoints, userinfo, and the discovery documents answer any
origin, without credentials (the bearer token is the credential, never a cookie), allow
whatever request headers a preflight asks for, and expose the headers clients read
(pagination, rate limits). The authorize page and media files are not cross-origin
resources.

It stands outside the rate-limit gate: a preflight is answered here, before the gate
counts anything, so browsers' preflights spend no budget. Written on raw ASGI headers
(Starlette's CORSMiddleware cost ~12 µs a request, most of a cheap route's middleware
time).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_PREFIXES = ("/api/", "/.well-known/", "/nodeinfo/")
_PATHS = frozenset({"/oauth/token", "/oauth/revoke", "/oauth/userinfo", "/nodeinfo"})
METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS")
EXPOSED = (
    "Link",
    "X-RateLimit-Reset",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-Request-Id",
    "Idempotency-Key",
)
# rack-cors' default: browsers keep a preflight's answer this long (Chrome caps it at 2 h).
MAX_AGE_SECONDS = 7200

_ANY_ORIGIN = (b"access-control-allow-origin", b"*")
_EXPOSE = (b"access-control-expose-headers", ", ".join(EXPOSED).encode())
_PREFLIGHT = [
    _ANY_ORIGIN,
    (b"access-control-allow-methods", ", ".join(METHODS).encode()),
    (b"access-control-max-age", str(MAX_AGE_SECONDS).encode()),
    (b"vary", b"Access-Control-Request-Method, Access-Control-Request-Headers"),
    (b"content-length", b"0"),
]
_METHODS = frozenset(m.encode() for m in METHODS)


def is_cross_origin_resource(path: str) -> bool:
    return path in _PATHS or path.startswith(_PREFIXES)


class CorsMiddleware:
    """Answers preflights and marks cross-origin answers on the cross-origin paths."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_cross_origin_resource(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        origin = asked_method = asked_headers = None
        for key, value in scope["headers"]:
            if key == b"origin":
                origin = value
            elif key == b"access-control-request-method":
                asked_method = value
            elif key == b"access-control-request-headers":
                asked_headers = value
        if origin is None:  # not a cross-origin request: nothing to add
            await self.app(scope, receive, send)
            return
        if scope.get("method") == "OPTIONS" and asked_method is not None:
            await _preflight(send, asked_method, asked_headers)
            return

        async def send_marked(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), _ANY_ORIGIN, _EXPOSE]
            await send(message)

        await self.app(scope, receive, send_marked)


async def _preflight(send: Send, method: bytes, headers: bytes | None) -> None:
    """200 allowing the method and the headers asked for; a method outside Mastodon's
    gets no CORS headers, so the browser does not send the request."""
    if method.upper() not in _METHODS:
        answer = [(b"content-length", b"0")]
    else:
        answer = [*_PREFLIGHT]
        if headers is not None:  # rack-cors' `headers: :any` echoes what was asked
            answer.append((b"access-control-allow-headers", headers))
    await send({"type": "http.response.start", "status": 200, "headers": answer})
    await send({"type": "http.response.body", "body": b""})

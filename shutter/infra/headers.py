"""Headers every answer carries, and request headers read the way RFC 9110 asks.

A pure ASGI middleware, outermost, so it sees every answer (errors, 429s, preflights):

- `X-Content-Type-Options: nosniff` on everything, so no browser reads an answer as a
  type other than the one it says (a JSON error echoing input run as HTML);
- on HTML pages (the authorize page), `Content-Security-Policy: frame-ancestors 'none'`
  and `X-Frame-Options: DENY`: a page that logs in and grants access must not be framed
  by another site (clickjacking);
- a `Range` in a unit other than bytes is removed before any route sees it: RFC 9110
  §14.2 says a server ignores a range unit it does not know and answers the whole
  representation, where file responses would answer 400.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_FRAME_ANCESTORS = b"frame-ancestors 'none'"


def _without_unknown_range(scope: Scope) -> Scope:
    """`scope` without a Range header whose unit is not `bytes` (the same scope if none)."""
    headers = scope["headers"]
    for key, value in headers:
        if key == b"range":
            unit = value.partition(b"=")[0].strip().lower()
            if unit != b"bytes":
                kept = [(k, v) for k, v in headers if k != b"range"]
                return {**scope, "headers": kept}
            break
    return scope


def _secure(message: Message) -> None:
    # On raw header pairs: every answer passes here, and MutableHeaders cost several
    # times as much.
    headers = list(message.get("headers", ()))
    content_type = b""
    nosniff = framing = False
    policy: bytes | None = None
    for key, value in headers:
        if key == b"content-type":
            content_type = value
        elif key == b"x-content-type-options":
            nosniff = True
        elif key == b"x-frame-options":
            framing = True
        elif key == b"content-security-policy":
            policy = value
    if not nosniff:
        headers.append((b"x-content-type-options", b"nosniff"))
    if content_type.startswith(b"text/html"):
        if not framing:
            headers.append((b"x-frame-options", b"DENY"))
        if policy is None:
            headers.append((b"content-security-policy", _FRAME_ANCESTORS))
        elif b"frame-ancestors" not in policy:
            headers.remove((b"content-security-policy", policy))
            headers.append((b"content-security-policy", policy + b"; " + _FRAME_ANCESTORS))
    message["headers"] = headers


class SecurityHeadersMiddleware:
    """Adds the headers above to every HTTP answer; drops Range units it does not know."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                _secure(message)
            await send(message)

        await self.app(_without_unknown_range(scope), receive, send_secured)

"""Request bodies are bounded: 413 before a body over its limit is read whole.

A pure ASGI middleware, in front of every route. A body whose `Content-Length` is over
the limit is refused before a byte of it is read; a body without one (chunked) or
longer than it said is counted as it streams in, and the request is answered 413 as
soon as it passes the limit, whatever the route was doing with it.

The limit is SHUTTER_MAX_REQUEST_BODY_BYTES, except where files come in: media uploads
may be as large as the larger media limit, profile updates as two images (an avatar
and a header), and list imports as twice the largest list (so the import itself answers
a list over its limit), each plus the general limit for the form's other fields and framing.
"""

from __future__ import annotations

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shutter.infra.errors import ApiError
from shutter.infra.http import json_response
from shutter.infra.settings import Settings

_UPLOAD_PATHS = frozenset({"/api/v1/media", "/api/v2/media"})
_PROFILE_PATH = "/api/v1/accounts/update_credentials"
_IMPORT_PATH = "/api/v1/shutter/imports"
# The largest list an import reads (shutter/archive/service/csvfiles.MAX_IMPORT_BYTES): a
# file just over it gets the import's own 422, which says what the limit is.
_IMPORT_FILE_BYTES = 1024 * 1024


class BodyTooLarge(ApiError):
    """The body passed its limit while it was read."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is larger than {limit} bytes")


def _framing(scope: Scope) -> tuple[int | None, bool]:
    """The declared Content-Length (None without a valid one), and whether a body is
    announced at all (a Content-Length or a Transfer-Encoding)."""
    length: int | None = None
    announced = False
    for key, value in scope["headers"]:
        if key == b"content-length":
            announced = True
            length = int(value) if value.isdigit() else None
        elif key == b"transfer-encoding":
            announced = True
    return length, announced


class BodyLimitMiddleware:
    """Answers 413 to a request whose body is (or becomes) longer than its route allows."""

    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        general = settings.max_request_body_bytes
        self.general = general
        self.upload = max(settings.max_video_bytes, settings.max_image_bytes) + general
        self.profile = 2 * settings.max_image_bytes + general  # an avatar and a header
        self.imports = 2 * _IMPORT_FILE_BYTES + general

    def limit_for(self, scope: Scope) -> int:
        method, path = scope.get("method"), scope.get("path", "")
        if method == "POST" and path in _UPLOAD_PATHS:
            return self.upload
        if method == "PATCH" and path == _PROFILE_PATH:
            return self.profile
        if method == "POST" and path == _IMPORT_PATH:
            return self.imports
        return self.general

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared, announced = _framing(scope)
        if not announced and scope.get("method") in ("GET", "HEAD"):
            await self.app(scope, receive, send)  # the hot path: reads have no body
            return
        limit = self.limit_for(scope)
        if declared is not None and declared > limit:
            await _refusal(limit)(scope, receive, send)
            return
        await _Bounded(self.app, limit).run(scope, receive, send)


def _refusal(limit: int) -> Response:
    error = BodyTooLarge(limit)
    return json_response({"error": error.message}, status=error.status)


class _Bounded:
    """One request, its body counted as it is received."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit
        self.received = 0
        self.exceeded = False
        self.started = False

    async def run(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def bounded_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                self.received += len(message.get("body", b""))
                if self.received > self.limit:
                    self.exceeded = True
                    raise BodyTooLarge(self.limit)
            return message

        async def guarded_send(message: Message) -> None:
            if self.exceeded:
                # Whatever the route made of the cut-off body (a parse error, a 500), the
                # answer is the 413, once; the rest of the route's answer is dropped.
                if message["type"] == "http.response.start" and not self.started:
                    self.started = True
                    await _refusal(self.limit)(scope, receive, send)
                return
            if message["type"] == "http.response.start":
                self.started = True
            await send(message)

        try:
            await self.app(scope, bounded_receive, guarded_send)
        except BodyTooLarge:
            if not self.started:
                self.started = True
                await _refusal(self.limit)(scope, receive, send)

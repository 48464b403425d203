"""Mastodon's streaming API: one WebSocket with many streams, and server-sent events.

A client subscribes to streams (`user`, `user:notification`, `direct`, `hashtag` with a
tag, `list`, the public ones: shutter/notifications/streams.py); each listens to one
event-bus channel and lets through the events it carries. Messages
follow Mastodon: `{"stream": ["user"], "event": "notification", "payload": "<json>"}`,
the payload being JSON in a string. Bad messages get `{"error": …, "status": 400}` on the
socket and the connection stays open; a bad token is refused before the upgrade (401).
Once its token no longer authenticates (revoked, see shutter/auth/revocation.py), a
stream ends: the socket is closed (1008), the SSE response finishes.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request, WebSocket, WebSocketDisconnect
from starlette.responses import PlainTextResponse, Response, StreamingResponse

from shutter.accounts.models import Account
from shutter.auth import service as auth
from shutter.auth.deps import OptionalCaller, user
from shutter.auth.revocation import AccessEnded, AccessWatch
from shutter.auth.scopes import covers
from shutter.auth.service import Caller
from shutter.filters.live import LiveFilters
from shutter.infra.context import AppContext
from shutter.infra.deps import Ctx
from shutter.infra.errors import ApiError
from shutter.infra.events import Subscription
from shutter.infra.http import bearer_token, json_response
from shutter.notifications.streams import (
    HiddenAuthors,
    Stream,
    StreamError,
    next_event,
    owned_stream,
    resolve_stream,
)

router = APIRouter()

HEARTBEAT_SECONDS = 15.0
READ_SCOPES = "read read:statuses read:notifications"


# --- WebSocket -------------------------------------------------------------------------


def _token(websocket: WebSocket) -> tuple[str | None, str | None]:
    """(token, subprotocol to echo): query, Sec-WebSocket-Protocol or Authorization."""
    query = websocket.query_params.get("access_token")
    if query:
        return query, None
    protocol = websocket.headers.get("sec-websocket-protocol", "").split(",")[0].strip()
    if protocol:
        return protocol, protocol
    scheme, _, value = websocket.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip(), None
    return None, None


async def _authenticate(ctx: AppContext, raw: str | None) -> Caller | None:
    if not raw:
        return None
    async with ctx.db.read() as session:
        caller = await auth.authenticate(session, raw)
    if caller is None or caller.account is None:
        return None
    if not any(covers(caller.scopes, scope) for scope in READ_SCOPES.split()):
        return None
    if not caller.confirmed and ctx.settings.require_email_confirmation:
        return None  # as every other route but verify_credentials (auth/deps.py)
    if caller.account.approved_at is None or caller.account.disabled_at is not None:
        return None  # awaiting approval or disabled: refused everywhere (auth/deps.py)
    return caller


async def _refuse(websocket: WebSocket) -> None:
    """401 before the upgrade, as Mastodon answers; a plain close where that is unsupported."""
    body = json_response({"error": "Error: Invalid access token"}, status=401)
    try:
        await websocket.send_denial_response(body)
    except RuntimeError:
        await websocket.close(code=1008)


class Connection:
    """One client's socket: its streams, and the task forwarding bus events to it."""

    def __init__(
        self,
        websocket: WebSocket,
        account: Account,
        subscription: Subscription,
        access: AccessWatch,
    ):
        self.websocket = websocket
        self.account = account
        self.subscription = subscription
        self.access = access
        self.streams: dict[tuple[str, ...], Stream] = {}
        self.send_lock = asyncio.Lock()
        self.closed = False
        self.hidden = HiddenAuthors(websocket.app.state.ctx, account.id)
        self.filters = LiveFilters(websocket.app.state.ctx, account.id)

    async def send(self, message: dict[str, Any]) -> None:
        async with self.send_lock:
            if not self.closed:  # replies to messages that crossed the close are dropped
                await self.websocket.send_text(orjson.dumps(message).decode())

    async def close(self) -> None:
        """End the connection from our side (the receive loop then hears the disconnect)."""
        async with self.send_lock:
            if not self.closed:
                self.closed = True
                await self.websocket.close(code=1008, reason="Invalid access token")

    async def error(self, message: str, status: int = 400) -> None:
        await self.send({"error": message, "status": status})

    async def subscribe(self, name: object, tag: object, list_id: object = None) -> None:
        ctx: AppContext = self.websocket.app.state.ctx
        stream = await owned_stream(ctx, name, account=self.account, tag=tag, list_id=list_id)
        if stream.names not in self.streams:
            self.streams[stream.names] = stream
            await self.subscription.add(stream.channel)

    async def unsubscribe(self, name: object, tag: object, list_id: object = None) -> None:
        stream = resolve_stream(name, account=self.account, tag=tag, list_id=list_id)
        if self.streams.pop(stream.names, None) is None:
            return
        if not any(s.channel == stream.channel for s in self.streams.values()):
            await self.subscription.discard(stream.channel)

    async def handle(self, raw: str) -> None:
        """One client message; anything malformed is answered with an error, not a close."""
        try:
            message = orjson.loads(raw)
        except orjson.JSONDecodeError:
            await self.error("Invalid JSON")
            return
        if not isinstance(message, dict):
            await self.error("Invalid message")
            return
        kind = message.get("type")
        try:
            if kind == "subscribe":
                await self.subscribe(message.get("stream"), message.get("tag"), message.get("list"))
            elif kind == "unsubscribe":
                await self.unsubscribe(
                    message.get("stream"), message.get("tag"), message.get("list")
                )
            else:
                await self.error("Unknown message type")
        except StreamError as exc:
            await self.error(str(exc), exc.status)

    async def forward(self) -> None:
        try:
            while True:
                received = await next_event(self.subscription, self.access)
                if received is None:
                    continue
                channel, event = received
                if await self.hidden.hides(event):
                    continue
                if (filtered := await self.filters.apply(channel, event)) is None:
                    continue
                event = filtered
                for stream in list(self.streams.values()):
                    if stream.channel == channel and (out := stream.message(event)):
                        await self.send(out)
        except AccessEnded:
            await self.close()


@router.websocket("/api/v1/streaming")
@router.websocket("/api/v1/streaming/")
async def websocket_stream(websocket: WebSocket) -> None:
    ctx: AppContext = websocket.app.state.ctx
    raw, protocol = _token(websocket)
    caller = await _authenticate(ctx, raw)
    if raw is None or caller is None or caller.account is None:
        await _refuse(websocket)
        return
    await websocket.accept(subprotocol=protocol)
    access = AccessWatch(ctx, raw, caller, READ_SCOPES)
    subscription = await ctx.events.subscribe([access.channel])
    connection = Connection(websocket, caller.account, subscription, access)
    forwarder = asyncio.create_task(connection.forward())
    try:
        # `?stream=user` subscribes at once, as in Mastodon.
        if first := websocket.query_params.get("stream"):
            query = websocket.query_params
            try:
                await connection.subscribe(first, query.get("tag"), query.get("list"))
            except StreamError as exc:
                await connection.error(str(exc), exc.status)
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            text = message.get("text")
            if text is None and message.get("bytes") is not None:
                text = message["bytes"].decode(errors="replace")
            await connection.handle(text or "")
    except WebSocketDisconnect:
        pass
    finally:
        forwarder.cancel()
        with contextlib.suppress(BaseException):
            await forwarder
        await subscription.close()


# --- server-sent events ------------------------------------------------------------------

Reader = Annotated[Account, Depends(user(READ_SCOPES))]


async def _events(
    subscription: Subscription, stream: Stream, hidden: HiddenAuthors, access: AccessWatch
) -> AsyncIterator[bytes]:
    filters = LiveFilters(hidden.ctx, hidden.viewer_id)
    try:
        yield b":)\n\n"  # at once, so clients and proxies see the stream is open
        while True:
            received = await next_event(subscription, access, HEARTBEAT_SECONDS)
            if received is None:
                yield b":thump\n\n"
                continue
            channel, event = received
            if await hidden.hides(event):
                continue
            if (filtered := await filters.apply(channel, event)) is None:
                continue
            event = filtered
            if channel == stream.channel and (out := stream.message(event)):
                yield f"event: {out['event']}\ndata: {out['payload']}\n\n".encode()
    except AccessEnded:
        return  # the response ends; the client's reconnection is refused (401)
    finally:
        await subscription.close()


async def _sse(
    ctx: AppContext, request: Request, caller: Caller | None, stream: Stream
) -> Response:
    raw = bearer_token(request.headers.get("authorization"), request.query_params)
    # `Reader` already refused requests without a user token holding a read scope.
    assert raw is not None and caller is not None and caller.account is not None
    return await sse_response(ctx, raw, caller, stream)


async def sse_response(ctx: AppContext, raw: str, caller: Caller, stream: Stream) -> Response:
    """A stream as server-sent events for an authenticated user token (the API's bearer
    token, or the website's session cookie: shutter/web/pages/notifications.py)."""
    assert caller.account is not None
    access = AccessWatch(ctx, raw, caller, READ_SCOPES)
    # Subscribed before the response starts, so nothing published from now on is missed.
    subscription = await ctx.events.subscribe([stream.channel, access.channel])
    return StreamingResponse(
        _events(subscription, stream, HiddenAuthors(ctx, caller.account.id), access),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.get("/api/v1/streaming/health")
async def health() -> Response:
    return PlainTextResponse("OK")


@router.get("/api/v1/streaming/user")
async def sse_user(ctx: Ctx, request: Request, me: Reader, caller: OptionalCaller) -> Response:
    return await _sse(ctx, request, caller, resolve_stream("user", account=me))


@router.get("/api/v1/streaming/user/notification")
async def sse_notifications(
    ctx: Ctx, request: Request, me: Reader, caller: OptionalCaller
) -> Response:
    return await _sse(ctx, request, caller, resolve_stream("user:notification", account=me))


def _public_sse(name: str) -> Any:
    async def route(
        ctx: Ctx, request: Request, me: Reader, caller: OptionalCaller, only_media: bool = False
    ) -> Response:
        stream = resolve_stream(f"{name}:media" if only_media else name, account=me)
        return await _sse(ctx, request, caller, stream)

    return route


for _path, _name in (
    ("public", "public"),
    ("public/local", "public:local"),
    ("public/remote", "public:remote"),
):
    router.add_api_route(f"/api/v1/streaming/{_path}", _public_sse(_name), methods=["GET"])


@router.get("/api/v1/streaming/hashtag/local")
async def sse_hashtag_local(
    ctx: Ctx, request: Request, me: Reader, caller: OptionalCaller, tag: str = ""
) -> Response:
    try:
        stream = resolve_stream("hashtag:local", account=me, tag=tag)
    except StreamError as exc:
        raise ApiError(400, str(exc)) from None
    return await _sse(ctx, request, caller, stream)


@router.get("/api/v1/streaming/direct")
async def sse_direct(ctx: Ctx, request: Request, me: Reader, caller: OptionalCaller) -> Response:
    return await _sse(ctx, request, caller, resolve_stream("direct", account=me))


@router.get("/api/v1/streaming/hashtag")
async def sse_hashtag(
    ctx: Ctx, request: Request, me: Reader, caller: OptionalCaller, tag: str = ""
) -> Response:
    try:
        stream = resolve_stream("hashtag", account=me, tag=tag)
    except StreamError as exc:
        raise ApiError(400, str(exc)) from None
    return await _sse(ctx, request, caller, stream)


@router.get("/api/v1/streaming/list")
async def sse_list(
    ctx: Ctx,
    request: Request,
    me: Reader,
    caller: OptionalCaller,
    list_id: Annotated[str, Query(alias="list")] = "",
) -> Response:
    try:
        stream = await owned_stream(ctx, "list", account=me, list_id=list_id or None)
    except StreamError as exc:
        raise ApiError(exc.status, str(exc)) from None
    return await _sse(ctx, request, caller, stream)

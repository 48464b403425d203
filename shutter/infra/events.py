"""Live events for open clients (streaming): published after commit, fanned out to listeners.

An event is a small dict (`{"event": "notification", "payload": "<json>"}`) sent to a
named channel (`user:<account id>`, `hashtag:<name>`, `access:<account id>`). Publishing
inside a transaction waits for its commit, so a client never hears of something that was
rolled back, and a reader that reacts to the event finds the row.

Embedded (no `SHUTTER_REDIS_URL`) events go straight to the subscribers of this process.
Scaled, every event goes through Redis pub/sub and each process listens to the channels
its clients asked for, so an event caused on one API instance (or in a worker) reaches
a client connected to another. Events are fire-and-forget, as Mastodon's streaming is:
a client that was not connected reads what it missed from the REST API. If Redis is
unreachable, publishing logs and drops the event; it never fails the request.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable
from typing import Any

import orjson
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.infra import redis_client
from shutter.infra.db import on_commit
from shutter.infra.settings import Settings

log = structlog.get_logger("shutter.events")

Event = dict[str, Any]
# Events a slow client may have waiting before it is cut off (it reconnects and catches up).
QUEUE_SIZE = 1000
CLUSTER_PUBLISH_CONCURRENCY = 50
# One event to many channels on one Redis: a script that publishes it to each, so the
# payload crosses the wire once, not once per channel (a fan-out batch of 1,000 PUBLISHes
# cost ~15 ms of the worker's CPU; the script ~1 ms). Chunked so that no one call holds
# Redis for long.
_PUBLISH_MANY = redis_client.Script(
    "for i = 2, #ARGV do redis.call('PUBLISH', ARGV[i], ARGV[1]) end"
)
CHANNELS_PER_SCRIPT = 250


def user_channel(account_id: int) -> str:
    """One account's `user` stream: its home feed's updates and deletes, its notifications."""
    return f"user:{account_id}"


def hashtag_channel(name: str) -> str:
    """New public posts with a hashtag (names compare case-insensitively)."""
    return f"hashtag:{name.lower()}"


def public_channel(*, media: bool) -> str:
    """New public posts of the instance (all of them local: there is no federation), or
    only those with media."""
    return "public:media" if media else "public"


def access_channel(account_id: int) -> str:
    """Revocations of an account's tokens, which end their open streams (auth/revocation.py)."""
    return f"access:{account_id}"


class Subscription:
    """One listener's channels and its queue of (channel, event) pairs."""

    def __init__(self, bus: EventBus) -> None:
        self._bus = bus
        self.channels: set[str] = set()
        self.queue: asyncio.Queue[tuple[str, Event]] = asyncio.Queue(QUEUE_SIZE)
        self.overflowed = False

    def _put(self, channel: str, event: Event) -> None:
        try:
            self.queue.put_nowait((channel, event))
        except asyncio.QueueFull:
            # A client too slow to read its stream loses events rather than stalling
            # the bus for everyone; said once per subscription.
            if not self.overflowed:
                self.overflowed = True
                log.warning("stream_subscriber_overflowed", channel=channel)

    async def get(self) -> tuple[str, Event]:
        return await self.queue.get()

    async def add(self, channel: str) -> None:
        if channel not in self.channels:
            self.channels.add(channel)
            await self._bus._attach(self, channel)

    async def discard(self, channel: str) -> None:
        if channel in self.channels:
            self.channels.discard(channel)
            await self._bus._detach(self, channel)

    async def close(self) -> None:
        for channel in list(self.channels):
            await self.discard(channel)


class EventBus:
    """The process's event bus; `publish` from anywhere, `subscribe` from streaming routes."""

    def __init__(self, settings: Settings) -> None:
        self._redis_url = settings.redis_url
        self._prefix = f"{settings.redis_prefix}:events:"
        self._listeners: dict[str, set[Subscription]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._client = redis_client.LazyClient(self._redis_url, timeout=None)
        self._pubsub: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    @property
    def distributed(self) -> bool:
        return bool(self._redis_url)

    # --- publishing ----------------------------------------------------------------------

    def publish(self, session: AsyncSession | None, channel: str, event: Event) -> None:
        """Send `event` to `channel` once `session` commits (right away if it is None)."""
        if session is None:
            self._send(channel, event)
        else:
            on_commit(session, lambda: self._send(channel, event))

    def publish_many(self, session: AsyncSession, channels: list[str], event: Event) -> None:
        """`publish` to many channels (a fan-out batch): a few Redis calls, not one each."""
        on_commit(session, lambda: self._send_many(channels, event))

    def _send_many(self, channels: list[str], event: Event) -> None:
        if not self.distributed:
            for channel in channels:
                self._deliver(channel, event)
            return
        task = asyncio.get_running_loop().create_task(self._publish_redis_many(channels, event))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _publish_redis_many(self, channels: list[str], event: Event) -> None:
        data = orjson.dumps(event)
        names = [self._prefix + channel for channel in channels]
        try:
            if redis_client.is_cluster(self._redis_url):
                await self._publish_cluster(names, data)
            else:
                for start in range(0, len(names), CHANNELS_PER_SCRIPT):
                    chunk = names[start : start + CHANNELS_PER_SCRIPT]
                    await redis_client.run_script(self._client(), _PUBLISH_MANY, [], [data, *chunk])
        except Exception as exc:  # Redis down: the events are lost, the job is not
            log.warning("event_publish_failed", channels=len(channels), error=str(exc))

    async def _publish_cluster(self, names: list[str], data: bytes) -> None:
        """redis-py refuses PUBLISH in cluster pipelines: concurrent calls, a bounded few
        at a time (a cluster forwards each to every node anyway)."""
        client = self._client()
        for start in range(0, len(names), CLUSTER_PUBLISH_CONCURRENCY):
            chunk = names[start : start + CLUSTER_PUBLISH_CONCURRENCY]
            await asyncio.gather(*(client.publish(name, data) for name in chunk))

    def _send(self, channel: str, event: Event) -> None:
        if not self.distributed:
            self._deliver(channel, event)
            return
        # After-commit hooks are synchronous; the Redis round trip runs as its own task.
        task = asyncio.get_running_loop().create_task(self._publish_redis(channel, event))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _publish_redis(self, channel: str, event: Event) -> None:
        try:
            await self._client().publish(self._prefix + channel, orjson.dumps(event))
        except Exception as exc:  # Redis down: the event is lost, the request is not
            log.warning("event_publish_failed", channel=channel, error=str(exc))

    def _deliver(self, channel: str, event: Event) -> None:
        for subscription in list(self._listeners.get(channel, ())):
            subscription._put(channel, event)

    async def flush(self) -> None:
        """Wait for publishes in flight (tests, shutdown)."""
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # --- subscribing ---------------------------------------------------------------------

    async def subscribe(self, channels: Iterable[str] = ()) -> Subscription:
        subscription = Subscription(self)
        for channel in channels:
            await subscription.add(channel)
        return subscription

    async def _attach(self, subscription: Subscription, channel: str) -> None:
        listeners = self._listeners.setdefault(channel, set())
        listeners.add(subscription)
        if self.distributed and len(listeners) == 1:
            await self._redis_subscribe(channel)

    async def _detach(self, subscription: Subscription, channel: str) -> None:
        listeners = self._listeners.get(channel)
        if listeners is None:
            return
        listeners.discard(subscription)
        if not listeners:
            del self._listeners[channel]
            if self.distributed and self._pubsub is not None:
                with contextlib.suppress(Exception):
                    await self._pubsub.unsubscribe(self._prefix + channel)

    # --- Redis -----------------------------------------------------------------------------

    async def _redis_subscribe(self, channel: str) -> None:
        async with self._lock:
            try:
                if self._pubsub is None:
                    client = self._client()
                    if redis_client.is_cluster(self._redis_url):
                        await client.initialize()  # its pub/sub needs the slot map first
                    self._pubsub = client.pubsub(ignore_subscribe_messages=True)
                await self._pubsub.subscribe(self._prefix + channel)
            except Exception as exc:
                log.warning("event_subscribe_failed", channel=channel, error=str(exc))
                return
            if self._reader is None or self._reader.done():
                self._reader = asyncio.get_running_loop().create_task(self._read_redis())

    async def _read_redis(self) -> None:
        """Hand every message from Redis to this process's listeners of its channel."""
        while self._listeners:
            try:
                message = await self._pubsub.get_message(timeout=1.0)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("event_read_failed", error=str(exc))
                await asyncio.sleep(1.0)
                continue
            if not message or message.get("type") != "message":
                continue
            raw_channel = message["channel"]
            if isinstance(raw_channel, bytes):
                raw_channel = raw_channel.decode()
            try:
                event = orjson.loads(message["data"])
            except orjson.JSONDecodeError:
                continue
            self._deliver(raw_channel.removeprefix(self._prefix), event)

    async def close(self) -> None:
        await self.flush()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(BaseException):
                await self._reader
        if self._pubsub is not None:
            with contextlib.suppress(Exception):
                await self._pubsub.aclose()
        await self._client.close()

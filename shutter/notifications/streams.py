"""The streams a client may subscribe to, and how one waits for its next event.

A stream (`Stream`) listens to one event-bus channel and lets through the events it
carries: `user`, `user:notification` and `direct` (the `conversation` events) on the
user's channel, `hashtag`, `list` and the public streams on theirs. `resolve_stream`
turns a client's name for one into a `Stream` (or Mastodon's error); `next_event` waits
on a subscription while watching the stream's token (shutter/auth/revocation.py).
The WebSocket and server-sent-event endpoints that serve them are
shutter/notifications/streaming.py.
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass
from typing import Any

from shutter.accounts.models import Account
from shutter.auth.revocation import AccessWatch
from shutter.graph import service as graph
from shutter.infra.context import AppContext
from shutter.infra.errors import ApiError
from shutter.infra.events import (
    Event,
    Subscription,
    hashtag_channel,
    public_channel,
    user_channel,
)
from shutter.infra.ids import parse_id
from shutter.lists import service as lists

# The instance's announcements reach every user stream (instance/announcements.py).
USER_EVENTS = frozenset(
    {
        "update",
        "delete",
        "notification",
        "status.update",
        "announcement",
        "announcement.reaction",
        "announcement.delete",
    }
)
LIST_EVENTS = frozenset({"update", "delete", "status.update"})
PUBLIC_EVENTS = frozenset({"update", "delete", "status.update"})
# Mastodon's public streams by channel. With no federation every post is local, so the
# `local` streams are the whole instance and the `remote` ones never carry anything.
PUBLIC_STREAMS = {
    "public": public_channel(media=False),
    "public:local": public_channel(media=False),
    "public:media": public_channel(media=True),
    "public:local:media": public_channel(media=True),
    "public:remote": "public:remote",
    "public:remote:media": "public:remote",
}


@dataclass(frozen=True)
class Stream:
    """A subscribed stream: its name as clients see it, its channel, the events it passes."""

    names: tuple[str, ...]
    channel: str
    events: frozenset[str] | None  # None: every event of the channel

    def message(self, event: Event) -> dict[str, Any] | None:
        if self.events is not None and event.get("event") not in self.events:
            return None
        return {"stream": list(self.names), "event": event["event"], "payload": event["payload"]}


class StreamError(Exception):
    status = 400


class StreamRefused(StreamError):
    """A stream the caller may not read (someone else's list): Mastodon's 401."""

    status = 401


class HiddenAuthors:
    """The accounts a viewer blocked, muted or is blocked by, reloaded every half minute.

    Events name their author (`author_id`, never sent to clients); a stream drops the
    events of hidden authors, as feeds do. Loaded lazily, so a stream that only carries
    notifications (already filtered when created) costs no query.
    """

    MAX_AGE_SECONDS = 30.0

    def __init__(self, ctx: AppContext, viewer_id: int) -> None:
        self.ctx = ctx
        self.viewer_id = viewer_id
        self._ids: set[int] = set()
        self._loaded_at = float("-inf")

    async def hides(self, event: Event) -> bool:
        author_id = event.get("author_id")
        if author_id is None:
            return False
        now = time.monotonic()
        if now - self._loaded_at > self.MAX_AGE_SECONDS:
            async with self.ctx.db.read() as session:
                self._ids = await graph.hidden_account_ids(session, viewer_id=self.viewer_id)
            self._loaded_at = now
        return author_id in self._ids


async def next_event(
    subscription: Subscription, access: AccessWatch, idle_after: float = math.inf
) -> tuple[str, Event] | None:
    """The next event of the stream's own channels, or None once `idle_after` seconds pass
    without one (a heartbeat is due).

    Raises AccessEnded when the stream's token stops authenticating: on a revocation
    event, or when its periodic check finds so.
    """
    deadline = time.monotonic() + idle_after
    while True:
        now = time.monotonic()
        if now >= access.due_at:
            await access.recheck()
            continue
        if now >= deadline:
            return None
        try:
            channel, event = await asyncio.wait_for(
                subscription.get(), min(deadline, access.due_at) - now
            )
        except TimeoutError:
            continue
        if channel == access.channel:
            access.revoked_by(event)
            continue
        return channel, event


def resolve_stream(
    name: object, *, account: Account, tag: object = None, list_id: object = None
) -> Stream:
    """The stream a client named, or StreamError with Mastodon's message (a list's
    owner is checked by `owned_stream`)."""
    if name == "user":
        return Stream(("user",), user_channel(account.id), frozenset(USER_EVENTS))
    if name == "user:notification":
        return Stream(("user:notification",), user_channel(account.id), frozenset({"notification"}))
    if name == "direct":
        # Conversations (shutter/conversations/jobs.py) speak on the owner's user channel.
        return Stream(("direct",), user_channel(account.id), frozenset({"conversation"}))
    if name in ("hashtag", "hashtag:local"):  # every post is local: the same stream
        if not isinstance(tag, str) or not tag.strip() or len(tag) > 100:
            raise StreamError("No tag for stream provided")
        clean = tag.strip().lstrip("#")
        return Stream((name, clean), hashtag_channel(clean), None)
    if name == "list":
        found = parse_id(list_id) if isinstance(list_id, str | int) else None
        if found is None:
            raise StreamError("Missing list name parameter")
        return Stream(("list", str(found)), lists.list_channel(found), LIST_EVENTS)
    if isinstance(name, str) and name in PUBLIC_STREAMS:
        return Stream((name,), PUBLIC_STREAMS[name], PUBLIC_EVENTS)
    raise StreamError("Unknown stream type")


async def owned_stream(
    ctx: AppContext, name: object, *, account: Account, tag: object = None, list_id: object = None
) -> Stream:
    """`resolve_stream`, and for a list, StreamRefused unless the account owns it."""
    stream = resolve_stream(name, account=account, tag=tag, list_id=list_id)
    if stream.names[0] == "list":
        async with ctx.db.read() as session:
            try:
                await lists.owned_list(session, owner_id=account.id, list_id=int(stream.names[1]))
            except ApiError:
                raise StreamRefused("Not authorized to stream this list") from None
    return stream

"""Domain events: how a lower service causes work in a higher one without importing it.

Services depend one way (docs/architecture.md). When a lower service's action matters to
a higher one — a follow fills the follower's feed and notifies the followed — the lower
one publishes an event it defines itself (`graph.events.FollowStarted`), and the higher
one subscribes a handler to it in its `jobs.py`. Handlers run at once, in the
publisher's session, so what they write (mostly an enqueued job) commits or rolls back
with the action that caused it; nothing is lost between commit and reaction.

`shutter.assembly` imports every service's `jobs.py`, so every process (API, worker,
CLI) has the same subscribers before it handles anything.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

E = TypeVar("E")
Handler = Callable[[AsyncSession, Any], Awaitable[None]]

_subscribers: defaultdict[type, list[Handler]] = defaultdict(list)


def subscribe(
    event_type: type[E],
) -> Callable[
    [Callable[[AsyncSession, E], Awaitable[None]]], Callable[[AsyncSession, E], Awaitable[None]]
]:
    """Register an async handler `(session, event)` for events of `event_type`."""

    def register(
        handler: Callable[[AsyncSession, E], Awaitable[None]],
    ) -> Callable[[AsyncSession, E], Awaitable[None]]:
        if handler not in _subscribers[event_type]:
            _subscribers[event_type].append(handler)
        return handler

    return register


async def publish(session: AsyncSession, event: object) -> None:
    """Run every handler of `event`'s type, in subscription order, in this session."""
    for handler in _subscribers.get(type(event), ()):
        await handler(session, event)


def subscribers(event_type: type) -> list[Handler]:
    """The handlers of `event_type` (for the architecture test)."""
    return list(_subscribers.get(event_type, ()))

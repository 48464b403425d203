"""A viewer's filters applied to the statuses of an open stream.

Stream events are rendered once for every reader (shutter/feed/jobs.py); each stream
applies its viewer's filters to the `update` and `status.update` events it forwards:
the home context on the user stream (lists too), public on hashtag and public streams.
Notifications are rendered per recipient, filters applied, when they are created.

The filters are loaded on the first status event and kept for `MAX_AGE_SECONDS` (an
expiry is noticed by then); a change to them (`FILTERS_CHANGED` on the account's user
channel, published by shutter/filters/service.py) makes the next event load them again.
"""

from __future__ import annotations

import time

import orjson

from shutter.filters.matching import NO_FILTERS, ViewerFilters, load_filters
from shutter.filters.service import FILTERS_CHANGED
from shutter.infra.context import AppContext
from shutter.infra.events import Event

STATUS_EVENTS = frozenset({"update", "status.update"})
PUBLIC_CHANNEL_PREFIXES = ("hashtag:", "public")


class LiveFilters:
    MAX_AGE_SECONDS = 60.0

    def __init__(self, ctx: AppContext, viewer_id: int) -> None:
        self.ctx = ctx
        self.viewer_id = viewer_id
        self._filters: ViewerFilters = NO_FILTERS
        self._loaded_at = float("-inf")

    async def _current(self) -> ViewerFilters:
        now = time.monotonic()
        if now - self._loaded_at > self.MAX_AGE_SECONDS:
            async with self.ctx.db.read() as session:
                self._filters = await load_filters(session, account_id=self.viewer_id)
            self._loaded_at = now
        return self._filters

    async def apply(self, channel: str, event: Event) -> Event | None:
        """The event as this viewer receives it: None when a `hide` filter drops its status
        (or it only said the filters changed), with `filtered` set on a `warn` match."""
        kind = event.get("event")
        if kind == FILTERS_CHANGED:
            self._loaded_at = float("-inf")
            return None
        if kind not in STATUS_EVENTS:
            return event
        filters = await self._current()
        if not filters:
            return event
        try:
            status = orjson.loads(event["payload"])
        except (KeyError, TypeError, orjson.JSONDecodeError):
            return event
        if not isinstance(status, dict):
            return event
        context = "public" if channel.startswith(PUBLIC_CHANNEL_PREFIXES) else "home"
        found = filters.results(status, context)
        if not found:
            return event
        if any(action == "hide" for action, _ in found):
            return None
        status["filtered"] = [result for _, result in found]
        return {**event, "payload": orjson.dumps(status).decode()}

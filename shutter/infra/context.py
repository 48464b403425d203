"""What a process (API or worker) holds for its whole life: settings, database, storage."""

from __future__ import annotations

from dataclasses import dataclass

from shutter.auth.callers import CallerCache
from shutter.feed.store import FeedStore, create_feed_store
from shutter.infra.cache import EntityCache, create_cache
from shutter.infra.db import Database
from shutter.infra.events import EventBus
from shutter.infra.ratelimit import RateLimiter
from shutter.infra.settings import Settings
from shutter.infra.storage import Storage, create_storage


@dataclass
class AppContext:
    settings: Settings
    db: Database
    storage: Storage
    cache: EntityCache
    ratelimiter: RateLimiter
    events: EventBus
    feeds: FeedStore
    callers: CallerCache

    @classmethod
    def create(cls, settings: Settings) -> AppContext:
        db = Database(settings)
        callers = CallerCache(settings)
        db.on_callers_changed = callers.callers_changed
        return cls(
            settings=settings,
            db=db,
            storage=create_storage(settings),
            cache=create_cache(settings),
            ratelimiter=RateLimiter(settings),
            events=EventBus(settings),
            feeds=create_feed_store(settings),
            callers=callers,
        )

    async def close(self) -> None:
        await self.callers.close()
        await self.events.close()
        await self.cache.close()
        await self.ratelimiter.close()
        await self.feeds.close()
        await self.db.dispose()

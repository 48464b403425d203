"""What a process (API or worker) holds for its whole life: settings, database, storage."""

from __future__ import annotations

from dataclasses import dataclass

from shutter.infra.cache import LruCache
from shutter.infra.db import Database
from shutter.infra.settings import Settings
from shutter.infra.storage import LocalStorage


@dataclass
class AppContext:
    settings: Settings
    db: Database
    storage: LocalStorage
    cache: LruCache

    @classmethod
    def create(cls, settings: Settings) -> AppContext:
        return cls(
            settings=settings,
            db=Database(settings),
            storage=LocalStorage(settings.resolved_media_dir),
            cache=LruCache(settings.cache_max_entries),
        )

    async def close(self) -> None:
        await self.db.dispose()

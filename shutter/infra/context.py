"""What a process (API or worker) holds for its whole life: settings, database, storage.

Infra knows no service, so what a service keeps for a process's life (the feed store,
the caller cache) is a *part*: the service names it with a `Part` key of its own, and
`shutter.assembly` provides it when the process starts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from shutter.infra.cache import EntityCache, create_cache
from shutter.infra.db import Database
from shutter.infra.events import EventBus
from shutter.infra.ratelimit import RateLimiter
from shutter.infra.settings import Settings
from shutter.infra.storage import Storage, create_storage

T = TypeVar("T")


class Part(Generic[T]):
    """The typed key of something a service keeps in the context."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"Part({self.name!r})"


@dataclass
class AppContext:
    settings: Settings
    db: Database
    storage: Storage
    cache: EntityCache
    ratelimiter: RateLimiter
    events: EventBus
    parts: dict[Part[Any], Any] = field(default_factory=dict)

    @classmethod
    def create(cls, settings: Settings) -> AppContext:
        """The infrastructure alone; `shutter.assembly.create_context` adds the parts."""
        ctx = cls(
            settings=settings,
            db=Database(settings),
            storage=create_storage(settings),
            cache=create_cache(settings),
            ratelimiter=RateLimiter(settings),
            events=EventBus(settings),
        )
        ctx.db.context = ctx
        return ctx

    def provide(self, key: Part[T], part: T) -> None:
        self.parts[key] = part

    def part(self, key: Part[T]) -> T:
        try:
            value: T = self.parts[key]
        except KeyError:
            raise LookupError(f"{key!r} was not provided (see shutter/assembly.py)") from None
        return value

    async def close(self) -> None:
        for part in reversed(list(self.parts.values())):
            close = getattr(part, "close", None)
            if close is not None:
                await close()
        await self.events.close()
        await self.cache.close()
        await self.ratelimiter.close()
        await self.db.dispose()


def session_context(session: AsyncSession) -> AppContext:
    """The context whose database opened this write session (for domain-event handlers)."""
    ctx = session.info.get("ctx")
    if not isinstance(ctx, AppContext):
        raise LookupError("this session was not opened by an AppContext's database")
    return ctx

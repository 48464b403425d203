"""Database engines and sessions for both profiles: SQLite in WAL mode and PostgreSQL.

Reads and writes take different doors. On SQLite a write transaction starts with
BEGIN IMMEDIATE (so two writers queue on the lock instead of failing on upgrade) through
a single pooled connection per process; reads run concurrently on their own pool, in
autocommit. On PostgreSQL both doors lead to the primary, except the API's reads when
read replicas are configured (`read(replica=True)`: round robin over the replicas, the
primary if the chosen one cannot be reached). Jobs and writes always use the primary.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy import DateTime, MetaData, TypeDecorator, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Session

from shutter.infra.replicas import Stickiness
from shutter.infra.settings import Settings

log = structlog.get_logger("shutter.db")

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both SQLite (which stores naive text) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def utcnow() -> datetime:
    return datetime.now(UTC)


def on_replica(session: AsyncSession) -> bool:
    """Whether `session` reads from a replica (which may lag the primary a little)."""
    return bool(session.info.get("replica"))


def writing(session: AsyncSession) -> bool:
    """Whether `session` is a write transaction (what it reads may yet be rolled back)."""
    return bool(session.info.get("writing"))


AfterCommit = Callable[[], None]


def account_changed(session: AsyncSession, account_id: int) -> None:
    """Note that this transaction changes an account or revokes one of its tokens (see
    `Database.write`: what keeps copies of callers hears of it after the commit)."""
    session.info.setdefault("changed_accounts", set()).add(account_id)


def on_commit(session: AsyncSession, callback: AfterCommit) -> None:
    """Run `callback` once the session's transaction commits (never if it rolls back)."""
    session.info.setdefault("after_commit", []).append(callback)


def _run_after_commit(sync_session: Session) -> None:
    for callback in sync_session.info.pop("after_commit", []):
        callback()


def _drop_after_commit(sync_session: Session, *_: Any) -> None:
    sync_session.info.pop("after_commit", None)


event.listen(Session, "after_commit", _run_after_commit)
event.listen(Session, "after_soft_rollback", _drop_after_commit)


def _configure_sqlite(engine: AsyncEngine, *, writer: bool) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver so we can choose the BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()

    if not writer:
        # Reads run in autocommit: each SELECT sees the latest commit (WAL never blocks
        # it), and a request saves the BEGIN and ROLLBACK round trips to the driver thread.
        return

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


# Prepared statements are planned once for all their values (a generic plan). Left to
# choose, PostgreSQL planned the home feed's statement anew on every run (a plan for
# the given values always looks cheaper), and planning cost more than running it.
# Statements whose best plan depends on a value write it into their text
# (`literal_execute`). See docs/decisions/0010-read-path-callers-and-plans.md.
_PLAN_ONCE = {"server_settings": {"plan_cache_mode": "force_generic_plan"}}


def _postgres_engine(url: str) -> AsyncEngine:
    return create_async_engine(url, pool_size=10, max_overflow=20, connect_args=_PLAN_ONCE)


def _autocommit(engine: AsyncEngine) -> AsyncEngine:
    return engine.execution_options(isolation_level="AUTOCOMMIT")


class Database:
    """Owns the engines of one process; `read()` and `write()` hand out sessions."""

    def __init__(self, settings: Settings) -> None:
        url = settings.resolved_database_url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            settings.var_dir.mkdir(parents=True, exist_ok=True)
            self.read_engine = create_async_engine(
                url, pool_size=8, max_overflow=8, pool_reset_on_return=None
            )
            self.write_engine = create_async_engine(url, pool_size=1, max_overflow=0)
            _configure_sqlite(self.read_engine, writer=False)
            _configure_sqlite(self.write_engine, writer=True)
        else:
            # No pre-ping: it costs a round trip per checkout; a connection found dead
            # invalidates the pool and the next checkout reconnects.
            self.write_engine = _postgres_engine(url)
            # Same pool; reads run without BEGIN and ROLLBACK, two round trips saved on
            # every request (a read session never writes, and needs no snapshot).
            self.read_engine = _autocommit(self.write_engine)
        self.replica_engines = [
            _autocommit(_postgres_engine(replica)) for replica in settings.replica_urls
        ]
        self._read_sessions = async_sessionmaker(self.read_engine, expire_on_commit=False)
        self._write_sessions = async_sessionmaker(self.write_engine, expire_on_commit=False)
        self._replica_sessions = itertools.cycle(
            [async_sessionmaker(e, expire_on_commit=False) for e in self.replica_engines]
        )
        self.sticky = Stickiness(settings)
        self.on_callers_changed: Callable[[set[int]], Awaitable[None]] | None = None
        # The AppContext that owns this database: write sessions carry it in `info`, so a
        # domain-event handler (shutter/infra/domain.py) reaches the process's parts.
        self.context: object | None = None

    @property
    def has_replicas(self) -> bool:
        return bool(self.replica_engines)

    @asynccontextmanager
    async def read(self, *, replica: bool = False) -> AsyncIterator[AsyncSession]:
        """A session for reads: on a replica if asked and there is one, else the primary."""
        if replica and self.replica_engines:
            session = next(self._replica_sessions)()
            try:
                await session.connection()
            except Exception as exc:  # a replica down: its reads go to the primary
                log.warning("replica_unavailable", error=str(exc) or repr(exc))
                await session.close()
            else:
                session.info["replica"] = True
                async with session:
                    yield session
                return
        async with self._read_sessions() as session:
            yield session

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A transaction that commits when the block ends without an exception.

        Accounts it marked (`account_changed`) are announced to
        `on_callers_changed` after the commit and before the block's caller goes on, so a
        response sent after a write never races the announcement.
        """
        async with self._write_sessions() as session:
            async with session.begin():
                session.info["writing"] = True
                session.info["ctx"] = self.context
                yield session
            accounts = session.info.pop("changed_accounts", set())
            if accounts and self.on_callers_changed is not None:
                await self.on_callers_changed(accounts)

    async def dispose(self) -> None:
        await self.sticky.close()
        await self.write_engine.dispose()
        if self.is_sqlite:  # on PostgreSQL the read engine is a view of the write engine's pool
            await self.read_engine.dispose()
        for engine in self.replica_engines:
            await engine.dispose()


def conflict_aware_insert(session: AsyncSession, target: Any) -> postgresql.Insert | sqlite.Insert:
    """An INSERT for this session's dialect that can say ON CONFLICT DO NOTHING."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(target)
    return sqlite.insert(target)


async def insert_ignoring_conflicts(
    session: AsyncSession, table: Any, rows: list[dict[str, Any]]
) -> None:
    """Insert rows, skipping any that collide with a unique key (idempotent writes)."""
    if rows:
        await session.execute(conflict_aware_insert(session, table).on_conflict_do_nothing(), rows)

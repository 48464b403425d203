"""Hot read statements run on the driver directly, compiled once per shape of their values.

SQLAlchemy builds and compiles the statements. Running one through its execution layer
cost ~375 µs of CPU for a home page against ~95 µs for asyncpg alone (same statement,
same connection): expanding list parameters into the SQL, bind and result processing
and the greenlet bridge, all again on every run. On SQLite the gap is wider: ~780 µs
through SQLAlchemy against ~150 µs for aiosqlite's own `execute_fetchall` (one trip to
its thread instead of several). `fetch_all` keeps the SQL per statement and per shape
of its values (the lengths of list parameters, the values written into the text such
as a LIMIT) with the recipe for its positional arguments, and hands those to the
driver (asyncpg's own statement cache keeps the statement prepared; sqlite3 keeps its
own too). When the session has no connection yet (a read whose only statement this
is), the connection comes straight from the engine's pool: the session's and its
Connection's bookkeeping for one checkout cost ~230 µs of CPU, more than the statement
itself. asyncpg gives Python values already; sqlite3's rows go through the columns'
result processors (dates, booleans), kept with the compiled statement.

Only statements marked `reusable` (built once, every value a bind parameter: the
compiled SQL is kept per statement object) and only reads outside write transactions
take this path; anything else (and write transactions, whose BEGIN SQLAlchemy issues
lazily) goes through SQLAlchemy. Errors come out as SQLAlchemy's (a
failed statement is replayed through it), so a database outage still answers 503 and
recovers the same way, and the engine's `before_cursor_execute` listeners still hear of
each statement.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, TypeVar, cast

import aiosqlite
import asyncpg
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.sql import ColumnElement, Select
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.util import greenlet_spawn

from shutter.infra.db import writing

AnySelect = Select[*tuple[Any, ...]]
S = TypeVar("S", bound=AnySelect)

REUSABLE = "shutter_reusable"


def reusable(statement: S) -> S:
    """Mark a statement that is built once and run with all its values given (see
    `fetch_all`)."""
    return statement.execution_options(**{REUSABLE: True})


_Processor = Callable[[Any], Any]
# Name of a value, index in it or None for the value itself, bind processor or None.
_Argument = tuple[str, int | None, _Processor | None]


@dataclass(frozen=True)
class _Shaped:
    sql: str
    arguments: tuple[_Argument, ...]
    # Values the statement holds itself (SQLite's `OFFSET 0` after a LIMIT); the
    # caller's values come first.
    fixed: dict[str, Any]

    def bind(self, values: dict[str, Any]) -> list[Any]:
        if self.fixed:
            values = self.fixed | values
        bound = []
        for name, index, process in self.arguments:
            value = values[name] if index is None else values[name][index]
            bound.append(process(value) if process is not None else value)
        return bound


@dataclass(frozen=True)
class _Compiled:
    compiled: SQLCompiler
    lists: tuple[str, ...]  # expanding parameters: their lengths shape the SQL
    literals: tuple[str, ...]  # parameters written into the SQL: their values shape it
    # Per selected column, what turns the driver's value into SQLAlchemy's (None: as is);
    # empty when no column needs it.
    results: tuple[_Processor | None, ...]

    def shape_of(self, values: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(len(values[n]) for n in self.lists) + tuple(values[n] for n in self.literals)


@lru_cache(maxsize=1024)
def _compiled(statement: AnySelect, dialect: Dialect) -> _Compiled:
    compiled = cast(SQLCompiler, statement.compile(dialect=dialect))
    binds = compiled.binds.values()
    results: tuple[_Processor | None, ...] = ()
    if dialect.name == "sqlite":  # asyncpg's values need nothing
        results = tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in statement.selected_columns
        )
        if not any(results):
            results = ()
    return _Compiled(
        compiled,
        tuple(sorted(b.key for b in binds if b.expanding)),
        tuple(sorted(b.key for b in binds if b.literal_execute)),
        results,
    )


@lru_cache(maxsize=4096)
def _shaped(statement: AnySelect, dialect: Dialect, shape: tuple[Any, ...]) -> _Shaped:
    """The SQL for one shape, and where each positional argument comes from."""
    found = _compiled(statement, dialect)
    # Placeholder lists of the right lengths, and the literal values themselves.
    lengths, literals = shape[: len(found.lists)], shape[len(found.lists) :]
    sample: dict[str, Any] = {n: [0] * k for n, k in zip(found.lists, lengths, strict=True)}
    sample |= dict(zip(found.literals, literals, strict=True))
    for name in found.compiled.binds:
        sample.setdefault(name, None)
    expanded = found.compiled.construct_expanded_state(sample)
    source: dict[str, tuple[str, int | None]] = {}
    for name, parts in expanded.parameter_expansion.items():
        for index, part in enumerate(parts):
            source[part] = (name, index)
    binds = found.compiled.binds
    arguments: list[_Argument] = []
    for position in expanded.positiontup or ():
        value_name, item = source.get(position, (position, None))
        process = binds[value_name].type.dialect_impl(dialect).bind_processor(dialect)
        arguments.append((value_name, item, process))
    fixed = {name: bind.effective_value for name, bind in binds.items() if not bind.required}
    return _Shaped(expanded.statement, tuple(arguments), fixed)


async def fetch_all(
    session: AsyncSession, statement: AnySelect, values: dict[str, Any]
) -> Sequence[Sequence[Any]]:
    """The rows of a SELECT built once with bind parameters (see the module's doc)."""
    engine = session.bind
    if not (
        statement.get_execution_options().get(REUSABLE)
        and isinstance(engine, AsyncEngine)
        and engine.dialect.name in _DRIVERS
        and not writing(session)
    ):
        return await _replay(session, statement, values)
    found = _compiled(statement, engine.dialect)
    shaped = _shaped(statement, engine.dialect, found.shape_of(values))
    arguments = shaped.bind(values)
    if session.in_transaction():  # the session holds a connection already: use it
        connection = await session.connection()
        raw = await connection.get_raw_connection()
        try:
            return await _fetch(engine, raw, shaped.sql, arguments, found.results)
        except _DRIVER_ERRORS:
            return await _replay(session, statement, values)
    # A connection straight from the pool, without the session's (and its Connection's)
    # bookkeeping, which cost more than the statement on the hottest reads.
    try:
        raw = await engine.raw_connection()
    except _DRIVER_ERRORS:  # no server: the session's path raises SQLAlchemy's error
        return await _replay(session, statement, values)
    try:
        return await _fetch(engine, raw, shaped.sql, arguments, found.results)
    except _DRIVER_ERRORS:
        # Whatever broke, this connection is not trusted again; the replay through the
        # session raises SQLAlchemy's errors and, for a lost server, invalidates the pool.
        await greenlet_spawn(raw.invalidate)
        return await _replay(session, statement, values)
    finally:
        # In the bridge: returning an overflow connection closes it, which awaits.
        await greenlet_spawn(raw.close)


@dataclass(eq=False)
class Along:
    """Scalar columns read in the same statement as a page of rows, by `fetch_along`: one
    trip to the database instead of two (the website's Home reads its navigation's
    counts with its feed page). They must not depend on the row (uncorrelated scalar
    subqueries, which SQLite and PostgreSQL evaluate once). `values` is filled by the
    read, and stays None when it found no rows: the caller then reads them itself."""

    columns: tuple[ColumnElement[Any], ...]
    params: dict[str, Any] = field(default_factory=dict)
    values: tuple[Any, ...] | None = None


async def fetch_along(
    session: AsyncSession, statement: AnySelect, values: dict[str, Any], along: Along | None
) -> Sequence[Sequence[Any]]:
    """`fetch_all`, with `along`'s columns read too (into `along.values`); the rows
    come back without them."""
    if along is None:
        return await fetch_all(session, statement, values)
    rows = await fetch_all(session, _with_columns(statement, along.columns), values | along.params)
    width = len(along.columns)
    if rows:
        along.values = tuple(rows[0][-width:])
    return [row[:-width] for row in rows]


@lru_cache(maxsize=512)
def _with_columns(statement: AnySelect, columns: tuple[ColumnElement[Any], ...]) -> AnySelect:
    # Kept per pair: `fetch_all` keeps its compiled SQL per statement object.
    return statement.add_columns(*columns)


_DRIVERS = ("postgresql", "sqlite")
_DRIVER_ERRORS = (OSError, asyncpg.InterfaceError, asyncpg.PostgresError, sqlite3.Error)


async def _replay(
    session: AsyncSession, statement: AnySelect, values: dict[str, Any]
) -> Sequence[Sequence[Any]]:
    """The statement through SQLAlchemy, on the session's connection."""
    connection = await session.connection()
    return (await connection.execute(statement, values)).all()


async def _fetch(
    engine: AsyncEngine,
    raw: PoolProxiedConnection,
    sql: str,
    arguments: list[Any],
    results: tuple[_Processor | None, ...],
) -> Sequence[Sequence[Any]]:
    sync = engine.sync_engine
    if sync._has_events:
        # Listeners of the engine's statements (query counts, logs) hear of these too;
        # there is no Connection, DB-API cursor nor execution context to give them.
        sync.dispatch.before_cursor_execute(None, None, sql, arguments, None, False)
    driver = raw.driver_connection
    if engine.dialect.name == "postgresql":
        return await cast(asyncpg.Connection, driver).fetch(sql, *arguments)
    rows = await cast(aiosqlite.Connection, driver).execute_fetchall(sql, arguments)
    if not results:
        return list(rows)
    return [_processed(row, results) for row in rows]


def _processed(row: Sequence[Any], results: tuple[_Processor | None, ...]) -> tuple[Any, ...]:
    return tuple(
        value if process is None else process(value)
        for process, value in zip(results, row, strict=True)
    )

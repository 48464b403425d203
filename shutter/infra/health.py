"""Readiness (`/readyz`) and the answer to requests while the database is unreachable.

`/healthz` says the process is alive; `/readyz` says whether it can serve: 200 while the
primary database answers, with what is degraded (Redis down: caches miss, limits fail
open, events are lost; a replica down: its reads go to the primary); 503 when the primary
does not answer, which is when a load balancer should send requests elsewhere.

A request that needs the database while it is unreachable gets 503 with `Retry-After`
(not a 500): nothing the client sent was wrong, and the same request will succeed later.
The pool reconnects by itself when the database is back; no restart is needed.
"""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

import structlog
from fastapi import FastAPI
from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import Response

from shutter.infra import redis_client
from shutter.infra.context import AppContext
from shutter.infra.http import json_response

log = structlog.get_logger("shutter.health")

CHECK_TIMEOUT_SECONDS = 2.0


async def _answers(engine: AsyncEngine) -> bool:
    async def probe() -> None:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    try:
        await asyncio.wait_for(probe(), CHECK_TIMEOUT_SECONDS)
    except Exception:
        return False
    return True


async def readiness(ctx: AppContext) -> tuple[bool, dict[str, Any]]:
    """Whether this process can serve, and the state of what it depends on."""
    database = await _answers(ctx.db.write_engine)
    report: dict[str, Any] = {"database": "ok" if database else "down"}
    if ctx.db.replica_engines:
        states = [await _answers(e) for e in ctx.db.replica_engines]
        report["replicas"] = ["ok" if up else "down" for up in states]
    if not ctx.settings.redis_url:
        report["redis"] = "disabled"
    else:
        report["redis"] = "ok" if await redis_client.ping(ctx.settings.redis_url) else "down"
    return database, report


async def readyz(request: Request) -> Response:
    ctx: AppContext = request.app.state.ctx
    ready, report = await readiness(ctx)
    if ready:
        return json_response(report)
    retry = str(ctx.settings.database_retry_after_seconds)
    return json_response(report, status=503, headers={"Retry-After": retry})


def is_unavailable(exc: BaseException) -> bool:
    """Whether `exc` means the database (or its pool) cannot be reached right now."""
    if isinstance(exc, sa_exc.DBAPIError):
        if exc.connection_invalidated:
            return True
        if isinstance(exc, sa_exc.OperationalError):
            return _is_operational_outage(exc.orig)
        return isinstance(exc, sa_exc.InterfaceError) or _is_connection_error(exc.orig)
    return isinstance(exc, sa_exc.TimeoutError) or _is_connection_error(exc)


# SQLite's primary result codes that mean the database cannot serve now (busy, locked,
# out of memory, read-only, I/O, disk full, cannot open, lock protocol), as opposed to
# SQLITE_ERROR, which the sqlite3 module also raises as an OperationalError: a statement
# the database refused (an FTS5 query it cannot parse, a missing table), a bug to report
# as one, never a 503 that tells the client to retry the same request.
_SQLITE_OUTAGE_CODES = frozenset({5, 6, 7, 8, 10, 13, 14, 15})


def _is_operational_outage(orig: BaseException | None) -> bool:
    code = getattr(orig, "sqlite_errorcode", None)
    if isinstance(orig, sqlite3.Error) and isinstance(code, int):
        return code & 0xFF in _SQLITE_OUTAGE_CODES  # extended codes keep the primary low
    return True  # another driver's OperationalError: a connection-level failure


def _is_connection_error(exc: BaseException | None) -> bool:
    if isinstance(exc, ConnectionError | TimeoutError):
        return True
    try:
        import asyncpg
    except ImportError:  # pragma: no cover - asyncpg is a dependency
        return False
    return isinstance(
        exc,
        asyncpg.exceptions.ConnectionDoesNotExistError
        | asyncpg.exceptions.CannotConnectNowError
        | asyncpg.exceptions.InterfaceError
        | asyncpg.exceptions.AdminShutdownError,
    )


def unavailable_response(request: Request, exc: BaseException) -> Response:
    ctx: AppContext = request.app.state.ctx
    log.warning("database_unavailable", path=request.url.path, error=str(exc) or repr(exc))
    return json_response(
        {"error": "The service is temporarily unavailable, retry later"},
        status=503,
        headers={"Retry-After": str(ctx.settings.database_retry_after_seconds)},
    )


async def _database_error(request: Request, exc: Exception) -> Response:
    if is_unavailable(exc):
        return unavailable_response(request, exc)
    log.exception("unhandled_error", path=request.url.path, exc_info=exc)
    return json_response({"error": "Internal server error"}, status=500)


def install_unavailable_handlers(app: FastAPI) -> None:
    """503 + Retry-After for database outages, wherever in a request they surface."""
    for kind in (sa_exc.DBAPIError, sa_exc.TimeoutError, ConnectionError, TimeoutError):
        app.add_exception_handler(kind, _database_error)

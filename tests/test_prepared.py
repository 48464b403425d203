"""Reusable statements run on the driver directly (shutter/infra/prepared.py: asyncpg,
aiosqlite) give the rows SQLAlchemy gives, whatever the lengths of their lists and the
values written into them, with the same Python types (dates, booleans)."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import Integer, bindparam, event, select

from shutter.accounts.models import Account
from shutter.infra.context import AppContext
from shutter.infra.db import utcnow
from shutter.infra.prepared import fetch_all, reusable
from tests.support.api import sign_up

STATEMENT = reusable(
    select(Account.id, Account.username, Account.created_at, Account.locked)
    .where(
        Account.id.in_(bindparam("ids", expanding=True))
        & (Account.created_at < bindparam("before"))
    )
    .order_by(Account.id.desc())
    .limit(bindparam("limit", type_=Integer, literal_execute=True))
)


async def test_rows_match_sqlalchemys_for_every_shape(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    users = [await sign_up(client, f"user{i}") for i in range(4)]
    ids = [int(user.id) for user in users]
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    engine = ctx.db.read_engine.sync_engine
    for wanted, limit in ((ids, 10), (ids[:1], 10), (ids[1:3], 1), ([], 5), (ids, 2)):
        values = {"ids": wanted, "before": utcnow() + timedelta(minutes=1), "limit": limit}
        async with ctx.db.read() as session:
            expected = [tuple(row) for row in await session.execute(STATEMENT, values)]
            statements.clear()
            event.listen(engine, "before_cursor_execute", count)
            try:
                rows = [tuple(row) for row in await fetch_all(session, STATEMENT, values)]
            finally:
                event.remove(engine, "before_cursor_execute", count)
        assert rows == expected
        assert [tuple(map(type, row)) for row in rows] == [
            tuple(map(type, row)) for row in expected
        ]
        assert len(rows) == min(len(wanted), limit)
        assert len(statements) == 1  # listeners hear of it on either path

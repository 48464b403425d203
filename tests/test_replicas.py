"""Read replicas: API reads go to a replica, a client reads its own writes from the primary
for a while after it writes (across instances through Redis), a replica that is down
sends its reads to the primary, and jobs use the primary.

A second PostgreSQL database stands in as the replica. It is filled by copying the
primary's tables ("replication") when the test says so; between copies it lags, and the
test puts different data in it to show which database answered."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import text

from shutter.infra.settings import SettingsError, load_settings
from shutter.models import Base
from tests.support.api import sign_up
from tests.support.instances import (
    REDIS_URL,
    Instance,
    fresh_postgres_database,
    fresh_redis_prefix,
)

STICKY_SECONDS = 1.0


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


class Databases:
    def __init__(self, primary: str, replica: str) -> None:
        self.primary, self.replica = primary, replica

    async def replicate(self) -> None:
        """Make the replica an exact copy of the primary, as streaming replication would."""
        tables = [t.name for t in Base.metadata.sorted_tables]
        source, target = (
            await asyncpg.connect(_dsn(self.primary)),
            await asyncpg.connect(_dsn(self.replica)),
        )
        try:
            async with target.transaction():
                await target.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
                for table in tables:
                    records = await source.fetch(f"SELECT * FROM {table}")
                    if records:
                        await target.copy_records_to_table(
                            table, records=records, columns=list(records[0].keys())
                        )
        finally:
            await source.close()
            await target.close()

    async def on_replica(self, sql: str, *args: object) -> None:
        connection = await asyncpg.connect(_dsn(self.replica))
        try:
            await connection.execute(sql, *args)
        finally:
            await connection.close()

    async def mark_on_replica(self, account_id: int) -> None:
        """Give the account another display name on the replica only.

        With another `updated_at` too: the entity cache trusts that one version of a row
        has one content, which replication guarantees and this stand-in must as well.
        """
        await self.on_replica(
            "UPDATE accounts SET display_name = 'on the replica',"
            " updated_at = updated_at - interval '1 second' WHERE id = $1",
            account_id,
        )

    def instance(self, var_dir: Path, **overrides: Any) -> Instance:
        return Instance(
            self.primary,
            var_dir,
            database_replica_urls=self.replica,
            replica_sticky_seconds=STICKY_SECONDS,
            **overrides,
        )


@pytest.fixture(scope="module")
async def databases() -> AsyncIterator[Databases]:
    async with fresh_postgres_database() as primary, fresh_postgres_database() as replica:
        yield Databases(primary, replica)


@pytest.fixture(autouse=True)
async def _empty(databases: Databases) -> None:
    for url in (databases.primary, databases.replica):
        connection = await asyncpg.connect(_dsn(url))
        names = ", ".join(t.name for t in Base.metadata.sorted_tables)
        await connection.execute(f"TRUNCATE {names} CASCADE")
        await connection.close()


async def _display_name(
    client: httpx.AsyncClient, account_id: str, headers: dict[str, str] | None = None
) -> str:
    response = await client.get(f"/api/v1/accounts/{account_id}", headers=headers)
    assert response.status_code == 200, response.text
    return str(response.json()["display_name"])


async def test_reads_go_to_the_replica_and_writers_read_their_own_writes(
    databases: Databases, tmp_path: Path
) -> None:
    instance = databases.instance(tmp_path)
    async with instance as api:
        ana = await sign_up(api, "ana")
        await databases.replicate()
        await databases.mark_on_replica(int(ana.id))
        await asyncio.sleep(STICKY_SECONDS)  # the sign-up's own stickiness has passed
        observer = instance.client("10.0.0.2")
        assert await _display_name(observer, ana.id) == "on the replica"
        assert await _display_name(api, ana.id, ana.headers) == "on the replica"

        changed = await api.patch(
            "/api/v1/accounts/update_credentials", headers=ana.headers, data={"display_name": "Ana"}
        )
        assert changed.status_code == 200
        # Ana reads her write at once, from the primary; everyone else still sees the
        # lagging replica, and so does ana once the stickiness has passed.
        assert await _display_name(api, ana.id, ana.headers) == "Ana"
        me = await api.get("/api/v1/accounts/verify_credentials", headers=ana.headers)
        assert me.json()["display_name"] == "Ana"
        assert await _display_name(observer, ana.id) == "on the replica"
        await asyncio.sleep(STICKY_SECONDS + 0.1)
        assert await _display_name(api, ana.id, ana.headers) == "on the replica"

        # Jobs and anything outside the API's read dependency use the primary.
        async with instance.ctx.db.read() as session:
            name = await session.scalar(
                text("SELECT display_name FROM accounts WHERE id = :id"), {"id": int(ana.id)}
            )
        assert name == "Ana"
        await observer.aclose()


async def test_a_token_newer_than_the_replica_still_authenticates(
    databases: Databases, tmp_path: Path
) -> None:
    instance = databases.instance(tmp_path)
    async with instance as api:
        await databases.replicate()  # an empty replica: bob will not be on it
        bob = await sign_up(api, "bob")
        await asyncio.sleep(STICKY_SECONDS + 0.1)
        home = await api.get("/api/v1/timelines/home", headers=bob.headers)
        assert home.status_code == 200, home.text
        # The token was looked up on the primary, and bob now sticks to it.
        me = await api.get("/api/v1/accounts/verify_credentials", headers=bob.headers)
        assert me.status_code == 200 and me.json()["username"] == "bob"
        bad = await api.get("/api/v1/timelines/home", headers={"Authorization": "Bearer nope"})
        assert bad.status_code == 401


async def test_an_anonymous_writer_sticks_by_address(databases: Databases, tmp_path: Path) -> None:
    instance = databases.instance(tmp_path)
    async with instance as api:
        ana = await sign_up(api, "ana")
        await databases.replicate()
        await databases.mark_on_replica(int(ana.id))
        await asyncio.sleep(STICKY_SECONDS + 0.1)
        writer, other = instance.client("10.0.0.7"), instance.client("10.0.0.8")
        assert await _display_name(writer, ana.id) == "on the replica"
        registered = await writer.post(
            "/api/v1/apps", data={"client_name": "x", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob"}
        )
        assert registered.status_code == 200
        assert await _display_name(writer, ana.id) == ""  # the primary's
        assert await _display_name(other, ana.id) == "on the replica"
        await writer.aclose()
        await other.aclose()


async def test_stickiness_holds_across_instances_through_redis(
    databases: Databases, tmp_path: Path
) -> None:
    async with fresh_redis_prefix() as prefix:
        shared = {"redis_url": REDIS_URL, "redis_prefix": prefix}
        first, second = (
            databases.instance(tmp_path, **shared),
            databases.instance(tmp_path, **shared),
        )
        alone = databases.instance(tmp_path)  # no Redis: it knows only its own writers
        async with first as a, second as b, alone as c:
            ana = await sign_up(a, "ana")
            await databases.replicate()
            await asyncio.sleep(STICKY_SECONDS + 0.1)
            changed = await a.patch(
                "/api/v1/accounts/update_credentials",
                headers=ana.headers,
                data={"display_name": "Ana"},
            )
            assert changed.status_code == 200
            assert await _display_name(b, ana.id, ana.headers) == "Ana"
            assert await _display_name(c, ana.id, ana.headers) == ""


async def test_a_replica_that_is_down_sends_its_reads_to_the_primary(
    databases: Databases, tmp_path: Path
) -> None:
    dead = "postgresql+asyncpg://postgres@127.0.0.1:1/nowhere"
    async with Instance(databases.primary, tmp_path, database_replica_urls=dead) as api:
        ana = await sign_up(api, "ana")
        observer_reads = await api.get(f"/api/v1/accounts/{ana.id}")
        assert observer_reads.status_code == 200
        ready = await api.get("/readyz")
        assert ready.status_code == 200 and ready.json()["replicas"] == ["down"]


def test_replicas_need_a_postgres_primary(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="REPLICA_URLS needs a PostgreSQL"):
        load_settings(var_dir=tmp_path, database_replica_urls="postgresql+asyncpg://h/db")
    with pytest.raises(SettingsError, match="replicas must be"):
        load_settings(
            var_dir=tmp_path,
            database_url="postgresql+asyncpg://h/db",
            secret_key="k",
            database_replica_urls="mysql://h/db",
        )

"""Account search latency on SQLite (FTS5 trigram) and PostgreSQL (pg_trgm GIN).

Fills a fresh, migrated database with N accounts (random pronounceable usernames and
display names, inserted directly), then times `search_accounts` for an exact name, a
prefix, a two-letter prefix and a typo; on PostgreSQL it also prints the plan of the
fuzzy query, to show that the trigram indexes are used.

    .venv/bin/python bench/search.py [--accounts 50000] [--runs 50] [--pg postgresql://…]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from shutter.accounts.models import Account  # noqa: E402
from shutter.accounts.search import search_accounts  # noqa: E402
from shutter.infra.db import utcnow  # noqa: E402
from shutter.infra.migrate import upgrade  # noqa: E402

SYLLABLES = ["ka", "lo", "mi", "re", "sa", "to", "vi", "an", "el", "ou", "ri", "na", "be", "cy"]


def _name(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 5)))


async def _fill(session: AsyncSession, count: int) -> None:
    rng = random.Random(7)
    now = utcnow()
    seen: set[str] = set()
    rows: list[dict[str, Any]] = []
    while len(rows) < count:
        username = f"{_name(rng)}{rng.randint(0, 99)}"
        if username in seen:
            continue
        seen.add(username)
        rows.append(
            {
                "id": len(rows) + 1,
                "username": username,
                "username_lower": username,
                "display_name": f"{_name(rng).title()} {_name(rng).title()}",
                "note": "",
                "website": "",
                "locked": False,
                "role": "user",
                "followers_count": 0,
                "following_count": 0,
                "statuses_count": 0,
                "created_at": now,
                "updated_at": now,
            }
        )
    rows.append({**rows[0], "id": count + 1, "username": "alice", "username_lower": "alice"})
    for start in range(0, len(rows), 2000):
        await session.execute(insert(Account), rows[start : start + 2000])
    await session.commit()


async def _time(session: AsyncSession, q: str, runs: int) -> tuple[float, int]:
    found = await search_accounts(session, q=q, limit=20, offset=0)
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        await search_accounts(session, q=q, limit=20, offset=0)
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), len(found)


async def bench(url: str, accounts: int, runs: int) -> None:
    await upgrade(url)
    engine = create_async_engine(url)
    async with async_sessionmaker(engine)() as session:
        await _fill(session, accounts)
        if engine.dialect.name == "postgresql":
            await session.execute(text("ANALYZE accounts"))
        print(f"\n{engine.dialect.name}, {accounts} accounts (median of {runs} runs)")
        for label, q in (
            ("exact", "alice"),
            ("prefix", "kalo"),
            ("2 letters", "ka"),
            ("typo", "alise"),
        ):
            median, found = await _time(session, q, runs)
            print(f"  {label:<10} {q!r:<8} {median:7.2f} ms  ({found} results)")
        if engine.dialect.name == "postgresql":
            plan = await session.execute(
                text(
                    "EXPLAIN SELECT id FROM accounts WHERE username_lower LIKE 'alise%' "
                    "OR display_name ILIKE 'alise%' OR display_name ILIKE '% alise%' "
                    "OR username_lower % 'alise' OR display_name % 'alise'"
                )
            )
            print("  plan: " + "\n        ".join(row[0] for row in plan.all()))
    await engine.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        await bench(f"sqlite+aiosqlite:///{folder}/bench.db", args.accounts, args.runs)
    name = f"shutter_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(args.pg)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        host = args.pg.split("://", 1)[1].rsplit("/", 1)[0]
        await bench(f"postgresql+asyncpg://{host}/{name}", args.accounts, args.runs)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main())

"""Contract fuzzing (issue 13): cases generated from the Mastodon API schema, valid and
invalid, sent to every operation Shutter serves, anonymously and as a signed-in user,
on SQLite and on PostgreSQL. No answer may be a server error, and every success must
have the documented shape.

The budget is fixed and the generation derandomised, so CI sends the same cases each run.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import tempfile
import time
from collections.abc import Awaitable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from shutter.app import create_app
from shutter.infra.migrate import upgrade
from tests import conftest
from tests.support import shared
from tests.support.api import follow, post_photo, sign_up, upload_photo
from tests.support.fuzz import Caller, Outcome, fuzz, load_schema, serve, served_operations
from tests.support.live import free_port

# Boundary cases, and generated cases, per operation and caller: about 5,300 requests,
# some 70-90 s per database on a busy two-core machine (the budget is three minutes).
# SHUTTER_FUZZ_EXAMPLES=200 fuzzes deeper, for a run by hand.
MAX_EXAMPLES = int(os.environ.get("SHUTTER_FUZZ_EXAMPLES", "25"))
SETUP_TIMEOUT = 20.0

T = TypeVar("T")


@pytest.fixture
def schema_document() -> dict[str, Any]:
    """The Mastodon schema; without it the test skips with one message (fails in CI)."""
    path = shared.require(shared.SCHEMA, "the API is not fuzzed against the Mastodon contract")
    document: dict[str, Any] = json.loads(path.read_text())
    return document


@pytest.fixture(params=["sqlite", "postgres"])
def fuzzed_database(request: pytest.FixtureRequest) -> Iterator[str]:
    """A migrated database of this test's own: the fuzzer writes whatever it likes."""
    if request.param == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="shutter-fuzz-"))
        url = f"sqlite+aiosqlite:///{folder / 'fuzz.db'}"
        _run(upgrade(url))
        yield url
        shutil.rmtree(folder, ignore_errors=True)
        return
    made = _run(conftest._postgres_database())
    if made is None:
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432 (set CI=1 to fail instead)")
    url, drop = made
    try:
        _run(upgrade(url))
        yield url
    finally:
        _run(drop())


def _run(awaitable: Awaitable[T]) -> T:
    """Await `awaitable` on a loop of its own, in a thread of its own: this test is
    synchronous, and the session's loop in the main thread stays as it was."""

    async def main() -> T:
        return await awaitable

    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, main()).result()


async def _wait_for(client: httpx.AsyncClient, headers: dict[str, str], path: str) -> list[Any]:
    """The list at `path` once it is not empty (a job makes notifications)."""
    deadline = time.monotonic() + SETUP_TIMEOUT
    while True:
        response = await client.get(path, headers=headers)
        assert response.status_code == 200, response.text
        if response.json():
            return list(response.json())
        assert time.monotonic() < deadline, f"{path} still empty after {SETUP_TIMEOUT}s"
        await asyncio.sleep(0.1)


async def _callers(base_url: str) -> list[Caller]:
    """Ana posts a photo and follows Bob; Bob follows Ana and likes her post, so there are
    statuses, accounts, media, notifications and a tag whose ids exist. Ana also has a
    photo uploaded but not yet posted, for a generated post to carry."""
    async with httpx.AsyncClient(base_url=base_url, timeout=SETUP_TIMEOUT) as client:
        ana = await sign_up(client, "ana")
        bob = await sign_up(client, "bob")
        status = await post_photo(client, ana, "light over the #harbour")
        await post_photo(client, bob, "bob's #harbour")
        await follow(client, ana, bob)
        await follow(client, bob, ana)
        liked = await client.post(f"/api/v1/statuses/{status['id']}/favourite", headers=bob.headers)
        assert liked.status_code == 200, liked.text
        spare = await upload_photo(client, ana)
        notifications = await _wait_for(client, ana.headers, "/api/v1/notifications")
        grouped = await client.get("/api/v2/notifications", headers=ana.headers)
        assert grouped.status_code == 200, grouped.text
        group_keys = [g["group_key"] for g in grouped.json()["notification_groups"]]
        made = await client.post("/api/v1/lists", headers=ana.headers, json={"title": "Close"})
        assert made.status_code == 200, made.text
        members = {"account_ids": [bob.id]}
        path = f"/api/v1/lists/{made.json()['id']}/accounts"
        assert (await client.post(path, headers=ana.headers, json=members)).status_code == 200
    known = {
        "statuses": [status["id"]],
        "accounts": [ana.id, bob.id],
        "media": [status["media_attachments"][0]["id"], spare["id"]],
        "notifications": [n["id"] for n in notifications[:2]] + group_keys[:1],
        "tags": ["harbour"],
        "lists": [made.json()["id"]],
        "timelines": ["harbour"],
    }
    # A top-level post needs media in Shutter; a reply does not.
    replies_and_media = [{"in_reply_to_id": status["id"]}, {"media_ids": [spare["id"]]}]
    bodies = {"POST /api/v1/statuses": replies_and_media}
    return [
        Caller("anonymous", known=known, bodies=bodies),
        Caller("ana", headers=ana.headers, known=known, bodies=bodies),
    ]


def test_no_server_errors_and_documented_successes(
    schema_document: dict[str, Any], fuzzed_database: str, tmp_path: Path
) -> None:
    started = time.monotonic()
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    # One in-process worker: notifications, feeds and media jobs run as in production.
    settings = conftest.test_settings(
        tmp_path / "var", fuzzed_database, base_url=base_url, embedded_workers=1
    )
    app = create_app(settings)
    operations = served_operations(load_schema(schema_document), app)
    # Routes and schema paths were matched: were FastAPI to list its routes differently,
    # this would fuzz next to nothing and pass.
    assert len(operations) > 40, [op.label for op in operations]

    total = Outcome()
    with serve(app, port):
        for caller in _run(_callers(base_url)):
            total.add(fuzz(operations, caller, base_url=base_url, max_examples=MAX_EXAMPLES))

    print(
        f"\ncontract fuzzing: {len(operations)} operations, {total.requests} requests, "
        f"{len(total.findings)} findings, {time.monotonic() - started:.1f}s"
    )
    for note in total.ungenerated:
        print(f"  not generated: {note}")
    assert not total.findings, f"{len(total.findings)} contract findings:\n\n" + "\n\n".join(
        map(str, total.findings)
    )

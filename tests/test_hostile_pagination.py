"""Hostile pagination: cursors past 64 bits or malformed, limits out of range or garbage.

A cursor past the largest id reads as the largest (docs/api.md, Conventions); one that
is not a number is a 422 naming it; a limit out of range is clamped, garbage is a 422.
None of them may be a 5xx, on SQLite or PostgreSQL.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from tests.support.api import User, post_photo
from tests.support.hostile import JUST_PAST, MALFORMED_IDS, PAST_64_BITS, World, world

__all__ = ["world"]  # a fixture used by these tests


def _lists(w: World) -> list[tuple[str, User | None]]:
    """Every paginated list (but the home feed), with who reads it (None: anonymous)."""
    return [
        (f"/api/v1/accounts/{w.ana.id}/statuses", None),
        (f"/api/v1/accounts/{w.ana.id}/followers", None),
        (f"/api/v1/accounts/{w.bob.id}/following", None),
        (f"/api/v1/statuses/{w.status_id}/favourited_by", None),
        ("/api/v1/timelines/tag/cats", None),
        ("/api/v1/favourites", w.bob),
        ("/api/v1/bookmarks", w.bob),
        ("/api/v1/follow_requests", w.cy),
        ("/api/v1/blocks", w.ana),
        ("/api/v1/mutes", w.ana),
        ("/api/v1/notifications", w.ana),
        ("/api/v2/notifications", w.ana),
        (f"/api/v2/notifications/{w.group_key}/accounts", w.ana),
    ]


def _ids(body: Any) -> list[str]:
    items = body["notification_groups"] if isinstance(body, dict) else body
    return [item.get("id") or item.get("group_key") for item in items]


async def _get(client: httpx.AsyncClient, url: str, reader: User | None) -> httpx.Response:
    return await client.get(url, headers=reader.headers if reader else {})


async def _assert_cursors_clamped(client: httpx.AsyncClient, url: str, reader: User | None) -> None:
    first = await _get(client, url, reader)
    assert first.status_code == 200, (url, first.text)
    assert _ids(first.json()), url  # something to page through
    for huge in (PAST_64_BITS, JUST_PAST, "9" * 5000):
        older = await _get(client, f"{url}?max_id={huge}", reader)
        assert older.status_code == 200, (url, older.text)
        assert _ids(older.json()) == _ids(first.json()), url  # older than the largest: all
        for bound in ("since_id", "min_id"):
            newer = await _get(client, f"{url}?{bound}={huge}", reader)
            assert newer.status_code == 200, (url, bound, newer.text)
            assert _ids(newer.json()) == [], (url, bound)


async def test_a_cursor_past_the_largest_id_reads_as_the_largest(
    client: httpx.AsyncClient, world: World
) -> None:
    for url, reader in _lists(world):
        await _assert_cursors_clamped(client, url, reader)


async def test_a_cursor_past_the_largest_id_on_the_home_feed(
    client: httpx.AsyncClient, world: World
) -> None:
    await _assert_cursors_clamped(client, "/api/v1/timelines/home", world.bob)


async def test_a_cursor_that_is_not_a_number_is_422(
    client: httpx.AsyncClient, world: World
) -> None:
    for url, reader in _lists(world):
        for bad in MALFORMED_IDS[:-1]:  # the long number is clamped, above
            for bound in ("max_id", "since_id", "min_id"):
                response = await _get(client, f"{url}?{bound}={quote(bad)}", reader)
                assert response.status_code == 422, (url, bound, bad, response.text)
                assert response.json()["error"].startswith(f"Validation failed: {bound} ")


async def test_limits_are_clamped_and_garbage_is_422(
    client: httpx.AsyncClient, world: World
) -> None:
    # A second post, so that a page of one is a visible clamp.
    await post_photo(client, world.ana, "again #cats")
    lists = [
        *_lists(world),
        ("/api/v1/trends/statuses", None),
        ("/api/v2/search?q=an", None),
        ("/api/v1/accounts/search?q=an", world.bob),
        ("/api/v1/notifications/unread_count", world.ana),
    ]
    for url, reader in lists:
        sep = "&" if "?" in url else "?"
        for limit in ("-5", "0", "1000", PAST_64_BITS, "-" + PAST_64_BITS, "9" * 5000, ""):
            response = await _get(client, f"{url}{sep}limit={limit}", reader)
            assert response.status_code == 200, (url, limit, response.text)
        for garbage in ("abc", "²", "1.5x"):
            response = await _get(client, f"{url}{sep}limit={quote(garbage)}", reader)
            assert response.status_code == 422, (url, garbage, response.text)
    for url in (f"/api/v1/accounts/{world.ana.id}/statuses", "/api/v1/trends/statuses"):
        assert len((await client.get(f"{url}?limit=2")).json()) == 2
        assert len((await client.get(f"{url}?limit=-5")).json()) == 1  # clamped to 1
    for url in ("/api/v1/trends/statuses", "/api/v2/search?q=an"):
        sep = "&" if "?" in url else "?"
        for offset in (PAST_64_BITS, "10001", "-1"):
            response = await client.get(f"{url}{sep}offset={offset}", headers=world.bob.headers)
            assert response.status_code == 422, (url, offset, response.text)

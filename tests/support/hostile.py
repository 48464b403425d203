"""What the hostile-input tests share: ids no row can have, and a world with something in
every list (tests/test_hostile_*.py).

A path id that cannot name a row is a 404, a body id a 422, a pagination cursor past the
largest id is read as the largest (docs/api.md, Conventions).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
import pytest

from tests.support.api import User, follow, post_photo, sign_up

PAST_64_BITS = "99999999999999999999"  # 20 digits
JUST_PAST = str(2**63)  # 19 digits, one past the largest signed 64-bit integer
MALFORMED_IDS = ["²", "١٢", "-1", "+1", " 1", "1 ", "1.5", "1e3", "0x1f", "abc", "9" * 5000]
BAD_PATH_IDS = [PAST_64_BITS, JUST_PAST, "-1", "1.5", "%C2%B2", "%201", "9" * 5000]


@dataclass
class World:
    ana: User
    bob: User
    cy: User
    status_id: str
    group_key: str


@pytest.fixture
async def world(client: httpx.AsyncClient, run_jobs: Callable[[], Awaitable[int]]) -> World:
    """A fresh `build_world` for the test."""
    return await build_world(client, run_jobs)


async def build_world(client: httpx.AsyncClient, run_jobs: Callable[[], Awaitable[int]]) -> World:
    """Ana posts a photo tagged #cats; Bob follows her, likes and saves the post."""
    ana, bob = await sign_up(client, "ana"), await sign_up(client, "bob")
    status = await post_photo(client, ana, "by the lake #cats")
    await follow(client, bob, ana)
    for action in ("favourite", "bookmark"):
        response = await client.post(
            f"/api/v1/statuses/{status['id']}/{action}", headers=bob.headers
        )
        assert response.status_code == 200, response.text
    # Something in every list: Cy is locked and Bob asks to follow her; Ana mutes Cy and
    # blocks Dee.
    cy, dee = await sign_up(client, "cy"), await sign_up(client, "dee")
    locked = await client.patch(
        "/api/v1/accounts/update_credentials", data={"locked": "true"}, headers=cy.headers
    )
    assert locked.status_code == 200, locked.text
    for who, url in (
        (bob, f"/api/v1/accounts/{cy.id}/follow"),
        (ana, f"/api/v1/accounts/{cy.id}/mute"),
        (ana, f"/api/v1/accounts/{dee.id}/block"),
    ):
        response = await client.post(url, headers=who.headers)
        assert response.status_code == 200, response.text
    await run_jobs()
    groups = await client.get("/api/v2/notifications", headers=ana.headers)
    keys = [g["group_key"] for g in groups.json()["notification_groups"]]
    group_key = next(k for k in keys if k.startswith("favourite-"))
    return World(ana=ana, bob=bob, cy=cy, status_id=status["id"], group_key=group_key)

"""Hostile ids: in a path, an id that cannot name a row (past 64 bits, signed, not
decimal) is a 404; in a body, a 422 naming the field. Never a 5xx, on SQLite or
PostgreSQL.
"""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.api import upload_photo
from tests.support.hostile import (
    BAD_PATH_IDS,
    JUST_PAST,
    MALFORMED_IDS,
    PAST_64_BITS,
    World,
    world,
)

__all__ = ["world"]  # a fixture used by these tests


async def test_path_ids_that_cannot_name_a_row_are_404(
    client: httpx.AsyncClient, world: World
) -> None:
    ana = world.ana
    routes = [
        ("GET", "/api/v1/statuses/{}"),
        ("PUT", "/api/v1/statuses/{}"),
        ("DELETE", "/api/v1/statuses/{}"),
        ("GET", "/api/v1/statuses/{}/history"),
        ("GET", "/api/v1/statuses/{}/source"),
        ("GET", "/api/v1/statuses/{}/context"),
        ("GET", "/api/v1/statuses/{}/favourited_by"),
        ("POST", "/api/v1/statuses/{}/favourite"),
        ("POST", "/api/v1/statuses/{}/unfavourite"),
        ("POST", "/api/v1/statuses/{}/bookmark"),
        ("POST", "/api/v1/statuses/{}/unbookmark"),
        ("GET", "/api/v1/accounts/{}"),
        ("GET", "/api/v1/accounts/{}/statuses"),
        ("GET", "/api/v1/accounts/{}/followers"),
        ("GET", "/api/v1/accounts/{}/following"),
        ("POST", "/api/v1/accounts/{}/follow"),
        ("POST", "/api/v1/accounts/{}/unfollow"),
        ("POST", "/api/v1/accounts/{}/block"),
        ("POST", "/api/v1/accounts/{}/unblock"),
        ("POST", "/api/v1/accounts/{}/mute"),
        ("POST", "/api/v1/accounts/{}/unmute"),
        ("POST", "/api/v1/accounts/{}/remove_from_followers"),
        ("POST", "/api/v1/follow_requests/{}/authorize"),
        ("POST", "/api/v1/follow_requests/{}/reject"),
        ("GET", "/api/v1/media/{}"),
        ("PUT", "/api/v1/media/{}"),
        ("GET", "/api/v1/notifications/{}"),
        ("POST", "/api/v1/notifications/{}/dismiss"),
    ]
    for method, template in routes:
        for bad in BAD_PATH_IDS:
            for who in (ana, None):
                headers = who.headers if who else {}
                response = await client.request(method, template.format(bad), headers=headers)
                assert response.status_code == 404, (method, template, bad, response.text)
    for key in ("%00", "a%00b", f"ungrouped-{PAST_64_BITS}", "ungrouped-%C2%B2", "x" * 200):
        for suffix in ("", "/accounts"):
            response = await client.get(f"/api/v2/notifications/{key}{suffix}", headers=ana.headers)
            assert response.status_code == 404, (key, response.text)
        response = await client.post(f"/api/v2/notifications/{key}/dismiss", headers=ana.headers)
        assert response.status_code == 404, (key, response.text)


async def test_body_ids_that_cannot_name_a_row_are_422(
    client: httpx.AsyncClient, world: World
) -> None:
    ana = world.ana
    media = await upload_photo(client, ana)
    status_url = f"/api/v1/statuses/{world.status_id}"
    for bad in [*MALFORMED_IDS, PAST_64_BITS, JUST_PAST, -1, 2**63, 1.0, 1e20, True]:
        bodies: list[tuple[str, str, dict[str, Any], str]] = [
            ("POST", "/api/v1/statuses", {"status": "x", "media_ids": [bad]}, "media_ids"),
            ("POST", "/api/v1/statuses", {"status": "x", "media_ids": bad}, "media_ids"),
            ("POST", "/api/v1/statuses", {"status": "x", "in_reply_to_id": bad}, "in_reply_to_id"),
            ("PUT", status_url, {"status": "x", "media_ids": [bad]}, "media_ids"),
            (
                "PUT",
                status_url,
                {"status": "x", "media_attributes": [{"id": bad, "description": "d"}]},
                "media_attributes",
            ),
            ("POST", "/api/v1/markers", {"home": {"last_read_id": bad}}, "home"),
            ("POST", "/api/v1/markers", {"notifications": {"last_read_id": bad}}, "notifications"),
        ]
        for method, url, body, field in bodies:
            response = await client.request(method, url, json=body, headers=ana.headers)
            assert response.status_code == 422, (url, body, response.text)
            assert field in response.json()["error"], response.text
    # Form fields too, and valid ids still work (a blank in_reply_to_id is none).
    form = {"status": "ok", "media_ids[]": [media["id"], "²"]}
    response = await client.post("/api/v1/statuses", data=form, headers=ana.headers)
    assert response.status_code == 422, response.text
    body = {"status": "ok", "media_ids": [int(media["id"])], "in_reply_to_id": ""}
    response = await client.post("/api/v1/statuses", json=body, headers=ana.headers)
    assert response.status_code == 200, response.text
    # Filters that name no row match nothing, as Mastodon's do.
    for bad in (PAST_64_BITS, "²"):
        relationships = await client.get(
            "/api/v1/accounts/relationships", params={"id[]": bad}, headers=ana.headers
        )
        assert relationships.status_code == 200 and relationships.json() == []
        filtered = await client.get(
            "/api/v1/notifications", params={"account_id": bad}, headers=ana.headers
        )
        assert filtered.status_code == 200 and filtered.json() == []

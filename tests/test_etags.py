"""ETag and 304 on entity reads: statuses, media, tags and instance information.

The tag is a digest of what the caller would get, so it moves with anything that changes
the answer (an edit, a count, the caller's own like) and a 304 carries no body."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx

from tests.support.api import DEFAULT_PHOTO, post_photo, sign_up

RunJobs = Callable[[], Awaitable[int]]


async def _revalidate(
    client: httpx.AsyncClient, path: str, headers: dict[str, str] | None = None
) -> str:
    """Read `path`, check the ETag answers 304, and return it."""
    first = await client.get(path, headers=headers)
    assert first.status_code in (200, 206), first.text
    etag = first.headers["ETag"]
    assert etag.startswith('W/"') and first.headers["Cache-Control"] == "private, no-cache"
    again = await client.get(path, headers={**(headers or {}), "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["ETag"] == etag
    listed = await client.get(path, headers={**(headers or {}), "If-None-Match": f'"x", {etag}'})
    assert listed.status_code == 304
    return etag


async def test_status_etag_moves_with_edits_counts_and_the_viewers_flags(
    client: httpx.AsyncClient,
) -> None:
    ana, bob = await sign_up(client, "ana"), await sign_up(client, "bob")
    status = await post_photo(client, bob, "first")
    path = f"/api/v1/statuses/{status['id']}"
    anonymous = await _revalidate(client, path)
    as_ana = await _revalidate(client, path, ana.headers)
    assert as_ana == anonymous  # nothing of ana's in it yet
    assert (await client.post(f"{path}/favourite", headers=ana.headers)).status_code == 200
    liked = await client.get(path, headers={**ana.headers, "If-None-Match": as_ana})
    assert liked.status_code == 200 and liked.json()["favourited"] is True
    # Bob's view changed too (the count), though he did nothing.
    counted = await client.get(path, headers={**bob.headers, "If-None-Match": anonymous})
    assert counted.status_code == 200 and counted.json()["favourites_count"] == 1
    before_edit = await _revalidate(client, path, bob.headers)
    edited = await client.put(path, headers=bob.headers, json={"status": "second"})
    assert edited.status_code == 200
    after = await client.get(path, headers={**bob.headers, "If-None-Match": before_edit})
    assert after.status_code == 200 and "second" in after.json()["content"]


async def test_a_stale_or_foreign_etag_gets_the_body(client: httpx.AsyncClient) -> None:
    bob = await sign_up(client, "bob")
    status = await post_photo(client, bob, "x")
    path = f"/api/v1/statuses/{status['id']}"
    for tag in ('W/"nothing"', "*garbage*", ""):
        response = await client.get(path, headers={"If-None-Match": tag})
        assert response.status_code == 200 and response.json()["id"] == status["id"]


async def test_unknown_and_invisible_statuses_are_404_whatever_the_etag(
    client: httpx.AsyncClient,
) -> None:
    ana, bob = await sign_up(client, "ana"), await sign_up(client, "bob")
    await client.patch(
        "/api/v1/accounts/update_credentials", headers=bob.headers, data={"locked": "true"}
    )
    status = await post_photo(client, bob, "private")
    path = f"/api/v1/statuses/{status['id']}"
    etag = (await client.get(path, headers=bob.headers)).headers["ETag"]
    hidden = await client.get(path, headers={**ana.headers, "If-None-Match": etag})
    assert hidden.status_code == 404 and hidden.json() == {"error": "Status not found"}
    missing = await client.get("/api/v1/statuses/123456789", headers={"If-None-Match": etag})
    assert missing.status_code == 404


async def test_tag_reads_revalidate_whatever_the_case_of_the_name(
    client: httpx.AsyncClient,
) -> None:
    ana, bob = await sign_up(client, "ana"), await sign_up(client, "bob")
    await post_photo(client, bob, "#sunset")
    etag = await _revalidate(client, "/api/v1/tags/sunset", ana.headers)
    other_case = await client.get("/api/v1/tags/SunSet", headers={"If-None-Match": etag})
    assert other_case.status_code == 304
    missing = await client.get("/api/v1/tags/nowhere", headers={"If-None-Match": etag})
    assert missing.status_code == 404


async def test_instance_information_revalidates(client: httpx.AsyncClient) -> None:
    v1 = await _revalidate(client, "/api/v1/instance")
    v2 = await _revalidate(client, "/api/v2/instance")
    assert v1 != v2


async def test_media_etag_moves_when_processing_finishes(
    client: httpx.AsyncClient, run_jobs: RunJobs
) -> None:
    ana, bob = await sign_up(client, "ana"), await sign_up(client, "bob")
    upload = await client.post(
        "/api/v2/media",
        headers=ana.headers,
        files={"file": ("p.jpg", DEFAULT_PHOTO.read_bytes(), "image/jpeg")},
    )
    assert upload.status_code == 202, upload.text
    path = f"/api/v1/media/{upload.json()['id']}"
    processing = await _revalidate(client, path, ana.headers)
    assert (await client.get(path, headers=ana.headers)).status_code == 206
    await run_jobs()
    ready = await client.get(path, headers={**ana.headers, "If-None-Match": processing})
    assert ready.status_code == 200 and ready.json()["url"]
    assert await _revalidate(client, path, ana.headers) == ready.headers["ETag"]
    # Someone else's media stays 404 even with the right tag.
    foreign = await client.get(path, headers={**bob.headers, "If-None-Match": processing})
    assert foreign.status_code == 404
    assert (await client.get(path, headers={"If-None-Match": processing})).status_code == 401

"""Mastodon 4.2–4.4 routes around accounts, posts and media: several accounts or
statuses at once, familiar followers, identity proofs, taking the avatar away, deleting
an unattached upload, and `/health`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx

from tests.support.api import DEFAULT_PHOTO, User, follow, post_photo, sign_up, upload_photo
from tests.support.schema import assert_entity

RunJobs = Callable[[], Awaitable[int]]


async def _lock(client: httpx.AsyncClient, user: User) -> None:
    response = await client.patch(
        "/api/v1/accounts/update_credentials", headers=user.headers, data={"locked": "true"}
    )
    assert response.status_code == 200, response.text


async def test_several_accounts_at_once(client: httpx.AsyncClient) -> None:
    ana, bob = await sign_up(client, "ana"), await sign_up(client, "bob")
    response = await client.get(
        "/api/v1/accounts",
        params=[
            ("id[]", bob.id),
            ("id[]", "0"),
            ("id[]", "abc"),
            ("id[]", ana.id),
            ("id[]", bob.id),
        ],
    )
    assert response.status_code == 200, response.text
    for account in response.json():
        assert_entity("Account", account)
    assert [a["id"] for a in response.json()] == [bob.id, ana.id]  # asked order, once each
    assert (await client.get("/api/v1/accounts")).json() == []
    single = await client.get("/api/v1/accounts", params={"id": ana.id}, headers=bob.headers)
    assert [a["username"] for a in single.json()] == ["ana"]
    too_many = await client.get("/api/v1/accounts", params=[("id[]", str(n)) for n in range(41)])
    assert too_many.status_code == 422, too_many.text


async def test_several_statuses_only_those_visible(client: httpx.AsyncClient) -> None:
    ana, bob = await sign_up(client, "ana"), await sign_up(client, "bob")
    public = await post_photo(client, ana, "for all")
    private = await post_photo(client, ana, "followers", visibility="private")
    direct = await post_photo(client, ana, "@bob hi", visibility="direct")
    ids = [("id[]", s["id"]) for s in (direct, private, public)] + [("id[]", "12345")]
    anonymous = await client.get("/api/v1/statuses", params=ids)
    assert anonymous.status_code == 200, anonymous.text
    assert [s["id"] for s in anonymous.json()] == [public["id"]]
    as_bob = await client.get("/api/v1/statuses", params=ids, headers=bob.headers)
    assert [s["id"] for s in as_bob.json()] == [direct["id"], public["id"]]
    as_ana = await client.get("/api/v1/statuses", params=ids, headers=ana.headers)
    assert [s["id"] for s in as_ana.json()] == [direct["id"], private["id"], public["id"]]
    for status in as_ana.json():
        assert_entity("Status", status)
    too_many = await client.get("/api/v1/statuses", params=[("id[]", str(n)) for n in range(21)])
    assert too_many.status_code == 422
    assert (await client.get("/api/v1/statuses")).json() == []


async def test_familiar_followers(client: httpx.AsyncClient) -> None:
    ana, bob, cy, dee, eve = [await sign_up(client, n) for n in ("ana", "bob", "cy", "dee", "eve")]
    await follow(client, ana, bob)
    await follow(client, ana, cy)
    await follow(client, bob, dee)
    await follow(client, cy, dee)
    await follow(client, dee, eve)  # ana does not follow dee
    await follow(client, bob, eve)
    await _lock(client, eve)
    response = await client.get(
        "/api/v1/accounts/familiar_followers",
        params=[("id[]", dee.id), ("id[]", eve.id), ("id[]", "0"), ("id[]", dee.id)],
        headers=ana.headers,
    )
    assert response.status_code == 200, response.text
    for entry in response.json():
        assert_entity("FamiliarFollowers", entry)
    body = [(e["id"], sorted(a["username"] for a in e["accounts"])) for e in response.json()]
    # Eve is locked and ana does not follow her: her followers are not ana's to see.
    assert body == [(dee.id, ["bob", "cy"]), (eve.id, [])]
    as_bob = await client.get(
        "/api/v1/accounts/familiar_followers", params={"id[]": eve.id}, headers=bob.headers
    )
    # Bob follows eve, so he sees her followers: dee, whom he follows, is one.
    assert [a["username"] for a in as_bob.json()[0]["accounts"]] == ["dee"]
    await follow(client, cy, bob)
    as_cy = await client.get(
        "/api/v1/accounts/familiar_followers", params={"id[]": dee.id}, headers=cy.headers
    )
    assert [a["username"] for a in as_cy.json()[0]["accounts"]] == ["bob"]
    assert (await client.get("/api/v1/accounts/familiar_followers")).status_code == 401


async def test_identity_proofs_are_an_empty_list(client: httpx.AsyncClient) -> None:
    ana = await sign_up(client, "ana")
    response = await client.get(f"/api/v1/accounts/{ana.id}/identity_proofs")
    assert response.status_code == 200 and response.json() == []
    missing = await client.get("/api/v1/accounts/123456/identity_proofs")
    assert missing.status_code == 404


async def test_remove_avatar_and_header(client: httpx.AsyncClient, run_jobs: RunJobs) -> None:
    ana = await sign_up(client, "ana")
    uploaded = await client.patch(
        "/api/v1/accounts/update_credentials",
        headers=ana.headers,
        files={"avatar": ("me.jpg", DEFAULT_PHOTO.read_bytes(), "image/jpeg")},
    )
    avatar = uploaded.json()["avatar"]
    assert "/media/" in avatar
    response = await client.delete("/api/v1/profile/avatar", headers=ana.headers)
    assert response.status_code == 200, response.text
    assert_entity("CredentialAccount", response.json())
    assert "missing-avatar" in response.json()["avatar"]
    assert "missing-avatar" in (await client.get(f"/api/v1/accounts/{ana.id}")).json()["avatar"]
    again = await client.delete("/api/v1/profile/avatar", headers=ana.headers)
    assert again.status_code == 200
    header = await client.delete("/api/v1/profile/header", headers=ana.headers)
    assert header.status_code == 200
    assert_entity("CredentialAccount", header.json())
    assert "missing-header" in header.json()["header"]
    assert (await client.delete("/api/v1/profile/avatar")).status_code == 401
    await run_jobs()  # the file is not anyone's avatar any more


async def test_delete_an_unattached_upload(client: httpx.AsyncClient, run_jobs: RunJobs) -> None:
    ana, bob = await sign_up(client, "ana"), await sign_up(client, "bob")
    media = await upload_photo(client, ana)
    refused = await client.delete(f"/api/v1/media/{media['id']}", headers=bob.headers)
    assert refused.status_code == 404  # another's upload does not exist for bob
    response = await client.delete(f"/api/v1/media/{media['id']}", headers=ana.headers)
    assert response.status_code == 200 and response.json() == {}
    assert (
        await client.get(f"/api/v1/media/{media['id']}", headers=ana.headers)
    ).status_code == 404
    await run_jobs()
    gone = await client.get(media["url"].removeprefix("http://testserver"))
    assert gone.status_code == 404
    status = await post_photo(client, ana, "attached")
    attached = status["media_attachments"][0]["id"]
    in_use = await client.delete(f"/api/v1/media/{attached}", headers=ana.headers)
    assert in_use.status_code == 422, in_use.text
    assert (await client.get(f"/api/v1/statuses/{status['id']}")).json()["media_attachments"]
    for raw in ("0", "abc", "99999999999999999999"):
        assert (await client.delete(f"/api/v1/media/{raw}", headers=ana.headers)).status_code == 404
    assert (await client.delete(f"/api/v1/media/{attached}")).status_code == 401


async def test_health_is_mastodons_plain_ok(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.text == "OK"
    assert response.headers["content-type"].startswith("text/plain")

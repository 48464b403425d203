"""Profiles' featured hashtags and endorsed accounts (Mastodon's account pins)."""

from __future__ import annotations

from typing import Any

import httpx

from shutter.infra.context import AppContext
from tests.support.api import User, follow, post_photo, sign_up
from tests.support.schema import assert_entity
from tests.support.states import change


async def _featured(client: httpx.AsyncClient, path: str, user: User | None) -> list[Any]:
    response = await client.get(path, headers=user.headers if user else {})
    assert response.status_code == 200, response.text
    for body in response.json():
        assert_entity("FeaturedTag", body)
    return list(response.json())


async def test_feature_tags_with_counts_and_suggestions(client: httpx.AsyncClient) -> None:
    ana, bo = await sign_up(client, "ana"), await sign_up(client, "bo")
    await post_photo(client, ana, "#Travel one")
    await post_photo(client, ana, "#travel two #food")
    await post_photo(client, ana, "#travel hidden", visibility="private")
    await post_photo(client, bo, "#travel by bo")
    suggested = await client.get("/api/v1/featured_tags/suggestions", headers=ana.headers)
    assert suggested.status_code == 200
    for body in suggested.json():
        assert_entity("Tag", body)
    assert [t["name"] for t in suggested.json()] == ["Travel", "food"]
    created = await client.post(
        "/api/v1/featured_tags", headers=ana.headers, data={"name": "#TRAVEL"}
    )
    assert created.status_code == 200, created.text
    body = created.json()
    assert_entity("FeaturedTag", body)
    assert body["name"] == "Travel"
    assert body["statuses_count"] == "2"  # public and unlisted posts only, ana's only
    assert body["url"] == "http://testserver/@ana/tagged/travel"
    assert body["last_status_at"] is not None and len(body["last_status_at"]) == 10
    again = await client.post("/api/v1/featured_tags", headers=ana.headers, json={"name": "travel"})
    assert again.json()["id"] == body["id"]
    fresh = await client.post("/api/v1/featured_tags", headers=ana.headers, json={"name": "unused"})
    assert fresh.status_code == 200 and fresh.json()["statuses_count"] == "0"
    assert fresh.json()["last_status_at"] is None
    mine = await _featured(client, "/api/v1/featured_tags", ana)
    assert [f["name"] for f in mine] == ["Travel", "unused"]
    assert await _featured(client, f"/api/v1/accounts/{ana.id}/featured_tags", None) == mine
    suggested = await client.get("/api/v1/featured_tags/suggestions", headers=ana.headers)
    assert [t["name"] for t in suggested.json()] == ["food"]
    shown = await client.get("/api/v1/tags/travel", headers=ana.headers)
    assert shown.json()["featuring"] is True
    gone = await client.delete(f"/api/v1/featured_tags/{fresh.json()['id']}", headers=ana.headers)
    assert gone.status_code == 200 and gone.json() == {}
    assert [f["name"] for f in await _featured(client, "/api/v1/featured_tags", ana)] == ["Travel"]
    # Mastodon 4.4's routes by the tag's name.
    featured = await client.post("/api/v1/tags/food/feature", headers=ana.headers)
    assert featured.status_code == 200 and featured.json()["featuring"] is True
    assert_entity("Tag", featured.json())
    unfeatured = await client.post("/api/v1/tags/travel/unfeature", headers=ana.headers)
    assert unfeatured.status_code == 200 and unfeatured.json()["featuring"] is False
    assert [f["name"] for f in await _featured(client, "/api/v1/featured_tags", ana)] == ["food"]


async def test_account_posts_tagged(client: httpx.AsyncClient) -> None:
    ana, bo = await sign_up(client, "ana"), await sign_up(client, "bo")
    one = (await post_photo(client, ana, "#Travel one"))["id"]
    await post_photo(client, ana, "#food")
    two = (await post_photo(client, ana, "#travel two"))["id"]
    await post_photo(client, bo, "#travel by bo")
    for tagged in ("travel", "TRAVEL", "%23travel"):
        response = await client.get(f"/api/v1/accounts/{ana.id}/statuses?tagged={tagged}")
        assert response.status_code == 200
        for body in response.json():
            assert_entity("Status", body)
        assert [s["id"] for s in response.json()] == [two, one]
    for tagged in ("nothing", "!!!", "x" * 300):
        response = await client.get(f"/api/v1/accounts/{ana.id}/statuses?tagged={tagged}")
        assert response.status_code == 200 and response.json() == []


async def test_featured_tag_limits_and_hostile_input(client: httpx.AsyncClient) -> None:
    ana, bo = await sign_up(client, "ana"), await sign_up(client, "bo")
    for i in range(10):
        response = await client.post(
            "/api/v1/featured_tags", headers=ana.headers, json={"name": f"tag{i}"}
        )
        assert response.status_code == 200, response.text
    eleventh = await client.post(
        "/api/v1/featured_tags", headers=ana.headers, json={"name": "more"}
    )
    assert eleventh.status_code == 422
    for bad in ({"name": "!!!"}, {"name": ""}, {"name": "x" * 300}, {}, {"name": ["a"]}):
        response = await client.post("/api/v1/featured_tags", headers=bo.headers, json=bad)
        assert response.status_code == 422, (bad, response.text)
        assert "error" in response.json()
    first = (await _featured(client, "/api/v1/featured_tags", ana))[0]
    # Someone else's, unknown and malformed ids are all 404; nothing changes.
    for featured_id in (first["id"], "123", "abc", "99999999999999999999999"):
        response = await client.delete(f"/api/v1/featured_tags/{featured_id}", headers=bo.headers)
        assert response.status_code == 404, featured_id
    assert len(await _featured(client, "/api/v1/featured_tags", ana)) == 10
    assert await _featured(client, "/api/v1/featured_tags", bo) == []
    assert (await client.post("/api/v1/featured_tags", json={"name": "x"})).status_code == 401
    assert (await client.get("/api/v1/accounts/123/featured_tags")).status_code == 404
    blocked = await client.post(f"/api/v1/accounts/{bo.id}/block", headers=ana.headers)
    assert blocked.status_code == 200
    assert await _featured(client, f"/api/v1/accounts/{ana.id}/featured_tags", bo) == []


async def _relationship(client: httpx.AsyncClient, user: User, target: User) -> dict[str, Any]:
    response = await client.get(
        f"/api/v1/accounts/relationships?id[]={target.id}", headers=user.headers
    )
    assert response.status_code == 200
    [body] = response.json()
    assert_entity("Relationship", body)
    return dict(body)


async def _accounts(client: httpx.AsyncClient, path: str, user: User | None) -> list[str]:
    response = await client.get(path, headers=user.headers if user else {})
    assert response.status_code == 200, response.text
    for body in response.json():
        assert_entity("Account", body)
    return [a["id"] for a in response.json()]


async def test_endorse_accounts(client: httpx.AsyncClient, ctx: AppContext) -> None:
    ana, bo, cy, dee = [await sign_up(client, n) for n in ("ana", "bo", "cy", "dee")]
    refused = await client.post(f"/api/v1/accounts/{bo.id}/pin", headers=ana.headers)
    assert refused.status_code == 422  # only a followed account may be endorsed
    await follow(client, ana, bo)
    await follow(client, ana, cy)
    pinned = await client.post(f"/api/v1/accounts/{bo.id}/pin", headers=ana.headers)
    assert pinned.status_code == 200, pinned.text
    assert_entity("Relationship", pinned.json())
    assert pinned.json()["endorsed"] is True
    endorsed = await client.post(f"/api/v1/accounts/{cy.id}/endorse", headers=ana.headers)
    assert endorsed.json()["endorsed"] is True
    assert (await client.post(f"/api/v1/accounts/{cy.id}/pin", headers=ana.headers)).is_success
    assert (await _relationship(client, ana, bo))["endorsed"] is True
    assert (await _relationship(client, bo, ana))["endorsed"] is False
    assert await _accounts(client, "/api/v1/endorsements", ana) == [cy.id, bo.id]
    page = await client.get("/api/v1/endorsements?limit=1", headers=ana.headers)
    assert [a["id"] for a in page.json()] == [cy.id]
    rest = await client.get(page.links["next"]["url"], headers=ana.headers)
    assert [a["id"] for a in rest.json()] == [bo.id]
    public = f"/api/v1/accounts/{ana.id}/endorsements"
    assert await _accounts(client, public, None) == [cy.id, bo.id]
    # A block hides the blocked account from the other's lists; suspension from all.
    assert (await client.post(f"/api/v1/accounts/{cy.id}/block", headers=dee.headers)).is_success
    assert await _accounts(client, public, dee) == [bo.id]
    await change(ctx, bo, "suspend")
    assert await _accounts(client, public, None) == [cy.id]
    await change(ctx, bo, "unsuspend")
    unpinned = await client.post(f"/api/v1/accounts/{bo.id}/unpin", headers=ana.headers)
    assert unpinned.status_code == 200 and unpinned.json()["endorsed"] is False
    # Unfollowing ends the endorsement, as on Mastodon.
    assert (await client.post(f"/api/v1/accounts/{cy.id}/unfollow", headers=ana.headers)).is_success
    assert await _accounts(client, "/api/v1/endorsements", ana) == []
    unendorsed = await client.post(f"/api/v1/accounts/{cy.id}/unendorse", headers=ana.headers)
    assert unendorsed.status_code == 200 and unendorsed.json()["endorsed"] is False


async def test_endorsement_hostile_input(client: httpx.AsyncClient) -> None:
    ana, bo = await sign_up(client, "ana"), await sign_up(client, "bo")
    await follow(client, ana, bo)
    for target in ("999", "abc", "-1", "99999999999999999999999"):
        response = await client.post(f"/api/v1/accounts/{target}/pin", headers=ana.headers)
        assert response.status_code == 404, target
    assert (
        await client.post(f"/api/v1/accounts/{ana.id}/pin", headers=ana.headers)
    ).status_code == 422
    assert (await client.post(f"/api/v1/accounts/{bo.id}/pin")).status_code == 401
    assert (await client.get("/api/v1/endorsements")).status_code == 401
    assert (
        await client.get("/api/v1/endorsements?limit=x", headers=ana.headers)
    ).status_code == 422
    assert await _accounts(client, "/api/v1/endorsements", ana) == []

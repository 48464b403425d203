"""What Shutter does not have — reposts, polls, translation, annual reports — answers as
Mastodon does for a server without them, and oEmbed of public posts."""

from __future__ import annotations

import httpx

from tests.support.api import post_photo, sign_up, upload_photo
from tests.support.schema import assert_entity


async def test_reposts_are_refused_clearly(client: httpx.AsyncClient) -> None:
    ana, bob = await sign_up(client, "ana"), await sign_up(client, "bob")
    status = await post_photo(client, ana, "no reposts here")
    private = await post_photo(client, ana, "followers", visibility="private")
    for verb in ("reblog", "unreblog"):
        response = await client.post(f"/api/v1/statuses/{status['id']}/{verb}", headers=bob.headers)
        assert response.status_code == 422, response.text
        assert "no reposts" in response.json()["error"]
        hidden = await client.post(f"/api/v1/statuses/{private['id']}/{verb}", headers=bob.headers)
        assert hidden.status_code == 404
        assert (await client.post(f"/api/v1/statuses/{status['id']}/{verb}")).status_code == 401
    seen = await client.get(f"/api/v1/statuses/{status['id']}", headers=bob.headers)
    assert seen.json()["reblogged"] is False and seen.json()["reblogs_count"] == 0
    by = await client.get(f"/api/v1/statuses/{status['id']}/reblogged_by")
    assert by.status_code == 200 and by.json() == []
    assert (await client.get(f"/api/v1/statuses/{private['id']}/reblogged_by")).status_code == 404
    assert (await client.get("/api/v1/statuses/0/reblogged_by")).status_code == 404


async def test_no_polls(client: httpx.AsyncClient) -> None:
    ana = await sign_up(client, "ana")
    for path in ("/api/v1/polls/1", "/api/v1/polls/abc"):
        response = await client.get(path, headers=ana.headers)
        assert response.status_code == 404 and response.json() == {"error": "Record not found"}
    vote = await client.post("/api/v1/polls/1/votes", headers=ana.headers, json={"choices": [0]})
    assert vote.status_code == 404 and vote.json() == {"error": "Record not found"}
    assert (await client.post("/api/v1/polls/1/votes", json={"choices": [0]})).status_code == 401
    media = await upload_photo(client, ana)
    asked = await client.post(
        "/api/v1/statuses",
        headers=ana.headers,
        json={
            "status": "which?",
            "media_ids": [media["id"]],
            "poll": {"options": ["a", "b"], "expires_in": 3600},
        },
    )
    assert asked.status_code == 422, asked.text
    assert "polls are not supported" in asked.json()["error"]
    form = await client.post(
        "/api/v1/statuses",
        headers=ana.headers,
        data={"status": "which?", "media_ids[]": media["id"], "poll[options][]": ["a", "b"]},
    )
    assert form.status_code == 422
    statuses = await client.get(f"/api/v1/accounts/{ana.id}/statuses")
    assert statuses.json() == []  # nothing was posted
    posted = await client.post(
        "/api/v1/statuses",
        headers=ana.headers,
        json={"status": "plain", "media_ids": [media["id"]], "poll": None},
    )
    assert posted.status_code == 200, posted.text


async def test_translation_is_not_configured(client: httpx.AsyncClient) -> None:
    ana, bob = await sign_up(client, "ana"), await sign_up(client, "bob")
    status = await post_photo(client, ana, "bonjour")
    private = await post_photo(client, ana, "secret", visibility="private")
    response = await client.post(f"/api/v1/statuses/{status['id']}/translate", headers=bob.headers)
    assert response.status_code == 404 and response.json() == {"error": "Record not found"}
    hidden = await client.post(f"/api/v1/statuses/{private['id']}/translate", headers=bob.headers)
    assert hidden.status_code == 404
    assert (await client.post(f"/api/v1/statuses/{status['id']}/translate")).status_code == 401
    instance = (await client.get("/api/v2/instance")).json()
    assert instance["configuration"]["translation"]["enabled"] is False


async def test_annual_reports_none_generated(client: httpx.AsyncClient) -> None:
    ana = await sign_up(client, "ana")
    listed = await client.get("/api/v1/annual_reports", headers=ana.headers)
    assert listed.status_code == 200
    assert listed.json() == {"annual_reports": [], "accounts": [], "statuses": []}
    for response in (
        await client.get("/api/v1/annual_reports/2026", headers=ana.headers),
        await client.post("/api/v1/annual_reports/2026/read", headers=ana.headers),
        await client.post("/api/v1/annual_reports/nonsense/read", headers=ana.headers),
    ):
        assert response.status_code == 404 and response.json() == {"error": "Record not found"}
    assert (await client.get("/api/v1/annual_reports")).status_code == 401


async def test_oembed_of_public_posts_only(client: httpx.AsyncClient) -> None:
    ana = await sign_up(client, "ana")
    status = await post_photo(client, ana, "embed <me> & share")
    private = await post_photo(client, ana, "not for embedding", visibility="private")
    for url in (status["url"], status["uri"]):
        response = await client.get("/api/oembed", params={"url": url, "maxwidth": "300"})
        assert response.status_code == 200, (url, response.text)
        body = response.json()
        assert_entity("OEmbedResponse", body)
        assert body["type"] == "rich" and body["width"] == 300
        assert status["url"] in body["html"]
        assert "&lt;me&gt; &amp; share" in body["html"] and "<me>" not in body["html"]
        assert body["author_url"].endswith("/@ana")
    for url in (
        private["url"],
        status["url"].replace("testserver", "elsewhere.example"),
        "http://testserver/@ana/123456789",
        "http://testserver/about",
        "javascript:alert(1)",
        "not a url at all",
        "http://[::1",
    ):
        response = await client.get("/api/oembed", params={"url": url})
        assert response.status_code == 404, (url, response.text)
    assert (await client.get("/api/oembed")).status_code == 422
    too_wide = await client.get("/api/oembed", params={"url": status["url"], "maxwidth": "x"})
    assert too_wide.status_code == 422

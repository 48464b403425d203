"""A post's audience, content warning and the account's defaults, through the API;
and profile links that reach HTML fields escaped (the security probe's items 1 and 2)."""

from __future__ import annotations

import httpx

from tests.support.api import post_photo, sign_up, upload_photo


async def test_unknown_visibility_is_refused_and_nothing_is_posted(
    client: httpx.AsyncClient,
) -> None:
    ana = await sign_up(client, "ana")
    media = await upload_photo(client, ana)
    response = await client.post(
        "/api/v1/statuses",
        headers=ana.headers,
        json={"status": "x", "media_ids": [media["id"]], "visibility": "bogus"},
    )
    assert response.status_code == 422, response.text
    statuses = await client.get(f"/api/v1/accounts/{ana.id}/statuses", headers=ana.headers)
    assert statuses.json() == []


async def test_direct_post_is_hidden_from_anonymous_and_followers(
    client: httpx.AsyncClient,
) -> None:
    ana = await sign_up(client, "ana")
    status = await post_photo(client, ana, "just for me", visibility="direct")
    assert status["visibility"] == "direct"
    assert (await client.get(f"/api/v1/statuses/{status['id']}")).status_code == 404
    assert (await client.get(f"/api/v1/accounts/{ana.id}/statuses")).json() == []


async def test_sensitive_and_spoiler_text_are_kept(client: httpx.AsyncClient) -> None:
    ana = await sign_up(client, "ana")
    media = await upload_photo(client, ana)
    response = await client.post(
        "/api/v1/statuses",
        headers=ana.headers,
        json={
            "status": "x",
            "media_ids": [media["id"]],
            "sensitive": True,
            "spoiler_text": "spiders",
        },
    )
    assert response.status_code == 200, response.text
    got = (await client.get(f"/api/v1/statuses/{response.json()['id']}")).json()
    assert (got["sensitive"], got["spoiler_text"]) == (True, "spiders")


async def test_default_audience_comes_from_source_privacy(client: httpx.AsyncClient) -> None:
    ana = await sign_up(client, "ana")
    response = await client.patch(
        "/api/v1/accounts/update_credentials",
        headers=ana.headers,
        data={"source[privacy]": "private"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["source"]["privacy"] == "private"
    assert (await post_photo(client, ana, "default"))["visibility"] == "private"
    bad = await client.patch(
        "/api/v1/accounts/update_credentials",
        headers=ana.headers,
        data={"source[privacy]": "everyone"},
    )
    assert bad.status_code == 422


async def test_website_reaches_fields_as_escaped_html(client: httpx.AsyncClient) -> None:
    ana = await sign_up(client, "ana")
    hostile = await client.patch(
        "/api/v1/accounts/update_credentials",
        headers=ana.headers,
        data={"website": 'https://x.example/"><script>alert(1)</script>'},
    )
    assert hostile.status_code == 422
    response = await client.patch(
        "/api/v1/accounts/update_credentials",
        headers=ana.headers,
        data={"website": "https://x.example/a?b=1&c=2"},
    )
    assert response.status_code == 200, response.text
    value = response.json()["fields"][0]["value"]
    assert value.startswith('<a href="https://x.example/a?b=1&amp;c=2"')
    assert "<script" not in value
    assert response.json()["source"]["fields"][0]["value"] == "https://x.example/a?b=1&c=2"

"""Posts through the API: create, read, edit with history, delete, and every refusal."""

from __future__ import annotations

import httpx
import pytest

from shutter.infra.context import AppContext
from tests.support.api import post_photo, sign_up, upload_photo
from tests.support.schema import assert_entity


async def _count_statuses(client: httpx.AsyncClient, account_id: str) -> int:
    response = await client.get(f"/api/v1/accounts/{account_id}")
    return response.json()["statuses_count"]


async def test_post_with_photos_and_read_it_back(client: httpx.AsyncClient) -> None:
    ana = await sign_up(client, "ana")
    media = [await upload_photo(client, ana, description=f"photo {i}") for i in range(3)]
    response = await client.post(
        "/api/v1/statuses",
        headers=ana.headers,
        data={"status": "Sunset <b>over</b> the bay", "media_ids[]": [m["id"] for m in media]},
    )
    assert response.status_code == 200, response.text
    status = response.json()
    assert_entity("Status", status)
    assert [m["id"] for m in status["media_attachments"]] == [m["id"] for m in media]
    assert status["media_attachments"][1]["description"] == "photo 1"
    assert "&lt;b&gt;over&lt;/b&gt;" in status["content"]
    assert status["account"]["statuses_count"] == 1
    fetched = await client.get(f"/api/v1/statuses/{status['id']}")
    assert fetched.status_code == 200
    assert fetched.json()["id"] == status["id"]
    assert isinstance(status["id"], str) and status["id"].isdigit()


async def test_idempotency_key_returns_the_same_post(client: httpx.AsyncClient) -> None:
    ana = await sign_up(client, "ana")
    media = await upload_photo(client, ana)
    headers = ana.headers | {"Idempotency-Key": "abc-123"}
    body = {"status": "once", "media_ids": [media["id"]]}
    first = await client.post("/api/v1/statuses", headers=headers, json=body)
    second = await client.post("/api/v1/statuses", headers=headers, json=body)
    assert first.status_code == second.status_code == 200
    assert first.json()["id"] == second.json()["id"]
    assert await _count_statuses(client, ana.id) == 1


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"status": "x" * 256}, "255"),
        ({"status": "no photo"}, "photo"),
        ({"status": "bad id", "media_ids": ["abc"]}, "media"),
        ({"status": "unknown", "media_ids": ["123456789"]}, "media"),
        ({"status": ["not", "text"]}, "status"),
    ],
)
async def test_refused_posts_change_nothing(
    client: httpx.AsyncClient, body: dict[str, object], fragment: str
) -> None:
    ana = await sign_up(client, "ana")
    if body.get("status") == "x" * 256:
        body = body | {"media_ids": [(await upload_photo(client, ana))["id"]]}
    response = await client.post("/api/v1/statuses", headers=ana.headers, json=body)
    assert response.status_code == 422, response.text
    assert fragment in response.json()["error"]
    assert await _count_statuses(client, ana.id) == 0


async def test_seven_photos_are_refused(client: httpx.AsyncClient) -> None:
    ana = await sign_up(client, "ana")
    ids = [(await upload_photo(client, ana))["id"] for _ in range(7)]
    response = await client.post("/api/v1/statuses", headers=ana.headers, json={"media_ids": ids})
    assert response.status_code == 422
    six = await client.post("/api/v1/statuses", headers=ana.headers, json={"media_ids": ids[:6]})
    assert six.status_code == 200
    assert len(six.json()["media_attachments"]) == 6


async def test_media_of_someone_else_or_already_used_is_refused(client: httpx.AsyncClient) -> None:
    ana, bob = await sign_up(client, "ana"), await sign_up(client, "bob")
    bobs = await upload_photo(client, bob)
    theft = await client.post(
        "/api/v1/statuses", headers=ana.headers, json={"media_ids": [bobs["id"]]}
    )
    assert theft.status_code == 422
    post = await client.post(
        "/api/v1/statuses", headers=bob.headers, json={"media_ids": [bobs["id"]]}
    )
    assert post.status_code == 200
    reuse = await client.post(
        "/api/v1/statuses", headers=bob.headers, json={"media_ids": [bobs["id"]]}
    )
    assert reuse.status_code == 422
    assert await _count_statuses(client, bob.id) == 1


async def test_posting_needs_a_valid_write_token(client: httpx.AsyncClient) -> None:
    ana = await sign_up(client, "ana")
    media = await upload_photo(client, ana)
    body = {"media_ids": [media["id"]]}
    assert (await client.post("/api/v1/statuses", json=body)).status_code == 401
    bad = {"Authorization": "Bearer not-a-token"}
    assert (await client.post("/api/v1/statuses", headers=bad, json=body)).status_code == 401


async def test_edit_caption_and_alt_text_with_history(client: httpx.AsyncClient) -> None:
    ana = await sign_up(client, "ana")
    status = await post_photo(client, ana, "first words")
    media_id = status["media_attachments"][0]["id"]
    response = await client.put(
        f"/api/v1/statuses/{status['id']}",
        headers=ana.headers,
        json={
            "status": "second words",
            "media_attributes": [{"id": media_id, "description": "a red boat"}],
        },
    )
    assert response.status_code == 200, response.text
    edited = response.json()
    assert_entity("Status", edited)
    assert "second words" in edited["content"]
    assert edited["edited_at"] is not None
    assert edited["media_attachments"][0]["description"] == "a red boat"
    history = (await client.get(f"/api/v1/statuses/{status['id']}/history")).json()
    assert [("first" in h["content"], "second" in h["content"]) for h in history] == [
        (True, False),
        (False, True),
    ]
    for entry in history:
        assert_entity("StatusEdit", entry)
    too_long = await client.put(
        f"/api/v1/statuses/{status['id']}", headers=ana.headers, json={"status": "y" * 256}
    )
    assert too_long.status_code == 422
    assert len((await client.get(f"/api/v1/statuses/{status['id']}/history")).json()) == 2


async def test_history_of_an_unedited_post_is_its_only_version(client: httpx.AsyncClient) -> None:
    ana = await sign_up(client, "ana")
    status = await post_photo(client, ana, "as posted")
    history = (await client.get(f"/api/v1/statuses/{status['id']}/history")).json()
    assert len(history) == 1 and "as posted" in history[0]["content"]


async def test_others_cannot_edit_or_delete(client: httpx.AsyncClient) -> None:
    ana, bob = await sign_up(client, "ana"), await sign_up(client, "bob")
    status = await post_photo(client, ana, "mine")
    edit = await client.put(
        f"/api/v1/statuses/{status['id']}", headers=bob.headers, json={"status": "hacked"}
    )
    assert edit.status_code in (403, 404)
    delete = await client.delete(f"/api/v1/statuses/{status['id']}", headers=bob.headers)
    assert delete.status_code in (403, 404)
    still = (await client.get(f"/api/v1/statuses/{status['id']}")).json()
    assert "mine" in still["content"]


async def test_delete_removes_post_and_its_files(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    ana = await sign_up(client, "ana")
    before = set(ctx.storage.keys())
    status = await post_photo(client, ana, "short-lived")
    assert set(ctx.storage.keys()) > before
    response = await client.delete(f"/api/v1/statuses/{status['id']}", headers=ana.headers)
    assert response.status_code == 200
    assert response.json()["text"] == "short-lived"
    assert (await client.get(f"/api/v1/statuses/{status['id']}")).status_code == 404
    assert await _count_statuses(client, ana.id) == 0
    assert set(ctx.storage.keys()) == before
    again = await client.delete(f"/api/v1/statuses/{status['id']}", headers=ana.headers)
    assert again.status_code == 404


async def test_unknown_and_malformed_ids_are_404(client: httpx.AsyncClient) -> None:
    ana = await sign_up(client, "ana")
    for path in ("/api/v1/statuses/999999", "/api/v1/statuses/abc"):
        response = await client.get(path, headers=ana.headers)
        assert response.status_code == 404
        assert "error" in response.json()


async def test_account_statuses_paginate_with_links(client: httpx.AsyncClient) -> None:
    ana = await sign_up(client, "ana")
    posted = [await post_photo(client, ana, f"post {i}") for i in range(5)]
    newest_first = [s["id"] for s in reversed(posted)]
    seen: list[str] = []
    url = f"/api/v1/accounts/{ana.id}/statuses?limit=2"
    while url:
        response = await client.get(url)
        assert response.status_code == 200
        page = [s["id"] for s in response.json()]
        if not page:
            break
        seen += page
        url = response.links.get("next", {}).get("url", "")
    assert seen == newest_first


async def test_unknown_parameters_are_ignored_as_mastodon_does(client: httpx.AsyncClient) -> None:
    ana = await sign_up(client, "ana")
    media = await upload_photo(client, ana)
    response = await client.post(
        "/api/v1/statuses",
        headers=ana.headers,
        json={"status": "hi", "media_ids": [media["id"]], "client_extension": {"x": 1}},
    )
    assert response.status_code == 200
    assert "client_extension" not in response.json()

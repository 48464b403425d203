"""Instance information and the error conventions every route shares."""

from __future__ import annotations

import httpx

from tests.support.api import sign_up
from tests.support.schema import assert_entity


async def test_instance_v2_publishes_the_limits(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v2/instance")
    assert response.status_code == 200
    body = response.json()
    assert_entity("Instance", body)
    config = body["configuration"]
    assert config["statuses"]["max_characters"] == 255
    assert config["statuses"]["max_media_attachments"] == 6
    assert "image/jpeg" in config["media_attachments"]["supported_mime_types"]
    assert config["media_attachments"]["image_size_limit"] > 0
    assert body["version"].startswith("4.3.0 (compatible; Shutter ")


async def test_instance_v1(client: httpx.AsyncClient) -> None:
    body = (await client.get("/api/v1/instance")).json()
    assert_entity("V1Instance", body)
    assert body["configuration"]["statuses"]["max_characters"] == 255


async def test_unknown_routes_and_methods_answer_json(client: httpx.AsyncClient) -> None:
    missing = await client.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and "error" in missing.json()
    wrong_method = await client.delete("/api/v2/instance")
    assert wrong_method.status_code == 405 and "error" in wrong_method.json()


async def test_malformed_bodies_are_client_errors(client: httpx.AsyncClient) -> None:
    ana = await sign_up(client, "ana")
    headers = ana.headers | {"Content-Type": "application/json"}
    broken = await client.post("/api/v1/statuses", headers=headers, content=b"{not json")
    assert broken.status_code == 400 and "error" in broken.json()
    array = await client.post("/api/v1/statuses", headers=headers, content=b"[1, 2]")
    assert array.status_code == 422
    multipart = await client.post(
        "/api/v1/statuses",
        headers=ana.headers | {"Content-Type": "multipart/form-data; boundary=x"},
        content=b"--x\r\ngarbage",
    )
    assert 400 <= multipart.status_code < 500

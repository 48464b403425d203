from __future__ import annotations

import httpx

from tests.support.api import app_token, register_app, sign_up
from tests.support.schema import assert_entity


async def test_sign_up_and_verify_credentials(client: httpx.AsyncClient) -> None:
    ana = await sign_up(client, "Ana.Photos")
    me = await client.get("/api/v1/accounts/verify_credentials", headers=ana.headers)
    assert me.status_code == 200
    body = me.json()
    assert_entity("CredentialAccount", body)
    assert body["username"] == "Ana.Photos"
    assert body["acct"] == "Ana.Photos"
    public = await client.get(f"/api/v1/accounts/{ana.id}")
    assert public.status_code == 200
    assert_entity("Account", public.json())


async def test_username_unique_case_insensitively(client: httpx.AsyncClient) -> None:
    await sign_up(client, "ana")
    app = await register_app(client)
    token = await app_token(client, app)
    response = await client.post(
        "/api/v1/accounts",
        headers={"Authorization": f"Bearer {token}"},
        data={"username": "ANA", "email": "other@example.com", "password": "long enough pw"},
    )
    assert response.status_code == 422
    assert "username" in response.json()["error"]

"""Small helpers that drive the public API the way a client does."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx


@dataclass
class User:
    id: str
    username: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def register_app(
    client: httpx.AsyncClient, scopes: str = "read write follow push"
) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/apps",
        data={"client_name": "tests", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob", "scopes": scopes},
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def app_token(client: httpx.AsyncClient, app: dict[str, Any]) -> str:
    response = await client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "scope": " ".join(app["scopes"]),
        },
    )
    assert response.status_code == 200, response.text
    return response.json()["access_token"]  # type: ignore[no-any-return]


async def sign_up(
    client: httpx.AsyncClient, username: str, *, password: str = "correct horse battery"
) -> User:
    """Register an app, sign up `username` through the API and return the new user."""
    app = await register_app(client)
    token = await app_token(client, app)
    response = await client.post(
        "/api/v1/accounts",
        headers={"Authorization": f"Bearer {token}"},
        data={
            "username": username,
            "email": f"{username.lower()}@example.com",
            "password": password,
            "agreement": "true",
            "locale": "en",
        },
    )
    assert response.status_code == 200, response.text
    user_token = response.json()["access_token"]
    me = await client.get(
        "/api/v1/accounts/verify_credentials", headers={"Authorization": f"Bearer {user_token}"}
    )
    assert me.status_code == 200, me.text
    return User(id=me.json()["id"], username=username, token=user_token)

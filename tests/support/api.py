"""Small helpers that drive the public API the way a client does."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
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
        data={
            "client_name": "tests",
            "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
            "scopes": scopes,
        },
    )
    assert response.status_code == 200, response.text
    return response.json()


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
    return response.json()["access_token"]


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


def default_photo() -> Path:
    """The photo of tests that just need one: a generated 1800x1200 camera JPEG."""
    from tests.support.fixtures_media import made  # libvips and Pillow, only when needed

    return made("landscape.jpg")


def __getattr__(name: str) -> Path:
    """`DEFAULT_PHOTO`: `default_photo()`, made on first use rather than on import."""
    if name == "DEFAULT_PHOTO":
        return default_photo()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


async def upload_photo(
    client: httpx.AsyncClient, user: User, path: Any = None, *, description: str | None = None
) -> dict[str, Any]:
    """Upload a photo as a client would; returns the MediaAttachment, ready to post.

    Through Mastodon's synchronous v1 route, which processes a photo before it answers:
    v2 answers 202 and leaves the work to a job, which tests run only on request.
    """
    source = path or default_photo()
    data = {"description": description} if description else {}
    response = await client.post(
        "/api/v1/media",
        headers=user.headers,
        files={"file": ("photo.jpg", source.read_bytes(), "image/jpeg")},
        data=data,
    )
    assert response.status_code == 200, response.text
    assert response.json()["url"], response.text
    return response.json()


async def post_photo(
    client: httpx.AsyncClient,
    user: User,
    caption: str = "",
    *,
    photos: int = 1,
    visibility: str | None = None,
) -> dict[str, Any]:
    """Upload `photos` photos and post them with `caption`; returns the Status."""
    media_ids = [(await upload_photo(client, user))["id"] for _ in range(photos)]
    body: dict[str, Any] = {"status": caption, "media_ids": media_ids}
    if visibility is not None:
        body["visibility"] = visibility
    response = await client.post("/api/v1/statuses", headers=user.headers, json=body)
    assert response.status_code == 200, response.text
    return response.json()


async def follow(client: httpx.AsyncClient, user: User, target: User) -> dict[str, Any]:
    response = await client.post(f"/api/v1/accounts/{target.id}/follow", headers=user.headers)
    assert response.status_code == 200, response.text
    return response.json()

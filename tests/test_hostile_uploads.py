"""Hostile uploads: an account past its storage quota is refused, on v1 and v2."""

from __future__ import annotations

import httpx
import pytest

from shutter.infra.context import AppContext
from tests.support.api import DEFAULT_PHOTO, sign_up, upload_photo


async def test_uploads_past_the_quota_are_refused(
    client: httpx.AsyncClient, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    ana, bob = await sign_up(client, "ana"), await sign_up(client, "bob")
    size = DEFAULT_PHOTO.stat().st_size
    monkeypatch.setattr(ctx.settings, "upload_quota_bytes", size * 2 + size // 2)
    for _ in range(2):
        await upload_photo(client, ana)
    photo = {"file": ("photo.jpg", DEFAULT_PHOTO.read_bytes(), "image/jpeg")}
    for version in ("v1", "v2"):
        response = await client.post(f"/api/{version}/media", headers=ana.headers, files=photo)
        assert response.status_code == 422, response.text
        body = response.json()
        assert "storage quota" in body["error"] and "file" in body["details"], body
    # Another account has its own quota; and 0 is no quota at all.
    await upload_photo(client, bob)
    monkeypatch.setattr(ctx.settings, "upload_quota_bytes", 0)
    await upload_photo(client, ana)

"""What the archive tests share: asking for an export, waiting for it, opening the zip."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from tests.support.api import User

Jobs = Callable[[], Awaitable[int]]


async def request_export(client: httpx.AsyncClient, user: User) -> dict[str, Any]:
    response = await client.post("/api/v1/shutter/exports", headers=user.headers)
    assert response.status_code == 202, response.text
    body: dict[str, Any] = response.json()
    assert body["state"] == "queued" and body["url"] is None
    return body


async def export_state(client: httpx.AsyncClient, user: User, export_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/v1/shutter/exports/{export_id}", headers=user.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def exported(
    client: httpx.AsyncClient, run_jobs: Jobs, user: User
) -> tuple[dict[str, Any], zipfile.ZipFile]:
    """Ask for an export, run the jobs, download it: (the finished export, its zip)."""
    export = await request_export(client, user)
    await run_jobs()
    done = await export_state(client, user, export["id"])
    assert done["state"] == "done", done
    response = await client.get(
        f"/api/v1/shutter/exports/{export['id']}/download", headers=user.headers
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert "attachment" in response.headers["content-disposition"]
    assert len(response.content) == done["size"]
    return done, zipfile.ZipFile(io.BytesIO(response.content))


async def csv_upload(
    client: httpx.AsyncClient,
    user: User,
    kind: str,
    data: bytes,
    *,
    mode: str = "merge",
    filename: str = "list.csv",
) -> httpx.Response:
    return await client.post(
        "/api/v1/shutter/imports",
        headers=user.headers,
        data={"type": kind, "mode": mode},
        files={"data": (filename, data, "text/csv")},
    )

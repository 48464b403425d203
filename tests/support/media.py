"""What the media tests share: their sample files, an upload through the API, stored state."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pyvips
from sqlalchemy import func, select

from shutter.accounts.models import Account
from shutter.infra.context import AppContext
from shutter.media.models import Media
from tests.conftest import BASE_URL
from tests.support.api import User
from tests.support.fixtures_media import made
from tests.support.schema import assert_entity
from tests.support.shared import corpus_file

Jobs = Callable[[], Awaitable[int]]

CORPUS_PREFIX = "corpus/"
IMMUTABLE = "public, max-age=31536000, immutable"

# Markers of metadata that must never reach a public file.
METADATA_MARKERS = (
    b"Exif",
    b"eXIf",
    b"tEXt",
    b"zTXt",
    b"iTXt",
    b"GPS",
    b"http://ns.adobe.com/xap",
    b"<x:xmpmeta",
    b"Photoshop 3.0",
    b"ICC_PROFILE",
    b"<script",
    b"<?php",
)
METADATA_FIELDS = ("exif-data", "xmp-data", "iptc-data", "icc-profile-data")


# --- sample files -------------------------------------------------------------------------


def sample(name: str) -> Path:
    """A test file by name: one the tests make (tests/support/fixtures_media), or, named
    `corpus/<folder>/<file>`, a real-world file of ../shared/media-corpus, whose absence
    skips the test (fails it in CI). Parametrize with names: the ids say which is which."""
    if name.startswith(CORPUS_PREFIX):
        return corpus_file(name.removeprefix(CORPUS_PREFIX))
    return made(name)


def corpus(folder: str, *names: str) -> list[str]:
    """`sample` names of real-world corpus files, to add to a parametrization."""
    return [f"{CORPUS_PREFIX}{folder}/{name}" for name in names]


def __getattr__(name: str) -> Path:
    """`LANDSCAPE`, the generated 1800x1200 camera JPEG, made on first use (not on import)."""
    if name == "LANDSCAPE":
        return made("landscape.jpg")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# --- helpers ------------------------------------------------------------------------------


def _read(source: Path | bytes) -> bytes:
    return source.read_bytes() if isinstance(source, Path) else source


async def upload(
    client: httpx.AsyncClient,
    user: User,
    source: Path | bytes,
    *,
    filename: str = "photo.jpg",
    content_type: str = "image/jpeg",
    data: dict[str, str] | None = None,
) -> httpx.Response:
    content = _read(source)
    return await client.post(
        "/api/v2/media",
        headers=user.headers,
        files={"file": (filename, content, content_type)},
        data=data or {},
    )


async def upload_ok(
    client: httpx.AsyncClient, run_jobs: Jobs, user: User, source: Path
) -> dict[str, Any]:
    """Upload through v2 (202, processing), run the jobs, and return the ready attachment."""
    response = await upload(client, user, source)
    assert response.status_code == 202, response.text
    pending: dict[str, Any] = response.json()
    assert_entity("MediaAttachment", pending)
    assert pending["url"] is None and pending["preview_url"] is None
    url = f"/api/v1/media/{pending['id']}"
    assert (await client.get(url, headers=user.headers)).status_code == 206
    await run_jobs()
    ready = await client.get(url, headers=user.headers)
    assert ready.status_code == 200, ready.text
    body: dict[str, Any] = ready.json()
    assert_entity("MediaAttachment", body)
    return body


async def fetch(client: httpx.AsyncClient, url: str) -> bytes:
    assert url.startswith(f"{BASE_URL}/media/")
    response = await client.get(url.removeprefix(BASE_URL))
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == IMMUTABLE
    return response.content


def decode(data: bytes) -> pyvips.Image:
    return pyvips.Image.new_from_buffer(data, "")


def mean_abs_diff(a: pyvips.Image, b: pyvips.Image, width: int = 96) -> float:
    """Mean absolute pixel difference of two images scaled to the same small size."""
    small_a = a.resize(width / a.width)
    small_b = b.resize(width / b.width, vscale=small_a.height / b.height)
    return float((small_a - small_b).abs().avg())


async def media_rows(ctx: AppContext) -> int:
    async with ctx.db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(Media)) or 0)


async def stored_state(ctx: AppContext) -> tuple[int, list[str]]:
    return await media_rows(ctx), ctx.storage.keys()


async def account_id(ctx: AppContext, user: User) -> int:
    async with ctx.db.read() as session:
        account = await session.get(Account, int(user.id))
        assert account is not None
        return account.id

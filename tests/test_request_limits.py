"""Request bodies are bounded: 413 before a body over the limit is read whole, whether
its size is announced (Content-Length) or streamed; media uploads have a larger limit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx

from shutter.infra.context import AppContext
from tests.support.api import sign_up
from tests.support.instances import Instance

MIB = 1024 * 1024
# The start of a valid multipart body, so the parser keeps reading what follows.
FIELD_HEAD = b'--x\r\nContent-Disposition: form-data; name="pad"\r\n\r\n'
FILE_HEAD = (
    b'--x\r\nContent-Disposition: form-data; name="file"; filename="a.mp4"\r\n'
    b"Content-Type: video/mp4\r\n\r\n"
)


async def _chunks(total: int, size: int = 64 * 1024, *, head: bytes = b"") -> AsyncIterator[bytes]:
    """A streamed body (no Content-Length): `head`, then `total` bytes of padding."""
    if head:
        yield head
    sent = 0
    while sent < total:
        step = min(size, total - sent)
        sent += step
        yield b"a" * step


async def test_an_announced_large_body_is_refused_unread(client: httpx.AsyncClient) -> None:
    body = {
        "client_name": "x",
        "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
        "pad": "a" * (2 * MIB),
    }
    response = await client.post("/api/v1/apps", data=body)
    assert response.status_code == 413, response.text
    assert response.json()["error"]
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_a_streamed_large_body_is_refused(client: httpx.AsyncClient) -> None:
    ana = await sign_up(client, "ana")
    for content_type in ("application/json", "application/x-www-form-urlencoded"):
        response = await client.post(
            "/api/v1/statuses",
            headers=ana.headers | {"Content-Type": content_type},
            content=_chunks(2 * MIB),
        )
        assert response.status_code == 413, (content_type, response.text)
    multipart = await client.post(
        "/api/v1/apps",
        headers={"Content-Type": "multipart/form-data; boundary=x"},
        content=_chunks(2 * MIB, head=FIELD_HEAD),
    )
    assert multipart.status_code == 413, multipart.text


async def test_uploads_have_the_media_limit(
    database_url: str, ctx: AppContext, tmp_path: Path, client: httpx.AsyncClient
) -> None:
    ana = await sign_up(client, "ana")
    async with Instance(
        database_url, tmp_path, max_image_bytes=3 * MIB, max_video_bytes=4 * MIB
    ) as api:
        # Over the general limit, under the media one: the upload is read and judged
        # on its content (this is no image), not refused for its size.
        files = {"file": ("big.jpg", b"\xff" * (2 * MIB), "image/jpeg")}
        judged = await api.post("/api/v2/media", headers=ana.headers, files=files)
        assert judged.status_code == 422, judged.text
        over = {"file": ("huge.mp4", b"\x00" * (6 * MIB), "video/mp4")}
        refused = await api.post("/api/v2/media", headers=ana.headers, files=over)
        assert refused.status_code == 413, refused.text
        streamed = await api.post(
            "/api/v2/media",
            headers=ana.headers | {"Content-Type": "multipart/form-data; boundary=x"},
            content=_chunks(6 * MIB, head=FILE_HEAD),
        )
        assert streamed.status_code == 413, streamed.text


async def test_a_small_body_limit_is_a_setting(
    database_url: str, ctx: AppContext, tmp_path: Path
) -> None:
    async with Instance(database_url, tmp_path, max_request_body_bytes=4096) as api:
        small = await api.post(
            "/api/v1/apps",
            data={"client_name": "x", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob"},
        )
        assert small.status_code == 200, small.text
        big = await api.post(
            "/api/v1/apps",
            data={
                "client_name": "x",
                "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
                "p": "a" * 5000,
            },
        )
        assert big.status_code == 413

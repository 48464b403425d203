"""Uploads refused by content: hostile, truncated, unsupported or oversized files leave
nothing behind (no row, no stored file)."""

from __future__ import annotations

import httpx
import pytest

from shutter.infra.context import AppContext
from tests.support.api import sign_up
from tests.support.media import LANDSCAPE, Jobs, corpus, sample, stored_state, upload

NOT_MEDIA = "not a supported image or video"

# Refused in the request, by the cheap checks: nothing is stored, no row is written.
REFUSED = [
    ("empty.jpg", "empty"),
    ("broken.png", "corrupt"),
    ("no-frame.jpg", "corrupt"),
    ("bomb.jpg", "too large: 64250x64250"),
    ("bomb.png", "too large: 65536x65536"),
    ("frame-bomb.gif", "65535x1321 pixels"),
    ("many-frames.gif", "too long"),
    ("script.svg", NOT_MEDIA),
    ("imagetragick.jpg", NOT_MEDIA),
    ("djvu.jpg", "Unsupported type: DjVu"),
    ("html.jpg", NOT_MEDIA),
    ("avi.mp4", "Unsupported type: AVI"),
    ("playlist.avi", NOT_MEDIA),
    ("corrupt-header.mkv", "Unsupported type: Matroska"),
    ("corpus/hostile/empty.jpg", "empty"),
    ("corpus/hostile/broken.png", "corrupt"),
    ("corpus/hostile/corrupt-header.jpg", "corrupt"),
    ("corpus/hostile/lottapixel.jpg", "too large"),
    ("corpus/hostile/65536-uint32-limit.png", "too large"),
    ("corpus/hostile/giant-image.jpg", "too large"),
    ("corpus/hostile/decompression_bomb.gif", "65535x1321 pixels"),
    ("corpus/hostile/uber.gif", "too long"),
    ("corpus/hostile/SVG_XSS_green_triangle.svg", NOT_MEDIA),
    ("corpus/hostile/imagetragik1_payload_url_touch.jpg", NOT_MEDIA),
    ("corpus/hostile/CVE-2021-22204_exiftool_echo.jpg", "Unsupported type: DjVu"),
    ("corpus/hostile/xss_html_as_jpg.jpg", NOT_MEDIA),
    ("corpus/hostile/read_passwd_bypass.mp4", "Unsupported type: AVI"),
    ("corpus/hostile/ssrf_ffmpeg.avi", NOT_MEDIA),
    ("corpus/hostile/fixture-corrupt.mkv", "Unsupported type: Matroska"),
]


@pytest.mark.parametrize(("name", "reason"), REFUSED)
async def test_hostile_files_are_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, ctx: AppContext, name: str, reason: str
) -> None:
    source = sample(name)
    ana = await sign_up(client, "ana")
    before = await stored_state(ctx)
    response = await upload(client, ana, source)
    assert response.status_code == 422, response.text
    assert reason in response.json()["error"]
    assert await stored_state(ctx) == before


# Headers that read fine but pixel data that does not: the job finds out, the media ends
# `failed` with the reason, GET answers 422 (Mastodon's answer), and no file is left.
FAIL_IN_PROCESSING = [
    "truncated-progressive.jpg",
    "truncated.jpg",
    "truncated.png",
    *corpus("hostile", "truncated_jpeg.jpg", "truncated.jpg", "truncated_image.png"),
    # The corpus' Pixel sample keeps its metadata but its main image stops before EOI;
    # decoding it anyway would publish a grey rectangle.
    *corpus("metadata", "ultrahdr.jpg"),
]


@pytest.mark.parametrize("name", FAIL_IN_PROCESSING)
async def test_truncated_images_fail_in_processing_and_leave_nothing(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: Jobs, name: str
) -> None:
    source = sample(name)
    ana = await sign_up(client, "ana")
    response = await upload(client, ana, source)
    assert response.status_code == 202, response.text
    media_id = response.json()["id"]
    stored = ctx.storage.keys()
    assert any(key.startswith(f"originals/{media_id}/") for key in stored)
    await run_jobs()
    failed = await client.get(f"/api/v1/media/{media_id}", headers=ana.headers)
    assert failed.status_code == 422
    assert "Processing failed" in failed.json()["error"]
    assert "truncated or corrupt" in failed.json()["error"]
    left = ctx.storage.keys()
    assert not [key for key in left if f"/{media_id}/" in key]
    # A failed upload can never be posted.
    post = await client.post(
        "/api/v1/statuses", headers=ana.headers, json={"status": "x", "media_ids": [media_id]}
    )
    assert post.status_code == 422


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("photo.tiff", "TIFF"),
        ("clip.3gp", "3GP"),
        ("clip.mkv", "Matroska"),
        ("corpus/good/BSG1.tiff", "TIFF"),
        ("corpus/video/fixture.3gp", "3GP"),
        ("corpus/video/fixture.mkv", "Matroska"),
    ],
)
async def test_other_formats_are_unsupported(
    client: httpx.AsyncClient, ctx: AppContext, name: str, kind: str
) -> None:
    source = sample(name)
    ana = await sign_up(client, "ana")
    before = await stored_state(ctx)
    response = await upload(client, ana, source, filename="photo.jpg", content_type="image/jpeg")
    assert response.status_code == 422
    error = response.json()["error"]
    assert "Unsupported type" in error
    assert kind in error
    assert await stored_state(ctx) == before


async def test_oversized_file_is_refused(
    client: httpx.AsyncClient, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    ana = await sign_up(client, "ana")
    monkeypatch.setattr(ctx.settings, "max_image_bytes", 100 * 1024)
    before = await stored_state(ctx)
    response = await upload(client, ana, LANDSCAPE)
    assert response.status_code == 422
    assert "larger than 100 KB" in response.json()["error"]
    assert await stored_state(ctx) == before


async def test_pixel_limit_is_configurable(
    client: httpx.AsyncClient, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    ana = await sign_up(client, "ana")
    monkeypatch.setattr(ctx.settings, "max_image_pixels", 1_000_000)
    response = await upload(client, ana, LANDSCAPE)
    assert response.status_code == 422
    assert "1800x1200" in response.json()["error"]


async def test_missing_file_is_refused(client: httpx.AsyncClient, ctx: AppContext) -> None:
    ana = await sign_up(client, "ana")
    before = await stored_state(ctx)
    no_file = await client.post("/api/v2/media", headers=ana.headers, data={"description": "x"})
    assert no_file.status_code == 422
    assert "file is required" in no_file.json()["error"]
    as_text = await client.post("/api/v2/media", headers=ana.headers, data={"file": "abc"})
    assert as_text.status_code == 422
    assert await stored_state(ctx) == before
    # Parameters Shutter does not know are ignored, as Mastodon ignores them.
    unknown = await upload(client, ana, LANDSCAPE, data={"colour": "red"})
    assert unknown.status_code == 202


async def test_bad_description_or_focus_on_upload_stores_nothing(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    ana = await sign_up(client, "ana")
    before = await stored_state(ctx)
    too_long = await upload(client, ana, LANDSCAPE, data={"description": "x" * 1501})
    assert too_long.status_code == 422
    assert "1500" in too_long.json()["error"]
    bad_focus = await upload(client, ana, LANDSCAPE, data={"focus": "2,0"})
    assert bad_focus.status_code == 422
    assert await stored_state(ctx) == before

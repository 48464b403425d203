"""Videos and animations: transcoded by the job, playable, stripped; and the job's guarantees
(a worker killed mid-job, failures that end `failed`, focal-point thumbnails)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import pyvips
from sqlalchemy import select, update

from shutter.infra.context import AppContext
from shutter.infra.db import utcnow
from shutter.infra.jobs import Job, claim, drain
from shutter.media.models import Media
from tests.conftest import BASE_URL
from tests.support.api import User, sign_up
from tests.support.media import LANDSCAPE, sample
from tests.support.schema import assert_entity

Jobs = Callable[[], Awaitable[int]]
ALLOWED_FORMAT_TAGS = {"major_brand", "minor_version", "compatible_brands"}
ALLOWED_STREAM_TAGS = {"language", "handler_name", "vendor_id"}


def _read(path: Path) -> bytes:
    return path.read_bytes()


async def upload(client: httpx.AsyncClient, user: User, path: Path) -> httpx.Response:
    return await client.post(
        "/api/v2/media",
        headers=user.headers,
        files={"file": ("clip.bin", _read(path), "application/octet-stream")},
    )


async def ready(client: httpx.AsyncClient, user: User, media_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/v1/media/{media_id}", headers=user.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert_entity("MediaAttachment", body)
    return body


async def fetch(client: httpx.AsyncClient, url: str, tmp_path: Path, name: str) -> Path:
    response = await client.get(url.removeprefix(BASE_URL))
    assert response.status_code == 200
    target = tmp_path / name
    target.write_bytes(response.content)
    return target


def ffprobe(path: Path) -> dict[str, Any]:
    done = subprocess.run(
        ["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", str(path)],
        capture_output=True,
        check=True,
        timeout=30,
    )
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def assert_clean_h264(path: Path, *, audio: bool) -> dict[str, Any]:
    report = ffprobe(path)
    streams = report["streams"]
    video = next(s for s in streams if s["codec_type"] == "video")
    assert video["codec_name"] == "h264"
    assert video["pix_fmt"] == "yuv420p"
    assert min(video["width"], video["height"]) <= 1080
    assert any(s["codec_type"] == "audio" for s in streams) == audio
    for stream in streams:
        if stream["codec_type"] == "audio":
            assert stream["codec_name"] == "aac"
        tags = dict(stream.get("tags", {}))
        assert tags.pop("encoder", "Lavc").startswith("Lavc")  # ours, not the uploader's
        assert set(tags) <= ALLOWED_STREAM_TAGS, tags
    assert set(report["format"].get("tags", {})) <= ALLOWED_FORMAT_TAGS, report["format"]
    data = path.read_bytes()
    assert b"\xa9xyz" not in data and b"loci" not in data
    # +faststart: the index (moov) comes before the media data (mdat).
    assert data.index(b"moov") < data.index(b"mdat")
    return video


@pytest.mark.parametrize(
    ("name", "size", "duration"),
    [
        ("clip.mp4", (320, 240), 4.0),  # H.264 + AAC
        ("clip.webm", (320, 240), 2.0),  # VP8 + Vorbis
        ("mjpeg.mov", (320, 240), 1.5),  # Motion-JPEG + PCM, no ftyp box
        ("corpus/video/flower.mp4", (960, 540), 5.05),
        ("corpus/video/flower.webm", (960, 540), 5.06),
        ("corpus/video/fixture-mjpeg.mov", (640, 480), 1.5),
    ],
)
async def test_videos_become_h264_mp4_with_poster(
    client: httpx.AsyncClient,
    run_jobs: Jobs,
    tmp_path: Path,
    name: str,
    size: tuple[int, int],
    duration: float,
) -> None:
    source = sample(name)  # every one has a sound track
    ana = await sign_up(client, "ana")
    response = await upload(client, ana, source)
    assert response.status_code == 202, response.text
    pending = response.json()
    assert (pending["type"], pending["url"]) == ("video", None)
    await run_jobs()
    body = await ready(client, ana, pending["id"])
    assert body["type"] == "video"
    assert body["url"].endswith(".mp4") and body["preview_url"].endswith(".jpg")
    meta = body["meta"]
    assert (meta["original"]["width"], meta["original"]["height"]) == size
    assert meta["original"]["duration"] == pytest.approx(duration, abs=0.1)
    assert "/" in meta["original"]["frame_rate"] and meta["original"]["bitrate"] > 0
    assert meta["fps"] > 0 and meta["length"].startswith("0:00:0")

    main = await fetch(client, body["url"], tmp_path, "main.mp4")
    stream = assert_clean_h264(main, audio=True)
    assert (stream["width"], stream["height"]) == size
    small = next(v for v in meta["variants"] if v["name"] == "video_small")
    small_path = await fetch(client, small["url"], tmp_path, "small.mp4")
    assert assert_clean_h264(small_path, audio=True)["height"] <= 480
    poster = pyvips.Image.new_from_buffer(
        (await client.get(body["preview_url"].removeprefix(BASE_URL))).content, ""
    )
    assert poster.width == min(640, size[0])
    assert "exif-data" not in poster.get_fields()


async def test_location_atoms_are_removed(
    client: httpx.AsyncClient, run_jobs: Jobs, tmp_path: Path
) -> None:
    source = sample("located.mov")
    assert b"\xa9xyz" in source.read_bytes()
    ana = await sign_up(client, "ana")
    response = await upload(client, ana, source)
    assert response.status_code == 202, response.text
    await run_jobs()
    body = await ready(client, ana, response.json()["id"])
    main = await fetch(client, body["url"], tmp_path, "out.mp4")
    assert_clean_h264(main, audio=False)
    data = main.read_bytes()
    assert b"secret place" not in data and b"serial 1234" not in data and b"+48.8584" not in data


@pytest.mark.parametrize(
    ("name", "size", "duration"),
    [
        ("animated.gif", (120, 90), 1.0),  # 121x91, 5 frames of 0.2 s
        ("corpus/good/iss634.gif", (244, 244), 2.87),  # 245x245, 42 frames
    ],
)
async def test_animated_gif_becomes_a_silent_gifv(
    client: httpx.AsyncClient,
    run_jobs: Jobs,
    tmp_path: Path,
    name: str,
    size: tuple[int, int],
    duration: float,
) -> None:
    source = sample(name)
    ana = await sign_up(client, "ana")
    response = await upload(client, ana, source)
    assert response.status_code == 202
    assert response.json()["type"] == "gifv"
    await run_jobs()
    body = await ready(client, ana, response.json()["id"])
    assert body["type"] == "gifv"
    main = await fetch(client, body["url"], tmp_path, "gifv.mp4")
    stream = assert_clean_h264(main, audio=False)
    assert (stream["width"], stream["height"]) == size  # even sizes for yuv420p
    assert body["meta"]["original"]["duration"] == pytest.approx(duration, abs=0.1)


async def test_single_frame_gif_is_an_image(client: httpx.AsyncClient, run_jobs: Jobs) -> None:
    ana = await sign_up(client, "ana")
    response = await upload(client, ana, sample("still.gif"))
    assert response.status_code == 202
    await run_jobs()
    body = await ready(client, ana, response.json()["id"])
    assert body["type"] == "image"
    assert body["url"].endswith(".jpg")


async def test_limits_are_published_and_applied(
    client: httpx.AsyncClient, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = (await client.get("/api/v2/instance")).json()["configuration"]["media_attachments"]
    assert "video/mp4" in config["supported_mime_types"]
    assert "video/webm" in config["supported_mime_types"]
    assert config["video_size_limit"] == 200 * 1024 * 1024
    assert config["video_frame_rate_limit"] == 120
    assert config["video_matrix_limit"] == 3840 * 2160
    ana = await sign_up(client, "ana")
    before = ctx.storage.keys()
    monkeypatch.setattr(ctx.settings, "max_video_seconds", 3)
    too_long = await upload(client, ana, sample("clip.mp4"))  # 4 s
    assert too_long.status_code == 422
    assert "too long" in too_long.json()["error"]
    webm = sample("clip.webm")
    assert webm.stat().st_size > 20 * 1024
    monkeypatch.setattr(ctx.settings, "max_video_bytes", 20 * 1024)
    too_big = await upload(client, ana, webm)
    assert too_big.status_code == 422
    assert "larger than 20 KB" in too_big.json()["error"]
    assert ctx.storage.keys() == before


async def test_media_in_processing_cannot_be_posted(client: httpx.AsyncClient) -> None:
    ana = await sign_up(client, "ana")
    pending = (await upload(client, ana, LANDSCAPE)).json()
    post = await client.post(
        "/api/v1/statuses", headers=ana.headers, json={"status": "x", "media_ids": [pending["id"]]}
    )
    assert post.status_code == 422
    assert "not processed yet" in post.json()["error"]


async def test_a_worker_killed_mid_processing_leaves_the_job_to_the_next(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    ana = await sign_up(client, "ana")
    media_id = (await upload(client, ana, LANDSCAPE)).json()["id"]
    [claimed] = await claim(ctx, limit=10)  # a worker takes the job and dies
    assert claimed.kind == "media.process"
    assert await drain(ctx) == 0  # nobody else takes it while the lease holds
    async with ctx.db.write() as session:
        past = utcnow() - timedelta(seconds=1)
        await session.execute(update(Job).values(locked_until=past))
    assert await drain(ctx) == 1
    body = await ready(client, ana, media_id)
    assert body["url"] and body["blurhash"]
    async with ctx.db.read() as session:
        assert (await session.scalars(select(Job))).all() == []
        media = await session.get(Media, int(media_id))
        assert media is not None and media.status == "ready"


async def test_processing_errors_retry_then_fail_with_a_reason(
    client: httpx.AsyncClient, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    ana = await sign_up(client, "ana")
    media_id = (await upload(client, ana, LANDSCAPE)).json()["id"]
    monkeypatch.setattr(ctx.settings, "job_max_attempts", 2)
    real_get = ctx.storage.get

    def broken(key: str) -> bytes:
        raise OSError("storage unreachable")

    monkeypatch.setattr(ctx.storage, "get", broken)
    assert await drain(ctx) == 1  # first attempt fails and is retried later
    processing = await client.get(f"/api/v1/media/{media_id}", headers=ana.headers)
    assert processing.status_code == 206
    async with ctx.db.write() as session:
        await session.execute(update(Job).values(run_at=utcnow() - timedelta(seconds=1)))
    assert await drain(ctx) == 1  # the last attempt ends the media as failed
    failed = await client.get(f"/api/v1/media/{media_id}", headers=ana.headers)
    assert failed.status_code == 422
    assert "OSError" in failed.json()["error"]
    monkeypatch.setattr(ctx.storage, "get", real_get)
    left = ctx.storage.keys()
    assert not [key for key in left if f"/{media_id}/" in key]


async def test_focus_change_recrops_the_thumbnail(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: Jobs
) -> None:
    ana = await sign_up(client, "ana")
    media_id = (await upload(client, ana, LANDSCAPE)).json()["id"]
    await run_jobs()

    async def thumbnail() -> tuple[str, pyvips.Image]:
        body = await ready(client, ana, media_id)
        thumb = next(v for v in body["meta"]["variants"] if v["name"] == "thumb")
        assert (thumb["width"], thumb["height"]) == (150, 150)
        data = (await client.get(thumb["url"].removeprefix(BASE_URL))).content
        return thumb["url"], pyvips.Image.new_from_buffer(data, "")

    centre_url, centre = await thumbnail()
    put = await client.put(
        f"/api/v1/media/{media_id}", headers=ana.headers, json={"focus": "-1.0,0"}
    )
    assert put.status_code == 200
    assert await run_jobs() == 1
    left_url, left = await thumbnail()
    assert left_url != centre_url
    # The left crop is the left of the upright photo, scaled: compare with the reference.
    reference = pyvips.Image.new_from_file(str(LANDSCAPE)).crop(0, 0, 1200, 1200).resize(0.125)
    assert float((left - reference).abs().avg()) < float((centre - reference).abs().avg())
    stored = ctx.storage.keys()
    assert centre_url.removeprefix(f"{BASE_URL}/media/") not in stored

"""HEIC photos: decoded by libheif (pillow-heif), upright, stripped, bounded like any photo."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import pyvips

from shutter.infra.context import AppContext
from shutter.media.codecs import heic
from shutter.media.codecs.sniff import MediaRejected
from tests.support.api import sign_up
from tests.support.media import (
    GOOD,
    METADATA,
    METADATA_FIELDS,
    METADATA_MARKERS,
    Jobs,
    decode,
    fetch,
    stored_state,
    upload,
    upload_ok,
)

IPHONE = GOOD / "iphone_13_pro_max.HEIC"  # stored 4032x3024, irot + EXIF orientation 6
WITH_GPS = METADATA / "IMG_5195.HEIC"  # 2566x3313, GPS 39.05134,-94.28877


def _read(path: Path) -> bytes:
    return path.read_bytes()


def _brightness(image: pyvips.Image, left: int, top: int, width: int, height: int) -> float:
    return float(image.crop(left, top, width, height).colourspace("b-w").avg())


def _outputs(body: dict[str, Any]) -> list[str]:
    return [body["url"], body["preview_url"], *(v["url"] for v in body["meta"]["variants"])]


@pytest.mark.parametrize(
    ("path", "width", "height", "display_height"),
    [(IPHONE, 3024, 4032, 1440), (WITH_GPS, 2566, 3313, 1394)],
    ids=lambda value: getattr(value, "name", str(value)),
)
async def test_heic_is_accepted_upright_and_stripped(
    client: httpx.AsyncClient,
    run_jobs: Jobs,
    path: Path,
    width: int,
    height: int,
    display_height: int,
) -> None:
    ana = await sign_up(client, "ana")
    assert b"Exif" in _read(path)
    # The name and declared type say JPEG: only the bytes choose the HEIC decoder.
    body = await upload_ok(client, run_jobs, ana, path)
    assert body["type"] == "image"
    original = body["meta"]["original"]
    assert (original["width"], original["height"]) == (1080, display_height)
    assert body["blurhash"]
    names = {variant["name"]: variant for variant in body["meta"]["variants"]}
    assert set(names) == {"w1080", "w640", "w320", "thumb"}
    assert (names["thumb"]["width"], names["thumb"]["height"]) == (150, 150)
    for url in _outputs(body):
        data = await fetch(client, url)
        for marker in (*METADATA_MARKERS, b"Apple", b"iPhone"):
            assert marker not in data, (url, marker)
        image = decode(data)
        for field in (*METADATA_FIELDS, "orientation"):
            assert field not in image.get_fields(), (url, field)
        if url != names["thumb"]["url"]:
            # Portrait and in proportion: the HEIC's rotation applied exactly once.
            assert image.height > image.width
            assert image.height == pytest.approx(image.width * height / width, abs=1)
    display = decode(await fetch(client, body["url"]))
    assert (display.width, display.height) == (1080, display_height)
    assert display.interpretation == "srgb" and display.format == "uchar"


async def test_iphone_heic_pixels_are_upright(client: httpx.AsyncClient, run_jobs: Jobs) -> None:
    """The kitchen photo: a light wall and ceiling on top, the dark tablecloth at the bottom,
    the window light on the right. Rotated 180° or mirrored, these comparisons flip; applying
    EXIF orientation 6 on top of the container's rotation would make it landscape."""
    ana = await sign_up(client, "ana")
    body = await upload_ok(client, run_jobs, ana, IPHONE)
    image = decode(await fetch(client, body["url"]))
    assert (image.width, image.height) == (1080, 1440)
    quarter_h, quarter_w = image.height // 4, image.width // 4
    top = _brightness(image, 0, 0, image.width, quarter_h)
    bottom = _brightness(image, 0, image.height - quarter_h, image.width, quarter_h)
    left = _brightness(image, 0, 0, quarter_w, image.height)
    right = _brightness(image, image.width - quarter_w, 0, quarter_w, image.height)
    assert top > bottom + 15
    assert right > left + 10


async def test_truncated_heic_is_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    ana = await sign_up(client, "ana")
    source = IPHONE.read_bytes()
    before = await stored_state(ctx)
    for cut in (len(source) // 2, 3000, 20):
        response = await upload(client, ana, source[:cut], filename="cut.heic")
        assert response.status_code == 422, (cut, response.text)
        error = response.json()["error"]
        assert "truncated" in error or "corrupt" in error, (cut, error)
    assert await stored_state(ctx) == before


def test_truncated_item_data_is_caught_even_when_the_boxes_fit() -> None:
    """libheif paints missing grid tiles green instead of failing: the item locations are
    checked against the file's length, even when `mdat` says "to the end of the file"."""
    source = IPHONE.read_bytes()
    at = 0
    while source[at + 4 : at + 8] != b"mdat":
        at += int.from_bytes(source[at : at + 4], "big")
    to_the_end = source[:at] + b"\0\0\0\0" + source[at + 4 :]
    heic.check_complete(to_the_end)
    with pytest.raises(MediaRejected, match="image data is missing"):
        heic.check_complete(to_the_end[: len(source) // 2])
    with pytest.raises(MediaRejected, match="too large: 3024x4032"):
        heic.decode(source, max_pixels=12_000_000)


async def test_heic_over_the_pixel_limit_is_refused(
    client: httpx.AsyncClient, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    ana = await sign_up(client, "ana")
    monkeypatch.setattr(ctx.settings, "max_image_pixels", 12_000_000)  # the iPhone is 12.19 MP
    before = await stored_state(ctx)
    response = await upload(client, ana, IPHONE)
    assert response.status_code == 422
    assert "too large: 3024x4032 pixels" in response.json()["error"]
    assert await stored_state(ctx) == before


async def test_the_job_checks_the_pixel_limit_before_decoding(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: Jobs, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A limit lowered between upload and processing is still enforced by the decoder."""
    ana = await sign_up(client, "ana")
    response = await upload(client, ana, WITH_GPS)
    assert response.status_code == 202, response.text
    media_id = response.json()["id"]
    monkeypatch.setattr(ctx.settings, "max_image_pixels", 8_000_000)
    await run_jobs()
    failed = await client.get(f"/api/v1/media/{media_id}", headers=ana.headers)
    assert failed.status_code == 422
    assert "too large: 2566x3313" in failed.json()["error"]
    left = ctx.storage.keys()
    assert not [key for key in left if f"/{media_id}/" in key]


async def test_instance_publishes_heic(client: httpx.AsyncClient) -> None:
    body = (await client.get("/api/v2/instance")).json()
    types = body["configuration"]["media_attachments"]["supported_mime_types"]
    assert "image/heic" in types and "image/heif" in types

"""HEIC photos: decoded by libheif (pillow-heif), upright, stripped, bounded like any photo."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import pyvips

from shutter.infra.context import AppContext
from shutter.media.codecs import heic
from shutter.media.codecs.sniff import MediaRejected
from tests.support.api import sign_up
from tests.support.media import (
    METADATA_FIELDS,
    METADATA_MARKERS,
    Jobs,
    decode,
    fetch,
    sample,
    stored_state,
    upload,
    upload_ok,
)

# Stored on its side with the container's rotation (irot) and EXIF orientation 6, as an
# iPhone writes it; (width, height) are those of the upright picture, which is brighter
# at the top and on the right.
ROTATED = [
    ("rotated.heic", (1200, 1600)),  # 512x512 grid tiles, as an iPhone's
    ("corpus/good/iphone_13_pro_max.HEIC", (3024, 4032)),
]
# With GPS, make and model in its EXIF.
WITH_GPS = [
    ("gps.heic", (1200, 1500)),
    ("corpus/metadata/IMG_5195.HEIC", (2566, 3313)),  # GPS 39.05134,-94.28877
]


def _brightness(image: pyvips.Image, left: int, top: int, width: int, height: int) -> float:
    return float(image.crop(left, top, width, height).colourspace("b-w").avg())


def _outputs(body: dict[str, Any]) -> list[str]:
    return [body["url"], body["preview_url"], *(v["url"] for v in body["meta"]["variants"])]


def _display_height(size: tuple[int, int]) -> int:
    return round(1080 * size[1] / size[0])


@pytest.mark.parametrize(("name", "size"), ROTATED + WITH_GPS)
async def test_heic_is_accepted_upright_and_stripped(
    client: httpx.AsyncClient, run_jobs: Jobs, name: str, size: tuple[int, int]
) -> None:
    source = sample(name)
    (width, height), display_height = size, _display_height(size)
    assert b"Exif" in source.read_bytes()
    ana = await sign_up(client, "ana")
    # The name and declared type say JPEG: only the bytes choose the HEIC decoder.
    body = await upload_ok(client, run_jobs, ana, source)
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


@pytest.mark.parametrize(("name", "size"), ROTATED)
async def test_rotated_heic_pixels_are_upright(
    client: httpx.AsyncClient, run_jobs: Jobs, name: str, size: tuple[int, int]
) -> None:
    """Bright on top and on the right (the corpus' iPhone photo is a kitchen: a light wall
    and ceiling on top, the dark tablecloth at the bottom, the window light on the right).
    Rotated 180° or mirrored, these comparisons flip; applying EXIF orientation 6 on top of
    the container's rotation would make it landscape."""
    source = sample(name)
    ana = await sign_up(client, "ana")
    body = await upload_ok(client, run_jobs, ana, source)
    image = decode(await fetch(client, body["url"]))
    assert (image.width, image.height) == (1080, _display_height(size))
    quarter_h, quarter_w = image.height // 4, image.width // 4
    top = _brightness(image, 0, 0, image.width, quarter_h)
    bottom = _brightness(image, 0, image.height - quarter_h, image.width, quarter_h)
    left = _brightness(image, 0, 0, quarter_w, image.height)
    right = _brightness(image, image.width - quarter_w, 0, quarter_w, image.height)
    assert top > bottom + 15
    assert right > left + 10


@pytest.mark.parametrize(("name", "size"), ROTATED)
async def test_truncated_heic_is_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, ctx: AppContext, name: str, size: tuple[int, int]
) -> None:
    source = sample(name).read_bytes()
    ana = await sign_up(client, "ana")
    before = await stored_state(ctx)
    for cut in (len(source) // 2, 3000, 20):
        response = await upload(client, ana, source[:cut], filename="cut.heic")
        assert response.status_code == 422, (cut, response.text)
        error = response.json()["error"]
        assert "truncated" in error or "corrupt" in error, (cut, error)
    assert await stored_state(ctx) == before


@pytest.mark.parametrize(("name", "size"), ROTATED)
def test_truncated_item_data_is_caught_even_when_the_boxes_fit(
    name: str, size: tuple[int, int]
) -> None:
    """libheif paints missing grid tiles green instead of failing: the item locations are
    checked against the file's length, even when `mdat` says "to the end of the file"."""
    source = sample(name).read_bytes()
    width, height = size
    at = 0
    while source[at + 4 : at + 8] != b"mdat":
        at += int.from_bytes(source[at : at + 4], "big")
    to_the_end = source[:at] + b"\0\0\0\0" + source[at + 4 :]
    heic.check_complete(to_the_end)
    with pytest.raises(MediaRejected, match="image data is missing"):
        heic.check_complete(to_the_end[: len(source) // 2])
    with pytest.raises(MediaRejected, match=f"too large: {width}x{height}"):
        heic.decode(source, max_pixels=width * height - 1)


@pytest.mark.parametrize(("name", "size"), ROTATED)
async def test_heic_over_the_pixel_limit_is_refused(
    client: httpx.AsyncClient,
    ctx: AppContext,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    size: tuple[int, int],
) -> None:
    source = sample(name)
    width, height = size
    ana = await sign_up(client, "ana")
    # One pixel short: the upright size is what counts, read from the header.
    monkeypatch.setattr(ctx.settings, "max_image_pixels", width * height - 1)
    before = await stored_state(ctx)
    response = await upload(client, ana, source)
    assert response.status_code == 422
    assert f"too large: {width}x{height} pixels" in response.json()["error"]
    assert await stored_state(ctx) == before


@pytest.mark.parametrize(("name", "size"), WITH_GPS)
async def test_the_job_checks_the_pixel_limit_before_decoding(
    client: httpx.AsyncClient,
    ctx: AppContext,
    run_jobs: Jobs,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    size: tuple[int, int],
) -> None:
    """A limit lowered between upload and processing is still enforced by the decoder."""
    source = sample(name)
    width, height = size
    ana = await sign_up(client, "ana")
    response = await upload(client, ana, source)
    assert response.status_code == 202, response.text
    media_id = response.json()["id"]
    monkeypatch.setattr(ctx.settings, "max_image_pixels", width * height - 1)
    await run_jobs()
    failed = await client.get(f"/api/v1/media/{media_id}", headers=ana.headers)
    assert failed.status_code == 422
    assert f"too large: {width}x{height}" in failed.json()["error"]
    left = ctx.storage.keys()
    assert not [key for key in left if f"/{media_id}/" in key]


async def test_instance_publishes_heic(client: httpx.AsyncClient) -> None:
    body = (await client.get("/api/v2/instance")).json()
    types = body["configuration"]["media_attachments"]["supported_mime_types"]
    assert "image/heic" in types and "image/heif" in types

"""Photo uploads: accepted by content, processed by a job into upright, stripped variants."""

from __future__ import annotations

import threading

import httpx
import pytest
import pyvips

from shutter.infra.context import AppContext
from shutter.infra.errors import ApiError
from shutter.infra.ids import ids, shard_of
from shutter.infra.storage import LocalStorage
from shutter.media import service
from shutter.media.codecs import images
from shutter.posts.models import Post
from tests.conftest import BASE_URL
from tests.support.api import sign_up
from tests.support.media import (
    IMMUTABLE,
    LANDSCAPE,
    METADATA_FIELDS,
    METADATA_MARKERS,
    Jobs,
    account_id,
    corpus,
    decode,
    fetch,
    mean_abs_diff,
    media_rows,
    sample,
    upload,
    upload_ok,
)
from tests.support.schema import assert_entity

# --- accepted photos ------------------------------------------------------------------------


async def test_upload_returns_a_ready_attachment(client: httpx.AsyncClient, run_jobs: Jobs) -> None:
    ana = await sign_up(client, "ana")
    body = await upload_ok(client, run_jobs, ana, LANDSCAPE)
    assert body["type"] == "image"
    assert body["remote_url"] is None
    assert body["description"] is None
    assert body["blurhash"] and len(body["blurhash"]) > 6
    original, small = body["meta"]["original"], body["meta"]["small"]
    assert (original["width"], original["height"], original["size"]) == (1080, 720, "1080x720")
    assert original["aspect"] == pytest.approx(1.5)
    assert (small["width"], small["height"]) == (640, 427)
    assert body["meta"]["focus"] == {"x": 0.0, "y": 0.0}

    display = decode(await fetch(client, body["url"]))
    preview = decode(await fetch(client, body["preview_url"]))
    assert (display.width, display.height) == (1080, 720)
    assert (preview.width, preview.height) == (640, 427)

    again = await client.get(f"/api/v1/media/{body['id']}", headers=ana.headers)
    assert again.status_code == 200
    assert again.json() == body


async def test_v1_upload_route_is_the_same(client: httpx.AsyncClient) -> None:
    ana = await sign_up(client, "ana")
    response = await client.post(
        "/api/v1/media",
        headers=ana.headers,
        files={"file": ("x.jpg", LANDSCAPE.read_bytes(), "image/jpeg")},
        data={"description": "A lake", "focus": "0.5,-0.25"},
    )
    # Mastodon's v1 is synchronous: a photo is processed before the answer.
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["url"] and body["preview_url"]
    assert_entity("MediaAttachment", body)
    assert body["description"] == "A lake"
    assert body["meta"]["focus"] == {"x": 0.5, "y": -0.25}


# The same upright landscape stored under each EXIF orientation 0–8 (0 is invalid: none).
ORIENTED = [(f"landscape_{n}.jpg", n) for n in range(9)]
ORIENTED += [(f"corpus/orientation/Landscape_{n}.jpg", n) for n in range(9)]


@pytest.mark.parametrize(("name", "number"), ORIENTED)
async def test_exif_orientation_is_applied(
    client: httpx.AsyncClient, name: str, number: int, run_jobs: Jobs
) -> None:
    source = sample(name)
    upright = sample(name.replace(f"_{number}.jpg", "_1.jpg"))
    reference = pyvips.Image.new_from_file(str(upright))
    if number >= 2:
        # The stored pixels are not upright: a pipeline ignoring the tag fails below.
        assert mean_abs_diff(pyvips.Image.new_from_file(str(source)), reference) > 8
    ana = await sign_up(client, "ana")
    body = await upload_ok(client, run_jobs, ana, source)
    display = decode(await fetch(client, body["url"]))
    assert (display.width, display.height) == (1080, 720)
    assert "orientation" not in display.get_fields()
    assert mean_abs_diff(display, reference) < 8


@pytest.mark.parametrize("name", ["rotated.jpg", *corpus("orientation", "rotated.jpg")])
async def test_orientation_of_a_small_jpeg(
    client: httpx.AsyncClient, name: str, run_jobs: Jobs
) -> None:
    source = sample(name)  # stored 300x200, EXIF orientation 6
    ana = await sign_up(client, "ana")
    rotated = await upload_ok(client, run_jobs, ana, source)
    assert (rotated["meta"]["original"]["width"], rotated["meta"]["original"]["height"]) == (
        200,
        300,
    )


@pytest.mark.parametrize(
    "name", ["orientation_6.webp", *corpus("orientation", "hopper_orientation_6.webp")]
)
async def test_orientation_of_a_webp(client: httpx.AsyncClient, name: str, run_jobs: Jobs) -> None:
    source = sample(name)
    ana = await sign_up(client, "ana")
    body = await upload_ok(client, run_jobs, ana, source)
    display = decode(await fetch(client, body["url"]))
    raw = pyvips.Image.new_from_file(str(source))
    assert mean_abs_diff(display, raw.rot90()) < 8
    assert mean_abs_diff(display, raw) > 2 * mean_abs_diff(display, raw.rot90())


GOOD_PHOTOS = [
    ("large.jpg", 4000, 3000),
    ("wide.webp", 2400, 1000),
    ("camera.webp", 480, 360),
    ("photo.avif", 1280, 536),
    ("alpha16.png", 32, 32),
    ("alpha.png", 1600, 1200),
    ("corpus/good/jolla.jpg", 3264, 2448),
    ("corpus/good/HMD_Nokia_8.3_5G.jpg", 4608, 1976),
    ("corpus/good/gain-map.jpg", 3840, 2160),
    ("corpus/good/flower.webp", 480, 360),
    ("corpus/good/4.webp", 1024, 772),
    ("corpus/good/fixture-yuv420-8bit.avif", 2048, 858),
    ("corpus/good/tbgn2c16.png", 32, 32),
    ("corpus/good/alpha-premultiply-2048x1536-paper.png", 2048, 1536),
]


@pytest.mark.parametrize(("name", "width", "height"), GOOD_PHOTOS)
async def test_good_photos_are_resized_keeping_aspect(
    client: httpx.AsyncClient, name: str, width: int, height: int, run_jobs: Jobs
) -> None:
    source = sample(name)
    ana = await sign_up(client, "ana")
    body = await upload_ok(client, run_jobs, ana, source)
    display = decode(await fetch(client, body["url"]))
    preview = decode(await fetch(client, body["preview_url"]))
    expected_width = min(1080, width)
    assert display.width == expected_width
    assert display.height == pytest.approx(height * expected_width / width, abs=1)
    assert preview.width == min(640, width)
    assert display.format == "uchar"
    for field in METADATA_FIELDS:
        assert field not in display.get_fields()
    assert body["meta"]["original"]["width"] == display.width


@pytest.mark.parametrize("name", ["alpha16.png", *corpus("good", "tbgn2c16.png")])
async def test_transparent_png_keeps_its_alpha(
    client: httpx.AsyncClient, name: str, run_jobs: Jobs
) -> None:
    source = sample(name)  # 16-bit RGBA, partly transparent
    ana = await sign_up(client, "ana")
    body = await upload_ok(client, run_jobs, ana, source)
    response = await client.get(body["url"].removeprefix(BASE_URL))
    assert response.headers["content-type"] == "image/webp"
    display = decode(response.content)
    assert display.hasalpha()
    assert display.extract_band(3).min() < 255


@pytest.mark.parametrize(
    "name", ["cmyk.jpg", *corpus("good", "Channel_digital_image_CMYK_color.jpg")]
)
async def test_cmyk_jpeg_is_converted_to_srgb(
    client: httpx.AsyncClient, name: str, run_jobs: Jobs
) -> None:
    source = sample(name)
    ana = await sign_up(client, "ana")
    body = await upload_ok(client, run_jobs, ana, source)
    display = decode(await fetch(client, body["url"]))
    assert display.bands == 3
    assert display.interpretation == "srgb"
    reference = pyvips.Image.new_from_file(str(source)).icc_import().colourspace("srgb")
    assert mean_abs_diff(display, reference) < 6
    inverted = reference.invert()
    assert mean_abs_diff(display, inverted) > 30


METADATA_PHOTOS = [
    "metadata.jpg",
    "metadata.png",
    "metadata.webp",
    "metadata.avif",
    *corpus(
        "metadata",
        "exif_gps.jpg",
        "DSCN0010.jpg",
        "DSCN0012.jpg",
        "DSCN0021.jpg",
        "iphone_hdr_NO.jpg",
        "exif.png",
        "Landscape_9.jpg",
        "Canon_40D.jpg",
    ),
]


@pytest.mark.parametrize("name", METADATA_PHOTOS)
async def test_metadata_is_stripped(client: httpx.AsyncClient, name: str, run_jobs: Jobs) -> None:
    source = sample(name)
    assert any(marker in source.read_bytes() for marker in METADATA_MARKERS)
    ana = await sign_up(client, "ana")
    body = await upload_ok(client, run_jobs, ana, source)
    for url in (body["url"], body["preview_url"]):
        data = await fetch(client, url)
        for marker in METADATA_MARKERS:
            assert marker not in data, (url, marker)
        fields = decode(data).get_fields()
        for field in METADATA_FIELDS:
            assert field not in fields


@pytest.mark.parametrize(
    ("name", "forbidden"),
    [
        ("php-comment.jpg", b"<?php"),
        ("script-metadata.jpg", b"<script"),
        ("profile-passwd.png", b"/etc/passwd"),
        ("text-bomb.png", b"zTXt"),
        ("polyglot.jpg", b"PK\x03\x04"),
        ("polyglot.jpg", b"<html>"),
        ("corpus/hostile/PHP_exif_system.jpg", b"<?php"),
        ("corpus/hostile/payload_in_all_known_metadata.jpg", b"<script"),
        ("corpus/hostile/imagemagick_CVE-2022-44268_convert_etc_passwd.png", b"/etc/passwd"),
        ("corpus/hostile/png_decompression_dos.png", b"zTXt"),
    ],
)
async def test_hostile_but_valid_images_are_reencoded_clean(
    client: httpx.AsyncClient, name: str, forbidden: bytes, run_jobs: Jobs
) -> None:
    source = sample(name)
    assert forbidden in source.read_bytes()
    ana = await sign_up(client, "ana")
    body = await upload_ok(client, run_jobs, ana, source)
    for url in (body["url"], body["preview_url"]):
        data = await fetch(client, url)
        assert forbidden not in data
        assert b"root:" not in data
        assert url.endswith((".jpg", ".webp"))


async def test_content_decides_not_the_name_or_declared_type(
    client: httpx.AsyncClient, run_jobs: Jobs
) -> None:
    ana = await sign_up(client, "ana")
    response = await upload(client, ana, LANDSCAPE, filename="evil.html", content_type="text/html")
    assert response.status_code == 202, response.text
    await run_jobs()
    media = await client.get(f"/api/v1/media/{response.json()['id']}", headers=ana.headers)
    served = await client.get(media.json()["url"].removeprefix(BASE_URL))
    assert served.headers["content-type"] == "image/jpeg"
    assert served.headers["x-content-type-options"] == "nosniff"


# --- reading and describing -------------------------------------------------------------------


async def test_update_description_and_focus(client: httpx.AsyncClient, run_jobs: Jobs) -> None:
    ana = await sign_up(client, "ana")
    media = await upload_ok(client, run_jobs, ana, LANDSCAPE)
    url = f"/api/v1/media/{media['id']}"
    response = await client.put(
        url, headers=ana.headers, json={"description": "Boats on a lake", "focus": "-1,1"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert_entity("MediaAttachment", body)
    assert body["description"] == "Boats on a lake"
    assert body["meta"]["focus"] == {"x": -1.0, "y": 1.0}
    assert body["url"] == media["url"]

    only_focus = await client.put(url, headers=ana.headers, data={"focus": "0.1,0.2"})
    assert only_focus.json()["description"] == "Boats on a lake"
    cleared = await client.put(url, headers=ana.headers, json={"description": ""})
    assert cleared.json()["description"] is None
    assert cleared.json()["meta"]["focus"] == {"x": 0.1, "y": 0.2}

    for focus in ("1.5,0", "0", "a,b", "0,0,0", "nan,0"):
        bad = await client.put(url, headers=ana.headers, json={"focus": focus})
        assert bad.status_code == 422, focus
        assert "focus" in bad.json()["error"]
    long_text = await client.put(url, headers=ana.headers, json={"description": "é" * 1501})
    assert long_text.status_code == 422
    exact = await client.put(url, headers=ana.headers, json={"description": "é" * 1500})
    assert exact.status_code == 200


async def test_only_the_owner_sees_or_changes_media(
    client: httpx.AsyncClient, run_jobs: Jobs
) -> None:
    ana = await sign_up(client, "ana")
    bob = await sign_up(client, "bob")
    media = await upload_ok(client, run_jobs, ana, LANDSCAPE)
    url = f"/api/v1/media/{media['id']}"
    assert (await client.get(url, headers=bob.headers)).status_code == 404
    put = await client.put(url, headers=bob.headers, json={"description": "mine now"})
    assert put.status_code == 404
    assert (await client.get("/api/v1/media/12345", headers=ana.headers)).status_code == 404
    assert (await client.get(url, headers=ana.headers)).json()["description"] is None


async def test_authentication_is_required(client: httpx.AsyncClient, run_jobs: Jobs) -> None:
    ana = await sign_up(client, "ana")
    media = await upload_ok(client, run_jobs, ana, LANDSCAPE)
    no_token = await client.post(
        "/api/v2/media", files={"file": ("a.jpg", LANDSCAPE.read_bytes(), "image/jpeg")}
    )
    assert no_token.status_code == 401
    assert "error" in no_token.json()
    assert (await client.get(f"/api/v1/media/{media['id']}")).status_code == 401
    put = await client.put(f"/api/v1/media/{media['id']}", json={"description": "x"})
    assert put.status_code == 401
    bad = await client.get(f"/api/v1/media/{media['id']}", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401


# --- serving files ------------------------------------------------------------------------------


async def test_variants_are_served_with_range_and_immutable_caching(
    client: httpx.AsyncClient, run_jobs: Jobs
) -> None:
    ana = await sign_up(client, "ana")
    media = await upload_ok(client, run_jobs, ana, LANDSCAPE)
    path = media["url"].removeprefix(BASE_URL)
    full = await client.get(path)
    assert full.status_code == 200
    assert full.headers["content-type"] == "image/jpeg"
    assert full.headers["accept-ranges"] == "bytes"

    part = await client.get(path, headers={"Range": "bytes=100-1099"})
    assert part.status_code == 206
    assert part.content == full.content[100:1100]
    assert part.headers["content-range"] == f"bytes 100-1099/{len(full.content)}"
    assert part.headers["cache-control"] == IMMUTABLE

    head = await client.head(path)
    assert head.status_code == 200
    assert int(head.headers["content-length"]) == len(full.content)


async def test_private_unknown_and_traversal_keys_are_not_served(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: Jobs
) -> None:
    ana = await sign_up(client, "ana")
    media = await upload_ok(client, run_jobs, ana, LANDSCAPE)
    stored = ctx.storage.keys()
    originals = [key for key in stored if key.startswith(f"originals/{media['id']}/")]
    assert len(originals) == 1
    assert isinstance(ctx.storage, LocalStorage)
    assert ctx.storage.path(originals[0]).read_bytes() == LANDSCAPE.read_bytes()
    public_key = media["url"].removeprefix(f"{BASE_URL}/media/")
    missing_key = f"v/{media['id']}/00/00/{'0' * 64}.jpg"
    for key in (
        originals[0],
        missing_key,
        "v/../../shutter.db",
        "..%2F..%2Fsecret_key",
        "%2e%2e/%2e%2e/secret_key",
        "secret_key",
        public_key + "/",
        public_key.replace(".jpg", ".html"),
    ):
        response = await client.get(f"/media/{key}")
        assert response.status_code == 404, key
        assert "not found" in response.json()["error"].lower(), key


# --- functions other services call --------------------------------------------------------------


async def make_post(ctx: AppContext, author_id: int) -> int:
    async with ctx.db.write() as session:
        post = Post(id=ids.next_id(shard_of(author_id)), account_id=author_id, caption="")
        session.add(post)
    return post.id


async def test_attach_list_describe_and_delete(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: Jobs
) -> None:
    ana = await sign_up(client, "ana")
    ana_id = await account_id(ctx, ana)
    uploaded = [
        await upload_ok(client, run_jobs, ana, path) for path in (LANDSCAPE, sample("camera.webp"))
    ]
    order = [uploaded[1]["id"], uploaded[0]["id"]]
    post_id = await make_post(ctx, ana_id)

    async with ctx.db.write() as session:
        media = await service.access_attachable_media(
            session, account_id=ana_id, media_ids=order, max_count=6
        )
        assert [str(m.id) for m in media] == order
        await service.do_attach(session, media=media, post_id=post_id)

    # Attached media belong to the post now: the media routes no longer show them.
    gone = await client.get(f"/api/v1/media/{order[0]}", headers=ana.headers)
    assert gone.status_code == 404

    async with ctx.db.write() as session:
        by_post = await service.media_for_posts(session, [post_id, 1])
        assert [str(m.id) for m in by_post[post_id]] == order
        assert [m.position for m in by_post[post_id]] == [0, 1]
        assert by_post[1] == []
        await service.do_update_descriptions(
            session, post_id=post_id, descriptions={int(order[1]): "A lake"}
        )
        with pytest.raises(ApiError) as refused:
            await service.do_update_descriptions(
                session, post_id=post_id, descriptions={12345: "nope"}
            )
        assert refused.value.status == 422

    async with ctx.db.read() as session:
        described = (await service.media_for_posts(session, [post_id]))[post_id]
        assert [m.description for m in described] == [None, "A lake"]

    stored = ctx.storage.keys()
    files = [key for key in stored if any(f"/{m}/" in key for m in order)]
    # Per photo: the original, url and preview JPEGs, WebP widths and the thumbnail.
    assert len([key for key in files if key.startswith("originals/")]) == 2
    assert len(files) >= 2 * 6
    async with ctx.db.write() as session:
        await service.do_delete_for_post(session, ctx=ctx, post_id=post_id)
        # Files go only after the commit, so a rollback would keep them.
        assert set(files) <= set(ctx.storage.keys())
    assert not set(files) & set(ctx.storage.keys())
    assert await media_rows(ctx) == 0


async def test_attachable_media_rules(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: Jobs
) -> None:
    ana = await sign_up(client, "ana")
    bob = await sign_up(client, "bob")
    ana_id = await account_id(ctx, ana)
    mine = (await upload_ok(client, run_jobs, ana, LANDSCAPE))["id"]
    other = await upload_ok(client, run_jobs, ana, sample("camera.webp"))
    theirs = (await upload_ok(client, run_jobs, bob, LANDSCAPE))["id"]
    post_id = await make_post(ctx, ana_id)
    async with ctx.db.write() as session:
        taken = await service.access_attachable_media(
            session, account_id=ana_id, media_ids=[other["id"]], max_count=6
        )
        await service.do_attach(session, media=taken, post_id=post_id)

    cases: list[tuple[list[str], int, str]] = [
        (["abc"], 6, "not an id"),
        (["²"], 6, "not an id"),
        ([theirs], 6, f"media {theirs} not found"),
        (["999"], 6, "media 999 not found"),
        ([mine, mine], 6, "twice"),
        ([mine, other["id"]], 6, "already attached"),
        ([mine, theirs], 1, "at most 1"),
    ]
    for media_ids, max_count, message in cases:
        async with ctx.db.write() as session:
            with pytest.raises(ApiError) as refused:
                await service.access_attachable_media(
                    session, account_id=ana_id, media_ids=media_ids, max_count=max_count
                )
        assert refused.value.status == 422
        assert message in refused.value.message, (media_ids, refused.value.message)


# --- avatars ------------------------------------------------------------------------------------


async def test_avatar_is_a_square_served_variant(client: httpx.AsyncClient) -> None:
    ana = await sign_up(client, "ana")
    response = await client.patch(
        "/api/v1/accounts/update_credentials",
        headers=ana.headers,
        files={"avatar": ("me.jpg", sample("landscape_6.jpg").read_bytes(), "image/jpeg")},
    )
    assert response.status_code == 200, response.text
    avatar = decode(await fetch(client, response.json()["avatar"]))
    assert (avatar.width, avatar.height) == (400, 400)
    assert "exif-data" not in avatar.get_fields()


async def test_hostile_avatar_is_refused(client: httpx.AsyncClient, ctx: AppContext) -> None:
    ana = await sign_up(client, "ana")
    before = ctx.storage.keys()
    response = await client.patch(
        "/api/v1/accounts/update_credentials",
        headers=ana.headers,
        files={"avatar": ("me.jpg", sample("bomb.jpg").read_bytes(), "image/jpeg")},
    )
    assert response.status_code == 422
    assert "too large" in response.json()["error"]
    assert ctx.storage.keys() == before


async def test_processing_runs_off_the_event_loop(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, run_jobs: Jobs
) -> None:
    ana = await sign_up(client, "ana")
    threads: list[int] = []
    real = images.process_image

    def recording(
        data: bytes, *, max_pixels: int, focus: tuple[float, float] = (0.0, 0.0)
    ) -> images.ProcessedImage:
        threads.append(threading.get_ident())
        return real(data, max_pixels=max_pixels, focus=focus)

    monkeypatch.setattr(images, "process_image", recording)
    await upload_ok(client, run_jobs, ana, LANDSCAPE)
    assert threads and threads[0] != threading.get_ident()

"""Media storage on local disk and on a real S3-protocol server, and media cleanup.

The S3 half runs the app with SHUTTER_STORAGE=s3 against moto's server on 127.0.0.1, the
same code path production uses against AWS S3 or MinIO.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from shutter.accounts.models import Account
from shutter.app import create_app
from shutter.infra.context import AppContext
from shutter.infra.db import utcnow
from shutter.infra.jobs import Job, drain, run_worker
from shutter.infra.periodic import enqueue_due
from shutter.infra.settings import SettingsError, load_settings
from shutter.infra.storage import IMMUTABLE, LocalStorage, Storage
from shutter.infra.storage_s3 import S3Storage
from shutter.media.models import Media
from shutter.media.schemas import media_url
from shutter.media.service import cleanup
from tests.conftest import BASE_URL
from tests.conftest import test_settings as make_settings
from tests.support.api import DEFAULT_PHOTO, User, sign_up
from tests.support.s3 import create_bucket, moto_server, s3_settings

LATER = timedelta(hours=25)


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
async def s3_app_and_ctx(
    database_url: str, s3_endpoint: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[object, AppContext]]:
    settings = make_settings(
        tmp_path_factory.mktemp("var-s3"),
        database_url,
        **s3_settings(s3_endpoint, create_bucket(s3_endpoint)),
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app, app.state.ctx


@pytest.fixture(params=["local", "s3"])
async def backend(
    request: pytest.FixtureRequest,
    app_and_ctx: tuple[object, AppContext],
    ctx: AppContext,  # empties the tables
) -> AsyncIterator[tuple[httpx.AsyncClient, AppContext]]:
    """An HTTP client and context of an app on each storage backend, its store emptied."""
    app, context = (
        request.getfixturevalue("s3_app_and_ctx") if request.param == "s3" else app_and_ctx
    )
    context.storage.delete_many(context.storage.keys())
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
        yield http, context


# --- helpers ------------------------------------------------------------------------------


async def upload_ready(http: httpx.AsyncClient, ctx: AppContext, user: User) -> dict[str, Any]:
    """Upload the default photo and run the processing jobs; returns the ready attachment."""
    response = await http.post(
        "/api/v2/media",
        headers=user.headers,
        files={"file": ("photo.jpg", DEFAULT_PHOTO.read_bytes(), "image/jpeg")},
    )
    assert response.status_code in (200, 202), response.text
    await drain(ctx)
    ready = await http.get(f"/api/v1/media/{response.json()['id']}", headers=user.headers)
    assert ready.status_code == 200, ready.text
    return ready.json()


async def post_with(http: httpx.AsyncClient, user: User, media_ids: list[str]) -> str:
    response = await http.post(
        "/api/v1/statuses", headers=user.headers, json={"status": "", "media_ids": media_ids}
    )
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


async def referenced_keys(ctx: AppContext) -> set[str]:
    """Every key a live row refers to: media files and avatars."""
    async with ctx.db.read() as session:
        media = list(await session.scalars(select(Media)))
        avatars = set(await session.scalars(select(Account.avatar_key)))
    return {key for item in media for key in cleanup.keys_of(item)} | {
        key for key in avatars if key is not None
    }


async def set_avatar(http: httpx.AsyncClient, ctx: AppContext, user: User) -> str:
    response = await http.patch(
        "/api/v1/accounts/update_credentials",
        headers=user.headers,
        files={"avatar": ("a.jpg", DEFAULT_PHOTO.read_bytes(), "image/jpeg")},
    )
    assert response.status_code == 200, response.text
    await drain(ctx)
    return str(response.json()["avatar"])


def key_of(url: str) -> str:
    return url.removeprefix(f"{BASE_URL}/media/")


# --- the storage backends themselves ------------------------------------------------------


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    if request.param == "local":
        return LocalStorage(tmp_path / "media")
    endpoint = request.getfixturevalue("s3_endpoint")
    settings = make_settings(tmp_path, **s3_settings(endpoint, create_bucket(endpoint)))
    return S3Storage.from_settings(settings)


def test_put_get_list_and_delete(store: Storage) -> None:
    store.put("v/1/aa/bb/one.jpg", b"one")
    store.put("originals/1/aa/bb/orig.jpg", b"original")
    store.put("v/2/cc/dd/two.webp", b"two")
    assert store.get("v/1/aa/bb/one.jpg") == b"one"
    assert store.exists("v/1/aa/bb/one.jpg")
    assert not store.exists("v/1/aa/bb/missing.jpg")
    with pytest.raises(FileNotFoundError):
        store.get("v/1/aa/bb/missing.jpg")
    assert store.keys() == ["originals/1/aa/bb/orig.jpg", "v/1/aa/bb/one.jpg", "v/2/cc/dd/two.webp"]
    assert store.keys("v/") == ["v/1/aa/bb/one.jpg", "v/2/cc/dd/two.webp"]
    page = store.entries(after="originals/1/aa/bb/orig.jpg", limit=1)
    assert [(e.key, e.size) for e in page] == [("v/1/aa/bb/one.jpg", 3)]
    store.delete("v/1/aa/bb/one.jpg")
    store.delete("v/1/aa/bb/one.jpg")  # a second delete is fine: deletes are retried
    store.delete_many(["v/2/cc/dd/two.webp", "never/was.jpg"])
    assert store.keys() == ["originals/1/aa/bb/orig.jpg"]


def test_files_go_in_and_come_out_in_chunks(store: Storage, tmp_path: Path) -> None:
    """`put_file` and `read_chunks`, which archives use so that nothing large is held
    whole: 9 MB makes boto3 upload in parts."""
    source = tmp_path / "big.zip"
    data = bytes(range(256)) * (9 * 1024 * 4)
    source.write_bytes(data)
    store.put_file("archives/1.zip", source)
    chunks = list(store.read_chunks("archives/1.zip", chunk_size=1024 * 1024))
    assert b"".join(chunks) == data and max(len(chunk) for chunk in chunks) <= 1024 * 1024
    with pytest.raises(FileNotFoundError):
        next(store.read_chunks("archives/missing.zip"))
    store.delete("archives/1.zip")
    assert not store.exists("archives/1.zip")


def test_local_deletes_leave_no_empty_folders(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path / "media")
    store.put("v/1/aa/bb/one.jpg", b"one")
    store.put("v/1/aa/cc/two.jpg", b"two")
    store.delete_many(["v/1/aa/bb/one.jpg", "v/1/aa/cc/two.jpg"])
    assert list((tmp_path / "media").iterdir()) == []
    with pytest.raises(ValueError):
        store.put("../escape.jpg", b"x")


def test_s3_objects_carry_type_and_caching_and_presign(s3_endpoint: str, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, **s3_settings(s3_endpoint, create_bucket(s3_endpoint)))
    store = S3Storage.from_settings(settings)
    store.put("v/1/aa/bb/one.webp", b"0123456789")
    store.put("a/aa/bb/avatar.jpg", b"avatar")
    store.put("originals/1/aa/bb/orig.jpg", b"private")
    public = store.client.head_object(Bucket=store.bucket, Key="v/1/aa/bb/one.webp")
    assert public["ContentType"] == "image/webp"
    assert public["CacheControl"] == IMMUTABLE
    avatar = store.client.head_object(Bucket=store.bucket, Key="a/aa/bb/avatar.jpg")
    assert avatar["CacheControl"] == IMMUTABLE
    private = store.client.head_object(Bucket=store.bucket, Key="originals/1/aa/bb/orig.jpg")
    assert "CacheControl" not in private
    acl = store.client.get_object_acl(Bucket=store.bucket, Key="originals/1/aa/bb/orig.jpg")
    assert all("AllUsers" not in str(grant["Grantee"]) for grant in acl["Grants"])

    url = store.presigned_url("v/1/aa/bb/one.webp", ttl_seconds=60)
    assert url is not None and "Signature" in url
    assert httpx.get(url).content == b"0123456789"
    part = httpx.get(url, headers={"Range": "bytes=-3"})
    assert part.status_code == 206 and part.content == b"789"
    # (moto does not enforce signatures, so refusing unsigned reads is the bucket's job:
    # see docs/operations.md; here we check only that no public-read ACL is ever set.)


def test_storage_settings_are_checked(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="SHUTTER_S3_BUCKET must be set"):
        load_settings(var_dir=tmp_path, storage="s3")
    with pytest.raises(SettingsError, match="SHUTTER_STORAGE=s3"):
        load_settings(var_dir=tmp_path, s3_bucket="media")
    with pytest.raises(SettingsError, match="MEDIA_PUBLIC_URL"):
        load_settings(var_dir=tmp_path, media_public_url="cdn.example.com")
    settings = load_settings(var_dir=tmp_path, media_public_url="https://cdn.example.com/m/")
    assert media_url("v/1/x.jpg", settings) == "https://cdn.example.com/m/v/1/x.jpg"
    assert media_url("v/1/x.jpg", make_settings(tmp_path)) == f"{BASE_URL}/media/v/1/x.jpg"


# --- serving ------------------------------------------------------------------------------


async def test_local_range_requests(client: httpx.AsyncClient, ctx: AppContext) -> None:
    ana = await sign_up(client, "ana")
    media = await upload_ready(client, ctx, ana)
    path = media["url"].removeprefix(BASE_URL)
    full = (await client.get(path)).content
    size = len(full)

    suffix = await client.get(path, headers={"Range": "bytes=-100"})
    assert suffix.status_code == 206
    assert suffix.content == full[-100:]
    assert suffix.headers["content-range"] == f"bytes {size - 100}-{size - 1}/{size}"

    open_ended = await client.get(path, headers={"Range": f"bytes={size - 10}-"})
    assert open_ended.status_code == 206 and open_ended.content == full[-10:]

    past_end = await client.get(path, headers={"Range": f"bytes=0-{size + 1000}"})
    assert past_end.status_code == 206 and past_end.content == full

    unsatisfiable = await client.get(path, headers={"Range": f"bytes={size}-"})
    assert unsatisfiable.status_code == 416
    assert unsatisfiable.headers["content-range"] == f"bytes */{size}"

    head = await client.head(path, headers={"Range": "bytes=0-9"})
    assert head.status_code == 206
    assert head.content == b""
    assert head.headers["content-length"] == "10"
    assert head.headers["cache-control"] == IMMUTABLE
    assert head.headers["x-content-type-options"] == "nosniff"

    # A Range in a unit the server does not know is ignored (RFC 9110 §14.2): the whole file.
    odd = await client.get(path, headers={"Range": "pages=1-2"})
    assert odd.status_code == 200 and odd.content == full


async def test_s3_media_flow_through_the_api(
    s3_app_and_ctx: tuple[object, AppContext], ctx: AppContext
) -> None:
    app, s3ctx = s3_app_and_ctx
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
        ana = await sign_up(http, "ana")
        media = await upload_ready(http, s3ctx, ana)
        assert media["url"].startswith(f"{BASE_URL}/media/v/{media['id']}/")
        originals = s3ctx.storage.keys(f"originals/{media['id']}/")
        assert len(originals) == 1
        assert s3ctx.storage.get(originals[0]) == DEFAULT_PHOTO.read_bytes()

        for method in ("GET", "HEAD"):
            redirect = await http.request(method, media["url"].removeprefix(BASE_URL))
            assert redirect.status_code == 307, redirect.text
            ttl = s3ctx.settings.media_presign_ttl_seconds
            assert redirect.headers["cache-control"] == f"public, max-age={ttl // 2}"
        target = redirect.headers["location"]
        async with httpx.AsyncClient() as direct:  # straight to the S3 server, no app
            served = await direct.get(target)
            part = await direct.get(target, headers={"Range": "bytes=10-19"})
        assert served.status_code == 200
        assert served.headers["content-type"] == "image/jpeg"
        assert served.headers["cache-control"] == IMMUTABLE
        assert served.content[:3] == b"\xff\xd8\xff"
        assert part.status_code == 206 and part.content == served.content[10:20]

        # The private original is never served, and unknown keys are 404 like on disk.
        assert (await http.get(f"/media/{originals[0]}")).status_code == 404
        missing = f"v/{media['id']}/00/00/{'0' * 64}.jpg"
        assert (await http.get(f"/media/{missing}")).status_code == 404

        post_id = await post_with(http, ana, [media["id"]])
        assert set(s3ctx.storage.keys()) == await referenced_keys(s3ctx)
        deleted = await http.delete(f"/api/v1/statuses/{post_id}", headers=ana.headers)
        assert deleted.status_code == 200, deleted.text
        await drain(s3ctx)
        assert s3ctx.storage.keys() == []


async def test_public_url_setting_sends_reads_to_the_cdn(
    s3_endpoint: str, database_url: str, tmp_path: Path, ctx: AppContext
) -> None:
    settings = make_settings(
        tmp_path,
        database_url,
        media_public_url="https://cdn.example.com",
        **s3_settings(s3_endpoint, create_bucket(s3_endpoint)),
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
            ana = await sign_up(http, "ana")
            media = await upload_ready(http, app.state.ctx, ana)
            key = media["url"].removeprefix("https://cdn.example.com/")
            assert key.startswith(f"v/{media['id']}/")
            old_link = await http.get(f"/media/{key}")
            assert old_link.status_code == 307
            assert old_link.headers["location"] == media["url"]


# --- cleanup ------------------------------------------------------------------------------


async def test_nothing_orphaned_after_create_delete_and_purge(
    backend: tuple[httpx.AsyncClient, AppContext],
) -> None:
    http, ctx = backend
    ana = await sign_up(http, "ana")
    bob = await sign_up(http, "bob")
    kept = await upload_ready(http, ctx, ana)
    gone = await upload_ready(http, ctx, ana)
    stale = await upload_ready(http, ctx, bob)
    fresh = await upload_ready(http, ctx, bob)
    kept_post = await post_with(http, ana, [kept["id"]])
    gone_post = await post_with(http, ana, [gone["id"]])
    assert len(ctx.storage.keys(f"v/{gone['id']}/")) >= 1

    assert (await http.delete(f"/api/v1/statuses/{gone_post}", headers=ana.headers)).is_success
    async with ctx.db.write() as session:
        await session.execute(
            update(Media)
            .where(Media.id == int(stale["id"]))
            .values(created_at=utcnow() - timedelta(hours=ctx.settings.media_unattached_hours + 1))
        )
    purged, finished = await cleanup.purge_unattached(ctx)
    assert (purged, finished) == (1, True)
    await drain(ctx)

    stored = set(ctx.storage.keys())
    assert stored == await referenced_keys(ctx)
    assert not [key for key in stored if f"/{gone['id']}/" in key or f"/{stale['id']}/" in key]
    assert any(f"/{fresh['id']}/" in key for key in stored)  # not old enough yet
    status = await http.get(f"/api/v1/statuses/{kept_post}", headers=ana.headers)
    assert status.status_code == 200
    assert (await http.get(status.json()["media_attachments"][0]["url"])).status_code in (200, 307)


async def test_deleting_an_account_deletes_all_its_media(
    backend: tuple[httpx.AsyncClient, AppContext],
) -> None:
    http, ctx = backend
    ana = await sign_up(http, "ana")
    bob = await sign_up(http, "bob")
    posted = await upload_ready(http, ctx, ana)
    await post_with(http, ana, [posted["id"]])
    await upload_ready(http, ctx, ana)  # never attached
    bobs = await upload_ready(http, ctx, bob)
    avatar = key_of(await set_avatar(http, ctx, ana))
    assert ctx.storage.exists(avatar)
    ana_id, bob_id = int(ana.id), int(bob.id)

    async with ctx.db.write() as session:
        assert await cleanup.do_delete_account_media(session, ctx=ctx, account_id=ana_id) == 2
    await drain(ctx)
    async with ctx.db.read() as session:
        owners = set(await session.scalars(select(Media.account_id)))
    assert owners == {bob_id}
    left = ctx.storage.keys()
    assert all(
        key.startswith(("a/", f"v/{bobs['id']}/", f"originals/{bobs['id']}/")) for key in left
    )

    # The avatar was written moments ago, so its deletion waits a few minutes (another
    # account may be setting the same picture right now): a delayed job looks again.
    assert ctx.storage.exists(avatar)
    async with ctx.db.read() as session:
        delayed = list(await session.scalars(select(Job).where(Job.kind == "media.delete_files")))
    assert [job.payload["avatars"] for job in delayed] == [[avatar]]
    assert delayed[0].run_at > utcnow() + timedelta(minutes=9)
    # While Ana's row names it, nothing removes it; once the row is gone, the sweep does.
    await cleanup.sweep_orphans(ctx, now=utcnow() + LATER)
    assert ctx.storage.exists(avatar)
    async with ctx.db.write() as session:
        await session.execute(update(Account).where(Account.id == ana_id).values(avatar_key=None))
    deleted, resume = await cleanup.sweep_orphans(ctx, now=utcnow() + LATER)
    assert deleted == [avatar] and resume is None
    assert set(ctx.storage.keys()) == await referenced_keys(ctx)


async def test_sweep_removes_only_old_unreferenced_files(
    backend: tuple[httpx.AsyncClient, AppContext],
) -> None:
    http, ctx = backend
    ana = await sign_up(http, "ana")
    media = await upload_ready(http, ctx, ana)
    strays = [
        f"v/{media['id']}/ab/cd/{'a' * 64}.jpg",  # an old thumbnail the row no longer names
        f"originals/999/ab/cd/{'b' * 64}.jpg",  # a crash between put and commit
        f"a/ab/cd/{'c' * 64}.webp",  # a replaced avatar
    ]
    for key in strays:
        ctx.storage.put(key, b"stray")
    ctx.storage.put("unknown/shape.bin", b"left alone")

    deleted, _ = await cleanup.sweep_orphans(ctx)  # nothing is old enough yet
    assert deleted == []
    deleted, resume = await cleanup.sweep_orphans(ctx, now=utcnow() + LATER, pages=1)
    assert sorted(deleted) == sorted(strays) and resume is not None
    assert (await cleanup.sweep_orphans(ctx, now=utcnow() + LATER, after=resume)) == ([], None)
    assert set(ctx.storage.keys()) == (await referenced_keys(ctx)) | {"unknown/shape.bin"}
    ctx.storage.delete("unknown/shape.bin")


# --- the periodic scheduler -----------------------------------------------------------------


async def test_periodic_jobs_are_enqueued_once_per_interval(ctx: AppContext) -> None:
    kinds = {"media.purge_unattached", "media.sweep_orphans", "archive.sweep_exports"}
    first = await asyncio.gather(*(enqueue_due(ctx) for _ in range(4)))
    assert sorted(kind for run in first for kind in run) == sorted(kinds)
    assert await enqueue_due(ctx) == []
    interval = ctx.settings.media_purge_interval_seconds
    later = utcnow() + timedelta(seconds=interval + 1)
    assert await enqueue_due(ctx, now=later) == ["media.purge_unattached"]
    assert await enqueue_due(ctx, now=later) == []
    async with ctx.db.read() as session:
        queued = list(await session.scalars(select(Job.kind).where(Job.status == "queued")))
    assert sorted(queued) == sorted([*kinds, "media.purge_unattached"])
    assert await drain(ctx) == len(kinds) + 1
    # The markers stay (workers never claim them) and say when each is next due.
    async with ctx.db.read() as session:
        markers = list(await session.scalars(select(Job.kind).where(Job.status == "periodic")))
    assert sorted(markers) == sorted(kinds)


async def test_a_running_worker_purges_old_uploads(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    ana = await sign_up(client, "ana")
    media = await upload_ready(client, ctx, ana)
    async with ctx.db.write() as session:
        await session.execute(update(Media).values(created_at=utcnow() - timedelta(hours=48)))
    stop = asyncio.Event()
    worker = asyncio.create_task(run_worker(ctx, stop))
    try:
        for _ in range(100):
            await asyncio.sleep(0.05)
            if not ctx.storage.keys(f"v/{media['id']}/"):
                break
    finally:
        stop.set()
        await worker
    assert (
        await client.get(f"/api/v1/media/{media['id']}", headers=ana.headers)
    ).status_code == 404
    assert ctx.storage.keys(f"v/{media['id']}/") == []
    assert ctx.storage.keys(f"originals/{media['id']}/") == []
